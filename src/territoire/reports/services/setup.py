"""Set-up of an organisation's reports: statuses, categories and their questions, crews."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.reports.models import (
    DEFAULT_STATUSES,
    VERSION_KEY,
    AttributeDatatype,
    Crew,
    Open311State,
    Report,
    ReportStatus,
    ServiceAttribute,
    ServiceCategory,
    ServiceType,
)
from territoire.reports.services.errors import FieldError, ReportError
from territoire.territory.models import Organisation

if TYPE_CHECKING:
    pass


# English of the default statuses (django-modeltranslation's label_en): staff edit both.
DEFAULT_STATUS_ENGLISH = {
    "nouveau": "New",
    "pris-en-compte": "Acknowledged",
    "planifie": "Scheduled",
    "en-cours": "In progress",
    "resolu": "Resolved",
    "non-pertinent": "Not relevant",
    "doublon": "Duplicate",
}


def ensure_default_statuses(organisation: Organisation) -> list[ReportStatus]:
    """Create the seven default statuses of ``organisation`` if it has none (idempotent)."""
    existing = list(ReportStatus.objects.filter(organisation=organisation))
    if existing:
        return existing
    return ReportStatus.objects.bulk_create(
        [
            ReportStatus(
                organisation=organisation,
                code=code,
                label=label,
                label_fr=label,
                label_en=DEFAULT_STATUS_ENGLISH.get(code),
                open311_state=state,
                position=(index + 1) * 10,
                requires_answer=requires_answer,
                is_initial=initial,
                is_duplicate=duplicate,
            )
            for index, (code, label, state, requires_answer, initial, duplicate) in enumerate(
                DEFAULT_STATUSES
            )
        ]
    )


def on_organisation_created(sender: Any, organisation: Organisation, **kwargs: Any) -> None:
    ensure_default_statuses(organisation)


def initial_status(organisation: Organisation | int) -> ReportStatus:
    """The organisation's initial status (the default statuses are created if missing)."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    status = ReportStatus.objects.filter(organisation_id=org_id, is_initial=True).first()
    if status is None:
        org = organisation if isinstance(organisation, Organisation) else Organisation.objects.get(pk=org_id)
        ensure_default_statuses(org)
        status = ReportStatus.objects.get(organisation_id=org_id, is_initial=True)
    return status


@dataclass
class AttributeSpec:
    code: str
    description: str
    datatype: str
    required: bool = False
    values: list[tuple[str, str]] = field(default_factory=list)
    datatype_description: str = ""
    variable: bool = True
    # Shown on the public page; None: by ``ServiceAttribute.public_by_default`` (a choice
    # or a number yes, free text no).
    public: bool | None = None


def save_category(
    *,
    organisation: Organisation,
    service_code: str,
    name: str,
    description: str = "",
    group: str = "",
    keywords: str = "",
    type: str = ServiceType.REALTIME,
    team: str = "",
    sla_days: int | None = None,
    service_minutes: int = 20,
    attributes: Sequence[AttributeSpec] = (),
    position: int = 0,
    active: bool = True,
    actor: Any = None,
) -> ServiceCategory:
    """Create or update the category ``service_code`` of ``organisation`` and its attributes."""
    errors: list[FieldError] = []
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,64}", service_code):
        errors.append(
            FieldError("service_code", _("Code de service : lettres, chiffres, - et _ (64 au plus)."))
        )
    if not name.strip():
        errors.append(FieldError("name", _("Le nom est obligatoire.")))
    if type not in ServiceType.values:
        errors.append(FieldError("type", _("Type inconnu.")))
    seen: set[str] = set()
    for spec in attributes:
        if spec.datatype not in AttributeDatatype.values:
            errors.append(FieldError(f"attribute[{spec.code}]", _("Type de donnée inconnu.")))
        if spec.code in seen:
            errors.append(FieldError(f"attribute[{spec.code}]", _("Code en double.")))
        seen.add(spec.code)
        if (
            spec.datatype in (AttributeDatatype.SINGLEVALUELIST, AttributeDatatype.MULTIVALUELIST)
            and not spec.values
        ):
            errors.append(
                FieldError(f"attribute[{spec.code}]", _("Une liste de choix doit avoir des valeurs."))
            )
    if errors:
        raise ReportError(errors)
    with action(
        "reports.category_saved",
        actor=actor,
        organisation_id=organisation.pk,
        changes={"service_code": service_code},
        versions=(VERSION_KEY,),
    ) as act:
        category, created = ServiceCategory.objects.update_or_create(
            organisation=organisation,
            service_code=service_code,
            defaults={
                "name": name.strip(),
                "description": description,
                "group": group,
                "keywords": keywords,
                "type": type,
                "team": team,
                "sla_days": sla_days,
                "service_minutes": service_minutes,
                "position": position,
                "active": active,
            },
        )
        category.attributes.exclude(code__in=[a.code for a in attributes]).delete()
        for order, spec in enumerate(attributes, start=1):
            ServiceAttribute.objects.update_or_create(
                category=category,
                code=spec.code,
                defaults={
                    "description": spec.description,
                    "datatype": spec.datatype,
                    "datatype_description": spec.datatype_description,
                    "required": spec.required,
                    "variable": spec.variable,
                    "order": order,
                    "values": [{"key": k, "name": n} for k, n in spec.values],
                    "public": ServiceAttribute.public_by_default(spec.datatype)
                    if spec.public is None
                    else spec.public,
                },
            )
        act.name = "reports.category_created" if created else "reports.category_updated"
        act.obj = category
    return category


