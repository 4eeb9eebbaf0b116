"""Reads for the legal pages: the organisation's notice with its defaults, the processings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from territoire.core import modules
from territoire.legal.models import LICENCE_URLS, SiteNotice
from territoire.territory.models import Organisation, OrganisationKind

# The personal data a module declares (``Processing.data``), in words for residents.
DATA_LABELS: dict[str, str | Promise] = {
    "email": gettext_lazy("adresse électronique"),
    "first_name": gettext_lazy("prénom"),
    "last_name": gettext_lazy("nom"),
    "phone": gettext_lazy("téléphone"),
    "device_id": gettext_lazy("identifiant d'appareil (application mobile)"),
    "account_id": gettext_lazy("identifiant de compte (application mobile)"),
    "commune": gettext_lazy("commune de résidence"),
    "birth_year": gettext_lazy("année de naissance"),
    "age_band": gettext_lazy("tranche d'âge"),
    "zone": gettext_lazy("quartier"),
    "gender": gettext_lazy("genre (facultatif)"),
    "keyed hash of last name, first names, birth date": gettext_lazy(
        "empreinte chiffrée du nom, des prénoms et de la date de naissance (jamais en clair)"
    ),
}


def notice_for(organisation: Organisation) -> SiteNotice:
    """The organisation's notice, or an unsaved one with the defaults (the pages need no row)."""
    notice = SiteNotice.objects.filter(organisation=organisation).prefetch_related("processings").first()
    if notice is None:
        notice = SiteNotice(organisation=organisation)
    return notice


def default_publisher(organisation: Organisation) -> str:
    if organisation.kind == OrganisationKind.COMMUNE:
        return _("Le maire ou la maire de %(name)s") % {"name": organisation.name}
    return _("Le président ou la présidente de %(name)s") % {"name": organisation.name}


def default_contact_email() -> str:
    return str(settings.TERRITOIRE.get("OPEN311_CONTACT") or settings.DEFAULT_FROM_EMAIL)


@dataclass(frozen=True)
class Facts:
    """What the pages print: the notice's values, or the defaults from the organisation."""

    notice: SiteNotice
    organisation: Organisation
    publisher: str
    contact_email: str
    accessibility_contact: str
    licence_url: str
    site_url: str


def facts(organisation: Organisation) -> Facts:
    notice = notice_for(organisation)
    contact = notice.contact_email or default_contact_email()
    return Facts(
        notice=notice,
        organisation=organisation,
        publisher=notice.publisher or default_publisher(organisation),
        contact_email=contact,
        accessibility_contact=notice.accessibility_contact or contact,
        licence_url=LICENCE_URLS.get(notice.data_licence, ""),
        site_url=str(settings.TERRITOIRE["SITE_URL"]),
    )


@dataclass(frozen=True)
class ProcessingRow:
    name: str
    module: str
    label: Any
    purpose: Any
    data: list[Any]
    legal_basis: str
    retention: str
    rights_online: bool


def processings(notice: SiteNotice) -> list[ProcessingRow]:
    """Every processing the installed modules declare, with the controller's decisions.

    The decision recorded for the organisation wins over the manifest's; neither: empty
    (the page says the controller has not stated it yet).
    """
    decisions = {d.processing: d for d in notice.processings.all()} if notice.pk else {}
    rows = []
    for module, processing in modules.processings():
        decision = decisions.get(processing.name)
        rows.append(
            ProcessingRow(
                name=processing.name,
                module=module,
                label=processing.label,
                purpose=processing.purpose,
                data=[DATA_LABELS.get(item, item) for item in processing.data],
                legal_basis=(decision.legal_basis if decision else "") or str(processing.legal_basis),
                retention=(decision.retention if decision else "") or str(processing.retention),
                rights_online=processing.exporter is not None and processing.eraser is not None,
            )
        )
    return rows


def processing_choices() -> list[tuple[str, str]]:
    """``(name, label)`` of the declared processings (the back-office's choices)."""
    return [(p.name, f"{p.name} — {p.label}") for _module, p in modules.processings()]
