"""Who may take part in a process: the rules shared by consultations and budgets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from territoire.territory.models import Commune, Organisation, Zone


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
