"""Participatory budgets: phases, envelopes, categories, proposals, ballots (one per
participant and envelope), results."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel
from territoire.participation.models.eligibility import EligibilityRules
from territoire.participation.models.participants import Participant
from territoire.territory.models import Zone


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
    unspent_destination = models.TextField(
        _("destination du montant non attribué"),
        blank=True,
        help_text=_(
            "Ce que devient la part de l'enveloppe qu'aucun projet retenu n'utilise "
            "(reportée à l'édition suivante, rendue au budget général…), publié avec les résultats."
        ),
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
    # Random, renewed at each change of an online ballot; proves it is recorded, says nothing
    # of its content (see services.ballots.new_receipt_code).
    receipt_code = models.CharField(_("code de reçu"), max_length=16, blank=True, db_index=True)
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
