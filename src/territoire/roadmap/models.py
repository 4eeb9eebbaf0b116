"""The roadmap: axes, objectives, risks, partners, projects, decisions and funding."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel
from territoire.indicators.models import IndicatorDefinition
from territoire.territory.models import Commune, Membership, Organisation

score_validators = [MinValueValidator(1), MaxValueValidator(5)]


class Axis(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="axes"
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("axe prioritaire")
        verbose_name_plural = _("axes prioritaires")
        ordering = ["organisation", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="axis_unique_code")]

    def __str__(self) -> str:
        return self.name


class Objective(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="objectives"
    )
    axis = models.ForeignKey(Axis, verbose_name=_("axe"), on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("objectif"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    deadline = models.DateField(_("échéance"))
    indicators = models.ManyToManyField(
        IndicatorDefinition, verbose_name=_("indicateurs de succès"), blank=True, related_name="objectives"
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("objectif")
        verbose_name_plural = _("objectifs")
        ordering = ["axis__position", "position", "title"]

    def __str__(self) -> str:
        return self.title


class RiskStatus(models.TextChoices):
    IDENTIFIED = "identified", _("identifié")
    MITIGATING = "mitigating", _("en cours de traitement")
    UNDER_CONTROL = "under_control", _("maîtrisé")
    OCCURRED = "occurred", _("survenu")
    CLOSED = "closed", _("clos")


class Risk(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="risks"
    )
    axis = models.ForeignKey(
        Axis, verbose_name=_("axe"), null=True, blank=True, on_delete=models.SET_NULL, related_name="risks"
    )
    title = models.CharField(_("risque"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    likelihood = models.PositiveSmallIntegerField(_("probabilité (1–5)"), validators=score_validators)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"), validators=score_validators)
    mitigation = models.TextField(_("mesures de maîtrise"), blank=True)
    # Who answers for the risk: a member of staff, or a named role ("RSSI", "DSI"), or both.
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsable (personne)"),
        null=True,
        blank=True,
        # A person who answers for a risk is replaced before their account is deleted.
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the partial index below: most risks name a role only
        help_text=_("Un membre de l'équipe de l'organisation."),
    )
    owner = models.CharField(
        _("responsable (fonction)"),
        max_length=200,
        blank=True,
        help_text=_("Une fonction nommée, par exemple « RSSI » ou « Chef de projet / DSI »."),
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=RiskStatus.choices, default=RiskStatus.IDENTIFIED
    )

    class Meta:
        verbose_name = _("risque")
        verbose_name_plural = _("risques")
        # By criticality (probability × impact), highest first, as the register says.
        ordering = ["organisation", (F("likelihood") * F("impact")).desc(), "-impact", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5), name="risk_likelihood_1_5"
            ),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"),
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False) | ~Q(owner=""), name="risk_has_owner"
            ),
        ]
        indexes = [
            models.Index(fields=["owner_user"], name="risk_owner_user", condition=Q(owner_user__isnull=False))
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.owner_user_id is None and not self.owner.strip():
            raise ValidationError(
                {"owner": _("Un risque a un responsable : choisissez une personne ou nommez une fonction.")}
            )
        if (
            self.owner_user_id is not None
            and self.organisation_id is not None
            and not Membership.objects.filter(
                user_id=self.owner_user_id, organisation_id=self.organisation_id
            ).exists()
        ):
            raise ValidationError(
                {"owner_user": _("Le responsable doit être membre de l'équipe de l'organisation.")}
            )

    @property
    def owner_label(self) -> str:
        """The person (with the named role when there is one), or the named role."""
        if self.owner_user is None:
            return self.owner
        person = self.owner_user.get_full_name() or self.owner_user.get_username()
        return f"{person} ({self.owner})" if self.owner else person

    @property
    def criticality(self) -> int:
        return self.likelihood * self.impact


class PartnerKind(models.TextChoices):
    OPERATEUR = "operateur", _("opérateur")
    SYNDICAT_MIXTE = "syndicat_mixte", _("syndicat mixte")
    ETAT = "etat", _("État")
    ASSOCIATION = "association", _("association")
    EDITEUR = "editeur", _("éditeur")
    INTEGRATEUR = "integrateur", _("intégrateur")
    FINANCEUR = "financeur", _("financeur")
    ENERGETICIEN = "energeticien", _("énergéticien")
    ASSUREUR = "assureur", _("assureur")
    UNIVERSITE = "universite", _("université")
    STARTUP = "startup", _("startup civique")
    AUTRE = "autre", _("autre")


class Partner(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="partners"
    )
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("nature"), max_length=20, choices=PartnerKind.choices)
    description = models.TextField(_("rôle"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    axes = models.ManyToManyField(Axis, verbose_name=_("axes"), blank=True, related_name="partners")

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="partner_unique_name")]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    IDEA = "idea", _("idée")
    PLANNED = "planned", _("planifié")
    IN_PROGRESS = "in_progress", _("en cours")
    DONE = "done", _("livré")
    SUSPENDED = "suspended", _("suspendu")
    CANCELLED = "cancelled", _("abandonné")


ACTIVE_PROJECT_STATUSES = (
    ProjectStatus.IDEA,
    ProjectStatus.PLANNED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.SUSPENDED,
)


class Project(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="projects"
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
        help_text=_("Vide : projet de toute l'organisation."),
    )
    axis = models.ForeignKey(Axis, verbose_name=_("axe"), on_delete=models.PROTECT, related_name="projects")
    objectives = models.ManyToManyField(
        Objective, verbose_name=_("objectifs"), blank=True, related_name="projects"
    )
    title = models.CharField(_("projet"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    value_score = models.PositiveSmallIntegerField(
        _("valeur socio-économique (1–5)"), validators=score_validators
    )
    complexity_score = models.PositiveSmallIntegerField(_("complexité (1–5)"), validators=score_validators)
    cost = models.DecimalField(_("coût prévu (€)"), max_digits=14, decimal_places=2, default=Decimal(0))
    spent = models.DecimalField(_("dépensé (€)"), max_digits=14, decimal_places=2, default=Decimal(0))
    target_year = models.PositiveSmallIntegerField(_("année cible"))
    target_quarter = models.PositiveSmallIntegerField(
        _("trimestre cible"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.IDEA
    )
    progress = models.PositiveSmallIntegerField(
        _("avancement (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    sponsor = models.CharField(_("élu référent"), max_length=200, blank=True)
    product_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("product owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_projects",
    )

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["organisation", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_score__gte=1, value_score__lte=5), name="project_value_1_5"
            ),
            models.CheckConstraint(
                condition=Q(complexity_score__gte=1, complexity_score__lte=5), name="project_complexity_1_5"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="project_progress_0_100"
            ),
            models.CheckConstraint(
                condition=Q(target_quarter__gte=1, target_quarter__lte=4), name="project_quarter_1_4"
            ),
            models.CheckConstraint(
                condition=Q(cost__gte=0) & Q(spent__gte=0), name="project_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quarter_label(self) -> str:
        return f"T{self.target_quarter} {self.target_year}"


class Committee(models.TextChoices):
    BUREAU = "bureau", _("bureau exécutif")
    COMITE_STRATEGIQUE = "comite_strategique", _("comité stratégique")
    CONSEIL = "conseil", _("conseil communautaire / municipal")
    COMITE_ETHIQUE = "comite_ethique", _("comité éthique et numérique")


class Decision(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="decisions"
    )
    committee = models.CharField(_("instance"), max_length=30, choices=Committee.choices)
    date = models.DateField(_("date"))
    title = models.CharField(_("décision"), max_length=300)
    text = models.TextField(_("texte"), blank=True)
    projects = models.ManyToManyField(
        Project, verbose_name=_("projets concernés"), blank=True, related_name="decisions"
    )

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["organisation", "-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} — {self.title}"


class FundingKind(models.TextChoices):
    SUBVENTION = "subvention", _("subvention")
    AUTOFINANCEMENT = "autofinancement", _("autofinancement")
    PERFORMANCE = "performance", _("mécanisme de performance")
    MUTUALISATION = "mutualisation", _("mutualisation intercommunale")
    EMPRUNT = "emprunt", _("emprunt")


class FundingLine(TimeStampedModel):
    project = models.ForeignKey(
        Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="funding_lines"
    )
    kind = models.CharField(_("nature"), max_length=20, choices=FundingKind.choices)
    amount = models.DecimalField(_("montant (€)"), max_digits=14, decimal_places=2)
    funder = models.ForeignKey(
        Partner,
        verbose_name=_("financeur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funding_lines",
    )
    label = models.CharField(_("libellé"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ligne de financement")
        verbose_name_plural = _("lignes de financement")
        ordering = ["project", "kind"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="funding_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} €"


class CostShare(models.Model):
    """A commune's share of a mutualised project's cost, in percent."""

    project = models.ForeignKey(
        Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="cost_shares"
    )
    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="cost_shares"
    )
    share_percent = models.DecimalField(
        _("quote-part (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("quote-part mutualisée")
        verbose_name_plural = _("quotes-parts mutualisées")
        constraints = [
            models.UniqueConstraint(fields=["project", "commune"], name="costshare_unique"),
            models.CheckConstraint(
                condition=Q(share_percent__gte=0, share_percent__lte=100), name="costshare_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune} {self.share_percent} %"

    @property
    def amount(self) -> Decimal:
        return (self.project.cost * self.share_percent / 100).quantize(Decimal("0.01"))
