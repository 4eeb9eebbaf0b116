"""What a French public site must publish, per organisation: its legal notice (loi pour la
confiance dans l'économie numérique, art. 6), its accessibility statement (loi du
11 février 2005, art. 47; RGAA 4.1) and its privacy information (RGPD, art. 13 and 14).

Every field may stay empty: the pages then say what the organisation's own data allows
(its name, SIREN, the site's address) and, for a decision that only the organisation can
make (a legal basis, an audit's result), that it has not been made yet.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel


class Conformity(models.TextChoices):
    # RGAA 4.1: without an audit, a site declares itself "non conforme".
    NONE = "non", _("non conforme")
    PARTIAL = "partielle", _("partiellement conforme")
    FULL = "totale", _("totalement conforme")


class DataLicence(models.TextChoices):
    # The licences a French administration may choose for its open data (décret n° 2017-638).
    LICENCE_OUVERTE = "lo-2.0", _("Licence Ouverte / Open Licence 2.0 (Etalab)")
    ODBL = "odbl-1.0", _("Open Database License (ODbL) 1.0")


LICENCE_URLS: dict[str, str] = {
    DataLicence.LICENCE_OUVERTE: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    DataLicence.ODBL: "https://opendatacommons.org/licenses/odbl/1-0/",
}


class SiteNotice(TimeStampedModel):
    """The organisation's legal notice, accessibility statement and privacy contacts."""

    organisation = models.OneToOneField(
        "territory.Organisation", on_delete=models.CASCADE, related_name="site_notice"
    )
    # Legal notice
    publisher = models.CharField(
        _("directeur ou directrice de la publication"),
        max_length=200,
        blank=True,
        help_text=_("Par défaut : l'exécutif de la collectivité."),
    )
    postal_address = models.TextField(_("adresse postale"), blank=True)
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    host = models.TextField(
        _("hébergeur"), blank=True, help_text=_("Nom, adresse et téléphone de l'hébergeur du site.")
    )
    legal_extra = models.TextField(_("mentions complémentaires"), blank=True)
    data_licence = models.CharField(
        _("licence des données publiées"),
        max_length=10,
        choices=DataLicence.choices,
        default=DataLicence.LICENCE_OUVERTE,
    )
    # Accessibility statement (RGAA 4.1)
    conformity = models.CharField(
        _("état de conformité"), max_length=10, choices=Conformity.choices, default=Conformity.NONE
    )
    compliance_rate = models.DecimalField(
        _("taux de conformité (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    audit_date = models.DateField(_("date de l'audit"), null=True, blank=True)
    audit_by = models.CharField(_("audit réalisé par"), max_length=200, blank=True)
    technologies = models.CharField(
        _("technologies utilisées"), max_length=300, default="HTML5, CSS, SVG, JavaScript (facultatif)"
    )
    non_conformities = models.TextField(_("contenus non accessibles : non-conformités"), blank=True)
    derogations = models.TextField(_("dérogations pour charge disproportionnée"), blank=True)
    exempt_content = models.TextField(_("contenus non soumis à l'obligation d'accessibilité"), blank=True)
    accessibility_contact = models.TextField(
        _("contact accessibilité"),
        blank=True,
        help_text=_("Par défaut : l'adresse de contact."),
    )
    multiyear_plan = models.TextField(_("schéma pluriannuel de mise en accessibilité"), blank=True)
    action_plan = models.TextField(_("plan d'action de l'année"), blank=True)
    # Privacy
    dpo_contact = models.TextField(
        _("contact du délégué à la protection des données"),
        blank=True,
        help_text=_("Nom ou service, adresse électronique et postale du DPO."),
    )
    privacy_extra = models.TextField(_("informations complémentaires"), blank=True)

    class Meta:
        verbose_name = _("informations légales du site")
        verbose_name_plural = _("informations légales du site")

    def __str__(self) -> str:
        return str(self.organisation)


class ProcessingDecision(TimeStampedModel):
    """The controller's decisions on one processing a module declares (``Processing.name``)."""

    notice = models.ForeignKey(SiteNotice, on_delete=models.CASCADE, related_name="processings")
    processing = models.CharField(_("traitement"), max_length=100)
    legal_basis = models.TextField(_("base légale"), blank=True)
    retention = models.TextField(_("durée de conservation"), blank=True)

    class Meta:
        verbose_name = _("décision sur un traitement")
        verbose_name_plural = _("décisions sur les traitements")
        ordering = ["notice", "processing"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "processing"], name="legal_processing_unique"),
        ]

    def __str__(self) -> str:
        return self.processing
