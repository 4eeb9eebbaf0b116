"""The territory: an organisation (EPCI or single commune), its communes and their zones."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel

siren_validator = RegexValidator(r"^\d{9}$", _("Un SIREN compte 9 chiffres."))
insee_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$", _("Un code INSEE compte 5 caractères (chiffres, ou 2A/2B en Corse).")
)


class OrganisationKind(models.TextChoices):
    COMMUNE = "COM", _("Commune")
    COMMUNAUTE_COMMUNES = "CC", _("Communauté de communes")
    COMMUNAUTE_AGGLOMERATION = "CA", _("Communauté d'agglomération")
    COMMUNAUTE_URBAINE = "CU", _("Communauté urbaine")
    METROPOLE = "METRO", _("Métropole")
    ETABLISSEMENT_TERRITORIAL = "EPT", _("Établissement public territorial")


class Organisation(TimeStampedModel):
    """The local government that installs Territoire: an EPCI, or a commune on its own."""

    siren = models.CharField(_("SIREN"), max_length=9, unique=True, validators=[siren_validator])
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("nature"), max_length=8, choices=OrganisationKind.choices)
    slug = models.SlugField(_("identifiant court"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # Per-process snapshots of the territory (reports.locate) ask for the latest change
        # on every request: the index answers without reading every row.
        indexes = [models.Index(fields=["updated_at"], name="territory_org_updated")]

    def __str__(self) -> str:
        return self.name

    @property
    def population(self) -> int:
        return sum(self.communes.values_list("population", flat=True))


class Commune(TimeStampedModel):
    insee_code = models.CharField(_("code INSEE"), max_length=5, unique=True, validators=[insee_validator])
    name = models.CharField(_("nom"), max_length=200)
    population = models.PositiveIntegerField(_("population"), default=0)
    postcodes = models.JSONField(_("codes postaux"), default=list, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communes",
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]
        # Per-process snapshots of the territory (reports.locate) ask for the latest change
        # on every request: the index answers without reading every row.
        indexes = [models.Index(fields=["updated_at"], name="territory_commune_updated")]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"


class Zone(TimeStampedModel):
    """A district of a commune, with its polygon (GeoJSON, WGS 84)."""

    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="zones"
    )
    name = models.CharField(_("nom"), max_length=200)
    code = models.SlugField(_("code"), max_length=100)
    geometry = models.JSONField(_("géométrie (GeoJSON)"))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("quartier")
        verbose_name_plural = _("quartiers")
        ordering = ["commune", "name"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "code"], name="zone_unique_code_per_commune")
        ]
        # Per-process snapshots of the territory (reports.locate) ask for the latest change
        # on every request: without the index that reads every row, and a zone's row holds
        # its polygon (a page or more each).
        indexes = [models.Index(fields=["updated_at"], name="territory_zone_updated")]

    def __str__(self) -> str:
        return self.name


class ScopeKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    COMMUNE = "commune", _("Commune")


class Scope(models.Model):
    """What a figure is about: the whole organisation or one commune.

    Targets and measurements point here, so one unique constraint covers both kinds.
    Its code is the SIREN (organisation) or the INSEE code (commune); their lengths
    differ, so codes never collide.
    """

    kind = models.CharField(_("nature"), max_length=12, choices=ScopeKind.choices)
    code = models.CharField(_("code"), max_length=9, unique=True)
    organisation = models.OneToOneField(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="scope"
    )
    commune = models.OneToOneField(
        Commune, null=True, blank=True, on_delete=models.CASCADE, related_name="scope"
    )

    class Meta:
        verbose_name = _("périmètre")
        verbose_name_plural = _("périmètres")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="organisation", organisation__isnull=False, commune__isnull=True)
                    | Q(kind="commune", organisation__isnull=True, commune__isnull=False)
                ),
                name="scope_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.commune)

    @property
    def name(self) -> str:
        target = self.organisation or self.commune
        return target.name if target is not None else self.code

    @property
    def owning_organisation_id(self) -> int | None:
        if self.organisation_id is not None:
            return self.organisation_id
        return self.commune.organisation_id if self.commune is not None else None


class Role(models.TextChoices):
    ELU = "elu", _("Élu")
    CHEF_PROJET = "chef_projet", _("Chef de projet / DSI")
    AGENT = "agent", _("Agent")
    DPO = "dpo", _("Délégué à la protection des données")
    RSSI = "rssi", _("RSSI")
    ADMINISTRATEUR = "admin", _("Administrateur")


class Membership(TimeStampedModel):
    """A staff member's role in an organisation, for one commune or for all of it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Vide : le rôle vaut pour toute l'organisation."),
        related_name="memberships",
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("rôle d'un membre")
        verbose_name_plural = _("rôles des membres")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "commune", "role"], name="membership_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=Q(commune__isnull=True),
                name="membership_unique_org_wide",
            ),
        ]

    def __str__(self) -> str:
        where = self.commune.name if self.commune else self.organisation.name
        return f"{self.user} — {self.get_role_display()} — {where}"


# Sent when an organisation is created, so that modules can set it up (the roadmap
# template, for instance) without the territory app knowing them.
import django.dispatch  # noqa: E402

organisation_created = django.dispatch.Signal()


class Address(models.Model):
    """A postal address of the Base Adresse Nationale (BAN), with its point (WGS 84).

    Imported per commune from the BAN's per-département CSV (``territory.ban``); public
    open data (Licence Ouverte), no personal data. ``street_key`` is the street's name
    accent-free and lowercase: the search (``territory.addresses``) compares it, and the
    words of every street sit in ``StreetWord`` to find a street from any of its words.
    """

    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="addresses"
    )
    ban_id = models.CharField(_("identifiant BAN"), max_length=60, unique=True)
    number = models.PositiveIntegerField(_("numéro"), null=True, blank=True)
    suffix = models.CharField(_("indice de répétition"), max_length=20, blank=True)
    street = models.CharField(_("voie"), max_length=200)
    street_key = models.CharField(_("voie (forme normalisée)"), max_length=200)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("adresse")
        verbose_name_plural = _("adresses")
        indexes = [
            # Search: a street's numbers; reverse lookup: a band of latitude, then longitude.
            models.Index(fields=["commune", "street_key", "number"], name="territory_address_street"),
            models.Index(fields=["lat", "lon"], name="territory_address_point"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="territory_address_point_range",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def housenumber(self) -> str:
        if self.number is None:
            return ""
        return f"{self.number} {self.suffix}".strip()

    @property
    def label(self) -> str:
        """``12 bis rue des Écoles, 44000 Nantes`` (the commune must be loaded)."""
        street = f"{self.housenumber} {self.street}".strip()
        return f"{street}, {self.postcode} {self.commune.name}".replace(" ,", ",").strip()


class StreetWord(models.Model):
    """One word of a street's normalised name: the search finds streets by any word's prefix."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=50)
    street_key = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("mot d'une voie")
        verbose_name_plural = _("mots des voies")
        indexes = [models.Index(fields=["word"], name="territory_streetword_word")]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "word", "street_key"], name="territory_streetword_once"
            )
        ]

    def __str__(self) -> str:
        return self.word
