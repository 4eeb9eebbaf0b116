"""The indicator spine: definitions, targets and append-only measurements."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from territoire.core.models import AppendOnlyModel, TimeStampedModel
from territoire.territory.models import Organisation, Scope

code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$",
    _("Un code d'indicateur s'écrit en minuscules, chiffres, « _ » et « . » (ex. : reports.median_delay)."),
)


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", _("plus haut = mieux")
    LOWER_IS_BETTER = "lower", _("plus bas = mieux")


class Source(models.TextChoices):
    MANUAL = "manual", _("saisie manuelle")
    IMPORTED = "imported", _("import")
    COMPUTED = "computed", _("calculé par un module")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    INTERNAL = "internal", _("interne")


class Periodicity(models.TextChoices):
    MONTHLY = "monthly", _("mensuelle")
    QUARTERLY = "quarterly", _("trimestrielle")
    YEARLY = "yearly", _("annuelle")


class Aggregate(models.TextChoices):
    """How commune figures combine into the organisation's figure."""

    SUM = "sum", _("somme")
    MEAN = "mean", _("moyenne simple")
    POPULATION_WEIGHTED_MEAN = "population_weighted_mean", _("moyenne pondérée par la population")
    MIN = "min", _("minimum")
    MAX = "max", _("maximum")
    NONE = "none", _("pas d'agrégation (mesuré au niveau de l'organisation)")


class IndicatorDefinition(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unité"), max_length=40, blank=True)
    direction = models.CharField(_("sens"), max_length=8, choices=Direction.choices)
    method = models.TextField(
        _("méthode de calcul"), help_text=_("Affichée publiquement avec chaque chiffre.")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    periodicity = models.CharField(
        _("périodicité"), max_length=10, choices=Periodicity.choices, default=Periodicity.MONTHLY
    )
    aggregate = models.CharField(
        _("agrégation à l'organisation"), max_length=30, choices=Aggregate.choices, default=Aggregate.NONE
    )
    decimals = models.PositiveSmallIntegerField(_("décimales affichées"), default=1)
    method_version = models.PositiveIntegerField(_("version de la méthode"), default=1)
    module = models.CharField(
        _("module"), max_length=50, blank=True, help_text=_("Module qui calcule l'indicateur.")
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicators",
        help_text=_("Vide : indicateur du catalogue commun."),
    )

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class Target(TimeStampedModel):
    indicator = models.ForeignKey(
        IndicatorDefinition, verbose_name=_("indicateur"), on_delete=models.CASCADE, related_name="targets"
    )
    scope = models.ForeignKey(
        Scope, verbose_name=_("périmètre"), on_delete=models.CASCADE, related_name="targets"
    )
    baseline_value = models.DecimalField(_("valeur de référence"), max_digits=20, decimal_places=6)
    baseline_date = models.DateField(_("date de référence"))
    target_value = models.DecimalField(_("valeur cible"), max_digits=20, decimal_places=6)
    target_date = models.DateField(_("échéance"))

    class Meta:
        verbose_name = _("cible")
        verbose_name_plural = _("cibles")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "scope"], name="target_one_per_indicator_scope"),
            models.CheckConstraint(
                condition=Q(target_date__gt=F("baseline_date")), name="target_after_baseline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} → {self.target_value} ({self.target_date:%Y-%m-%d})"

    def clean(self) -> None:
        # The forms' check of the rule ``services.set_target`` enforces (the admin's form).
        from territoire.indicators.services.storage import target_problems

        if self.indicator_id and self.scope_id and self.target_date:
            problems = target_problems(self.indicator, self.scope, self.target_date)
            if problems:
                raise ValidationError({"target_date": problems})


class MeasurementOrigin(models.TextChoices):
    MANUAL = "manual", _("saisie")
    IMPORT = "import", _("import CSV")
    API = "api", _("API")
    COMPUTED = "computed", _("calcul")
    AGGREGATED = "aggregated", _("agrégation des communes")
    DEMO = "demo", _("démonstration")


class Measurement(AppendOnlyModel):
    """One figure of an indicator for a scope and a period.

    Append-only: a correction is a new row (``version`` + 1) that supersedes the old
    one; the old row stays, flagged ``is_current=False``. The database guarantees at
    most one current row per indicator, scope and period.
    """

    indicator = models.ForeignKey(
        IndicatorDefinition,
        verbose_name=_("indicateur"),
        on_delete=models.CASCADE,
        related_name="measurements",
    )
    scope = models.ForeignKey(
        Scope, verbose_name=_("périmètre"), on_delete=models.CASCADE, related_name="measurements"
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    value = models.DecimalField(_("valeur"), max_digits=20, decimal_places=6)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("en vigueur"), default=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("remplace"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    origin = models.CharField(_("origine"), max_length=12, choices=MeasurementOrigin.choices)
    provenance = models.CharField(
        _("provenance"), max_length=200, help_text=_("Qui ou quoi, et la version de la méthode.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("mesure")
        verbose_name_plural = _("mesures")
        ordering = ["indicator", "scope", "period_start", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "scope", "period_start", "period_end"],
                condition=Q(is_current=True),
                name="measurement_one_current_per_period",
            ),
            models.UniqueConstraint(
                fields=["indicator", "scope", "period_start", "period_end", "version"],
                name="measurement_unique_version",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="measurement_period_ordered"
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope", "indicator", "is_current", "period_start"], name="measurement_series"
            ),
            models.Index(fields=["indicator", "period_start"], name="measurement_by_period"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}@{self.scope_id} {self.period_start}–{self.period_end}: {self.value}"


class PendingImport(models.Model):
    """An uploaded file between its preview and its confirmation, for the one person who
    sent it. Deleted when applied or replaced; ``services.staging`` drops those older than
    a day. Figures only: no personal data beyond who sent it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("fichier"), max_length=200)
    content = models.BinaryField(_("contenu"))
    # What the preview saw of the figures it would change: applying checks it again.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("import en attente de confirmation")
        verbose_name_plural = _("imports en attente de confirmation")

    def __str__(self) -> str:
        return self.filename
