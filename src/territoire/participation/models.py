"""Citizen participation: participants, consultations, participatory budgets, moderation.

Invariants live in the database: one response per participant and consultation, one
ballot per participant and envelope (online ballots; paper and imported ballots carry no
participant), one proposal per ballot item, one published result per envelope. Census
entries hold only keyed hashes (HMAC-SHA256) of the identifying fields, never clear text.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel
from territoire.territory.models import Commune, Organisation, Zone

# --------------------------------------------------------------------------- participants

# The counter of the participation pages' cache (core.cache): votes, answers and
# proposals change these pages, not the dashboards of the spine.
VERSION_KEY = "participation"


class AgeBand(models.TextChoices):
    """INSEE's usual bands, so that declared profiles compare with census figures."""

    UNDER_15 = "0-14", _("moins de 15 ans")
    FROM_15 = "15-29", _("15 à 29 ans")
    FROM_30 = "30-44", _("30 à 44 ans")
    FROM_45 = "45-59", _("45 à 59 ans")
    FROM_60 = "60-74", _("60 à 74 ans")
    FROM_75 = "75+", _("75 ans ou plus")


class Gender(models.TextChoices):
    FEMALE = "F", _("femme")
    MALE = "M", _("homme")
    OTHER = "X", _("autre")


def age_band_for(age: int) -> str:
    """The ``AgeBand`` value of an age in years."""
    for value, low in (("75+", 75), ("60-74", 60), ("45-59", 45), ("30-44", 30), ("15-29", 15)):
        if age >= low:
            return value
    return AgeBand.UNDER_15.value


class Participant(TimeStampedModel):
    """A resident who takes part with an account. Never staff; never shown publicly.

    The profile (birth year or age band, zone, gender) is declared and optional; it only
    feeds aggregated statistics with small-count suppression.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.CASCADE,
        related_name="participant",
    )
    email_verified_at = models.DateTimeField(_("adresse vérifiée le"), null=True, blank=True)
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune de résidence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participants",
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("quartier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participants",
    )
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    age_band = models.CharField(_("tranche d'âge"), max_length=8, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("genre"), max_length=1, choices=Gender.choices, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="participant_birth_year_plausible",
            )
        ]

    def __str__(self) -> str:
        return f"participant #{self.pk}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def age_on(self, day: dt.date) -> int | None:
        """Age reached in the year of ``day`` (only the birth year is known)."""
        if self.birth_year is None:
            return None
        return day.year - self.birth_year

    def effective_age_band(self, day: dt.date | None = None) -> str:
        """The declared band, or the one computed from the birth year; "" if unknown."""
        if self.age_band:
            return self.age_band
        age = self.age_on(day or timezone.localdate())
        return age_band_for(age) if age is not None else ""


class CensusKey(TimeStampedModel):
    """The commune's secret salt for its census list (HMAC key). Never exported."""

    commune = models.OneToOneField(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="census_key"
    )
    salt = models.CharField(_("sel secret"), max_length=128, editable=False)

    class Meta:
        verbose_name = _("clé de la liste de recensement")
        verbose_name_plural = _("clés des listes de recensement")

    def __str__(self) -> str:
        return f"census key of {self.commune_id}"


