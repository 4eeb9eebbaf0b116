"""Residents who take part (``Participant``), the census list (keyed hashes only) and
the reference population of a commune."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel
from territoire.territory.models import Commune, Zone

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


class CensusAttempt(models.Model):
    """One failed census check, kept to bound the guesses (issue 17: the birth-date oracle).

    ``name_key`` is HMAC(commune salt, normalised "LAST|FIRST"): the person aimed at, so
    that guesses of one resident's birth date count against them from many accounts, and
    never the clear name. Rows older than the budget window serve no purpose.
    """

    participant = models.ForeignKey(
        Participant, verbose_name=_("participant"), on_delete=models.CASCADE, related_name="+"
    )
    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="+"
    )
    name_key = models.CharField(_("empreinte du nom"), max_length=64)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("tentative de vérification échouée")
        verbose_name_plural = _("tentatives de vérification échouées")
        indexes = [
            models.Index(fields=["participant", "created_at"], name="census_attempt_participant"),
            models.Index(fields=["commune", "name_key", "created_at"], name="census_attempt_name"),
        ]

    def __str__(self) -> str:
        return f"census attempt {self.pk}"


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