def update_status(status: ReportStatus, *, actor: Any = None, **fields: Any) -> ReportStatus:
    """Change a configurable status; reports in it follow a change of Open311 state."""
    allowed = {"label", "label_fr", "label_en", "open311_state", "position", "requires_answer", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ReportError(FieldError(sorted(unknown)[0], _("Champ non modifiable.")))
    if fields.get("open311_state", status.open311_state) not in Open311State.values:
        raise ReportError(FieldError("open311_state", _("État Open311 inconnu.")))
    if status.is_initial and fields.get("open311_state") == Open311State.CLOSED:
        raise ReportError(FieldError("open311_state", _("Le statut initial doit rester ouvert.")))
    with action(
        "reports.status_updated",
        actor=actor,
        obj=status,
        organisation_id=status.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        before = {k: getattr(status, k) for k in fields}
        for key, value in fields.items():
            setattr(status, key, value)
        status.save()
        if "open311_state" in fields and before["open311_state"] != status.open311_state:
            Report.objects.filter(status=status).update(is_open=status.open311_state == Open311State.OPEN)
        act.changes = {k: [str(before[k]), str(v)] for k, v in fields.items()}
    return status


def save_crew(
    *,
    organisation: Organisation,
    name: str,
    depot_lat: float,
    depot_lon: float,
    shift_minutes: int = 420,
    shift_start: time | None = None,
    team: str = "",
    depot_name: str = "",
    categories: Sequence[ServiceCategory] = (),
    actor: Any = None,
) -> Crew:
    """Create or update the crew ``name`` of ``organisation``."""
    errors = []
    if not name.strip():
        errors.append(FieldError("name", _("Le nom est obligatoire.")))
    if not (-90 <= depot_lat <= 90 and -180 <= depot_lon <= 180):
        errors.append(FieldError("depot", _("Coordonnées du dépôt hors limites.")))
    if not 0 < shift_minutes <= 24 * 60:
        errors.append(FieldError("shift_minutes", _("La journée dure entre 1 et 1 440 minutes.")))
    if any(c.organisation_id != organisation.pk for c in categories):
        errors.append(FieldError("categories", _("Catégorie d'une autre organisation.")))
    if errors:
        raise ReportError(errors)
    # A crew shows on no public page: no version to bump.
    with action("reports.crew_saved", actor=actor, organisation_id=organisation.pk, versions=()) as act:
        crew, created = Crew.objects.update_or_create(
            organisation=organisation,
            name=name.strip(),
            defaults={
                "depot_lat": depot_lat,
                "depot_lon": depot_lon,
                "shift_minutes": shift_minutes,
                "shift_start": shift_start or time(8, 0),
                "team": team,
                "depot_name": depot_name,
            },
        )
        if categories:
            crew.categories.set(categories)
        act.name = "reports.crew_created" if created else "reports.crew_updated"
        act.obj = crew
        act.changes = {"name": crew.name}
    return crew