class CensusEntry(models.Model):
    """One person of a commune's census list, as a keyed hash of the identifying fields.

    ``digest`` is HMAC-SHA256(commune salt, normalised "last name|first name|birth date").
    A participant who proves to match an entry claims it (one account per entry).
    """

    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="census_entries"
    )
    digest = models.CharField(_("empreinte"), max_length=64)
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    zone = models.ForeignKey(
        Zone, verbose_name=_("quartier"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_by = models.OneToOneField(
        Participant,
        verbose_name=_("rattachée à"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="census_entry",
    )
    claimed_at = models.DateTimeField(_("rattachée le"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importée le"), default=timezone.now)

    class Meta:
        verbose_name = _("entrée de recensement")
        verbose_name_plural = _("entrées de recensement")
        constraints = [
            models.UniqueConstraint(fields=["commune", "digest"], name="census_entry_unique_digest")
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}:{self.digest[:12]}…"


class ReferenceAttribute(models.TextChoices):
    AGE_BAND = "age_band", _("tranche d'âge")
    GENDER = "gender", _("genre")


class ReferencePopulation(TimeStampedModel):
    """Reference figures entered by staff (census), for the representativeness index."""

    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="reference_figures"
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("quartier"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reference_figures",
        help_text=_("Vide : toute la commune."),
    )
    attribute = models.CharField(_("caractéristique"), max_length=20, choices=ReferenceAttribute.choices)
    category = models.CharField(_("modalité"), max_length=20)
    count = models.PositiveIntegerField(_("effectif"))
    year = models.PositiveSmallIntegerField(_("année de référence"), null=True, blank=True)

    class Meta:
        verbose_name = _("population de référence")
        verbose_name_plural = _("populations de référence")
        ordering = ["commune", "zone", "attribute", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "zone", "attribute", "category"], name="reference_unique_zone"
            ),
            models.UniqueConstraint(
                fields=["commune", "attribute", "category"],
                condition=Q(zone__isnull=True),
                name="reference_unique_commune",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.zone_id or '-'} {self.attribute}={self.category}: {self.count}"


# --------------------------------------------------------------------------- eligibility


class Residence(models.TextChoices):
    ANY = "any", _("aucune condition de résidence")
    TERRITORY = "territory", _("résider sur le territoire")
    ZONE = "zone", _("résider dans le quartier")


class EligibilityRules(models.Model):
    """Who may take part in a process (consultation or budget)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Vide : toute l'organisation."),
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("quartier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Restreint la démarche aux habitants de ce quartier."),
    )
    min_age = models.PositiveSmallIntegerField(_("âge minimal"), null=True, blank=True)
    residence = models.CharField(
        _("condition de résidence"), max_length=12, choices=Residence.choices, default=Residence.TERRITORY
    )
    census_required = models.BooleanField(_("vérification sur la liste de recensement"), default=False)

    class Meta:
        abstract = True


# --------------------------------------------------------------------------- consultations


class Consultation(TimeStampedModel, EligibilityRules):
    title = models.CharField(_("titre"), max_length=300)
    description = models.TextField(_("présentation"), blank=True)
    theme = models.CharField(_("thème"), max_length=100, blank=True)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    published_at = models.DateTimeField(
        _("publiée le"), null=True, blank=True, help_text=_("Vide : brouillon, invisible du public.")
    )
    results_published_at = models.DateTimeField(_("résultats publiés le"), null=True, blank=True)
    suppression_k = models.PositiveSmallIntegerField(
        _("seuil de secret (k)"),
        null=True,
        blank=True,
        help_text=_("Vide : seuil par défaut de la plateforme."),
    )
    answer_text = models.TextField(_("réponse argumentée de la collectivité"), blank=True)
    decision_text = models.TextField(_("décision prise"), blank=True)
    answered_at = models.DateTimeField(_("réponse publiée le"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roadmap_projects = models.ManyToManyField(
        "roadmap.Project", verbose_name=_("projets de la feuille de route"), blank=True, related_name="+"
    )
    roadmap_decisions = models.ManyToManyField(
        "roadmap.Decision", verbose_name=_("décisions"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-opens_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="consultation_dates_order"),
        ]
        indexes = [models.Index(fields=["organisation", "opens_at"], name="consultation_org_opens")]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.published_at is not None and self.opens_at <= now < self.closes_at

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.closes_at


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("choix unique")
    MULTIPLE = "multiple", _("choix multiple")
    RANKING = "ranking", _("classement")
    SCALE = "scale", _("échelle")
    TEXT = "text", _("texte libre")


class Question(models.Model):
    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("aide"), max_length=500, blank=True)
    required = models.BooleanField(_("réponse obligatoire"), default=False)
    max_choices = models.PositiveSmallIntegerField(_("nombre maximal de choix"), null=True, blank=True)
    scale_min = models.SmallIntegerField(_("échelle : minimum"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("échelle : maximum"), null=True, blank=True)
    scale_min_label = models.CharField(_("libellé du minimum"), max_length=100, blank=True)
    scale_max_label = models.CharField(_("libellé du maximum"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["consultation", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="scale")
                | Q(scale_min__isnull=False, scale_max__isnull=False, scale_max__gt=F("scale_min")),
                name="question_scale_bounds",
            )
        ]

    def __str__(self) -> str:
        return self.text


class QuestionOption(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    label = models.CharField(_("libellé"), max_length=300)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class Response(TimeStampedModel):
    """One participant's response to a consultation; edited in place until closing."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="responses"
    )
    participant = models.ForeignKey(
        Participant, verbose_name=_("participant"), on_delete=models.CASCADE, related_name="responses"
    )

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "participant"], name="response_one_per_participant"
            )
        ]

    def __str__(self) -> str:
        return f"response #{self.pk}"


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("en attente de modération")
    PUBLISHED = "published", _("publié")
    HIDDEN = "hidden", _("masqué")


class Answer(models.Model):
    """One answer to one question: one row per chosen option (ranking: with its rank),
    or one row with a value (scale) or a text (free text)."""

    response = models.ForeignKey(
        Response, verbose_name=_("réponse"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    option = models.ForeignKey(
        QuestionOption,
        verbose_name=_("option"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answers",
    )
    rank = models.PositiveSmallIntegerField(_("rang"), null=True, blank=True)
    value = models.SmallIntegerField(_("valeur"), null=True, blank=True)
    text = models.TextField(_("texte"), blank=True)
    moderation = models.CharField(
        _("modération"), max_length=10, choices=ModerationStatus.choices, blank=True
    )
    hidden_reason = models.CharField(_("motif public du masquage"), max_length=500, blank=True)
    hidden_at = models.DateTimeField(_("masqué le"), null=True, blank=True)
    moderated_at = models.DateTimeField(_("modéré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "option"],
                condition=Q(option__isnull=False),
                name="answer_unique_option",
            ),
            models.UniqueConstraint(
                fields=["response", "question"],
                condition=Q(option__isnull=True),
                name="answer_unique_value",
            ),
            models.CheckConstraint(
                condition=~Q(moderation="hidden") | ~Q(hidden_reason=""), name="answer_hidden_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"answer #{self.pk}"


# --------------------------------------------------------------------------- budgets


class BallotKind(models.TextChoices):
    APPROVAL = "approval", _("approbation (nombre de projets borné)")
    KNAPSACK = "knapsack", _("sac à dos (coût total dans l'enveloppe)")
    CUMULATIVE = "cumulative", _("points cumulés")


class ResultRule(models.TextChoices):
    GREEDY = "greedy", _("glouton par nombre de voix")
    GREEDY_CAPS = "greedy-caps", _("glouton avec plafonds par catégorie")
    MES = "mes", _("méthode des parts égales")
    MES_COMPLETE = "mes-complete", _("méthode des parts égales, complétée")


class Satisfaction(models.TextChoices):
    COST = "cost", _("coût")
    CARDINALITY = "cardinality", _("nombre de projets")


class ParticipatoryBudget(TimeStampedModel, EligibilityRules):
    title = models.CharField(_("titre"), max_length=300)
    description = models.TextField(_("présentation"), blank=True)
    year = models.PositiveSmallIntegerField(_("année"))
    published_at = models.DateTimeField(
        _("publié le"), null=True, blank=True, help_text=_("Vide : brouillon, invisible du public.")
    )
    ballot_kind = models.CharField(
        _("type de bulletin"), max_length=12, choices=BallotKind.choices, default=BallotKind.APPROVAL
    )
    min_choices = models.PositiveSmallIntegerField(_("nombre minimal de projets"), default=1)
    max_choices = models.PositiveSmallIntegerField(_("nombre maximal de projets"), null=True, blank=True)
    max_points_per_project = models.PositiveSmallIntegerField(
        _("points maximum par projet"), null=True, blank=True
    )
    max_points_total = models.PositiveIntegerField(_("points maximum au total"), null=True, blank=True)
    rule = models.CharField(
        _("règle de résultat"), max_length=14, choices=ResultRule.choices, default=ResultRule.MES_COMPLETE
    )
    satisfaction = models.CharField(
        _("satisfaction (parts égales)"),
        max_length=12,
        choices=Satisfaction.choices,
        default=Satisfaction.COST,
    )
    imported_from = models.CharField(_("importé de"), max_length=300, blank=True)
    pabulib_meta = models.JSONField(_("métadonnées Pabulib"), default=dict, blank=True)

    class Meta:
        verbose_name = _("budget participatif")
        verbose_name_plural = _("budgets participatifs")
        ordering = ["-year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True) | Q(max_choices__gte=F("min_choices")),
                name="budget_choices_order",
            ),
            models.CheckConstraint(
                condition=~Q(ballot_kind="cumulative")
                | Q(max_points_per_project__gte=1, max_points_total__gte=1),
                name="budget_cumulative_points",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PhaseKind(models.TextChoices):
    SUBMISSION = "submission", _("dépôt des propositions")
    REVIEW = "review", _("examen de recevabilité")
    ESTIMATE = "estimate", _("chiffrage par les services")
    VOTING = "voting", _("vote")
    RESULTS = "results", _("résultats")
    IMPLEMENTATION = "implementation", _("réalisation")


PHASE_ORDER = [k.value for k in PhaseKind]


class BudgetPhase(models.Model):
    budget = models.ForeignKey(
        ParticipatoryBudget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="phases"
    )
    kind = models.CharField(_("phase"), max_length=16, choices=PhaseKind.choices)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["budget", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "kind"], name="phase_unique_kind"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="phase_dates_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.starts_at:%Y-%m-%d})"

    def contains(self, now: dt.datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class Envelope(TimeStampedModel):
    """An amount to share: the budget's global envelope (no zone) or one zone's."""

    budget = models.ForeignKey(
        ParticipatoryBudget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="envelopes"
    )
    code = models.SlugField(_("code"), max_length=100)
    name = models.CharField(_("nom"), max_length=200)
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("quartier"),
        null=True,
        blank=True,
        # A zone is deleted only with its commune (zone imports update in place): its
        # envelopes go with it, as the commune's budgets do.
        on_delete=models.CASCADE,
        related_name="envelopes",
        help_text=_("Vide : enveloppe globale."),
    )
    amount = models.PositiveBigIntegerField(_("montant (€)"))

    class Meta:
        verbose_name = _("enveloppe")
        verbose_name_plural = _("enveloppes")
        ordering = ["budget", "code"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "code"], name="envelope_unique_code"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="envelope_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.budget} — {self.name}"


class BudgetCategory(models.Model):
    budget = models.ForeignKey(
        ParticipatoryBudget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="categories"
    )
    code = models.SlugField(_("code"), max_length=100)
    name = models.CharField(_("nom"), max_length=200)
    cap = models.PositiveBigIntegerField(
        _("plafond par enveloppe (€)"),
        null=True,
        blank=True,
        help_text=_("Montant maximal des projets retenus de cette catégorie dans chaque enveloppe."),
    )

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ["budget", "name"]
        constraints = [models.UniqueConstraint(fields=["budget", "code"], name="category_unique_code")]

    def __str__(self) -> str:
        return self.name


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("déposée")
    ELIGIBLE = "eligible", _("recevable")
    REJECTED = "rejected", _("non recevable")


class Proposal(TimeStampedModel):
    budget = models.ForeignKey(
        ParticipatoryBudget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="proposals"
    )
    envelope = models.ForeignKey(
        Envelope, verbose_name=_("enveloppe"), on_delete=models.CASCADE, related_name="proposals"
    )
    external_id = models.CharField(
        _("identifiant du projet"),
        max_length=100,
        help_text=_("Identifiant public du projet (celui du fichier Pabulib)."),
    )
    author = models.ForeignKey(
        Participant,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("quartier"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        BudgetCategory,
        verbose_name=_("catégorie"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    title = models.CharField(_("titre"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED
    )
    public_reason = models.TextField(_("réponse motivée"), blank=True)
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    estimated_cost = models.PositiveBigIntegerField(
        _("coût estimé par les services (€)"), null=True, blank=True
    )
    estimated_at = models.DateTimeField(_("chiffrée le"), null=True, blank=True)
    selected = models.BooleanField(_("lauréate"), default=False)
    roadmap_project = models.OneToOneField(
        "roadmap.Project",
        verbose_name=_("projet de la feuille de route"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participatory_proposal",
    )
    hidden_at = models.DateTimeField(_("masquée le"), null=True, blank=True)
    hidden_reason = models.CharField(_("motif public du masquage"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        ordering = ["budget", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "external_id"], name="proposal_unique_external_id"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(public_reason=""), name="proposal_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""), name="proposal_hidden_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["envelope", "status"], name="proposal_envelope_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class BallotMethod(models.TextChoices):
    ONLINE = "online", _("en ligne")
    PAPER = "paper", _("papier (saisi par les services)")
    IMPORTED = "imported", _("importé")


class Ballot(TimeStampedModel):
    """A ballot in one envelope. Online ballots belong to a participant (one each); paper
    ballots (entered by staff) and imported ballots carry no participant."""

    envelope = models.ForeignKey(
        Envelope, verbose_name=_("enveloppe"), on_delete=models.CASCADE, related_name="ballots"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ballots",
    )
    method = models.CharField(
        _("mode"), max_length=10, choices=BallotMethod.choices, default=BallotMethod.ONLINE
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saisi par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_voter_id = models.CharField(_("identifiant de votant importé"), max_length=100, blank=True)
    voter_zone = models.ForeignKey(
        Zone,
        verbose_name=_("quartier du votant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["envelope", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["envelope", "participant"],
                condition=Q(participant__isnull=False),
                name="ballot_one_per_participant",
            ),
            models.CheckConstraint(
                condition=(Q(method="online") & Q(participant__isnull=False))
                | (~Q(method="online") & Q(participant__isnull=True)),
                name="ballot_participant_iff_online",
            ),
        ]

    def __str__(self) -> str:
        return f"ballot #{self.pk}"


class BallotItem(models.Model):
    ballot = models.ForeignKey(
        Ballot, verbose_name=_("bulletin"), on_delete=models.CASCADE, related_name="items"
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposition"), on_delete=models.CASCADE, related_name="ballot_items"
    )
    points = models.PositiveIntegerField(_("points"), default=1)

    class Meta:
        verbose_name = _("choix")
        verbose_name_plural = _("choix")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "proposal"], name="ballot_item_unique"),
            models.CheckConstraint(condition=Q(points__gte=1), name="ballot_item_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.proposal_id}×{self.points}"


class Result(TimeStampedModel):
    """One computation of an envelope's result: the rule, the digest of the inputs (the
    SHA-256 of the exported Pabulib file) and the outcome, so anyone can recompute it."""

    envelope = models.ForeignKey(
        Envelope, verbose_name=_("enveloppe"), on_delete=models.CASCADE, related_name="results"
    )
    rule = models.CharField(_("règle"), max_length=14, choices=ResultRule.choices)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices)
    inputs_digest = models.CharField(_("empreinte des données (SHA-256)"), max_length=64)
    ballot_count = models.PositiveIntegerField(_("bulletins"), default=0)
    paper_ballot_count = models.PositiveIntegerField(_("dont bulletins papier"), default=0)
    selected = models.JSONField(_("projets retenus"), default=list)
    total_cost = models.PositiveBigIntegerField(_("coût total retenu (€)"), default=0)
    trace = models.JSONField(_("déroulé du calcul"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("résultat")
        verbose_name_plural = _("résultats")
        ordering = ["envelope", "-computed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["envelope"], condition=Q(published_at__isnull=False), name="result_one_published"
            )
        ]

    def __str__(self) -> str:
        return f"{self.envelope} — {self.rule} ({self.computed_at:%Y-%m-%d})"


# --------------------------------------------------------------------------- moderation


class AbuseReportStatus(models.TextChoices):
    OPEN = "open", _("à traiter")
    UPHELD = "upheld", _("retenu (contenu masqué)")
    DISMISSED = "dismissed", _("écarté")


class AbuseReport(TimeStampedModel):
    """A participant's report of a proposal or a free-text answer. One per reporter and
    contribution, so that one person cannot trigger the automatic hiding alone."""

    reporter = models.ForeignKey(
        Participant, verbose_name=_("signalé par"), on_delete=models.CASCADE, related_name="abuse_reports"
    )
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="abuse_reports"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="abuse_reports"
    )
    reason = models.CharField(_("motif"), max_length=500)
    status = models.CharField(
        _("statut"), max_length=10, choices=AbuseReportStatus.choices, default=AbuseReportStatus.OPEN
    )
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("signalement d'abus")
        verbose_name_plural = _("signalements d'abus")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False, answer__isnull=True)
                | Q(proposal__isnull=True, answer__isnull=False),
                name="abuse_report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "proposal"],
                condition=Q(proposal__isnull=False),
                name="abuse_report_once_proposal",
            ),
            models.UniqueConstraint(
                fields=["reporter", "answer"],
                condition=Q(answer__isnull=False),
                name="abuse_report_once_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"report #{self.pk}"
