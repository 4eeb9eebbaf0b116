"""Every write of the reports module: intake, triage, moderation, rounds, Open311 keys.

Validation happens here, at the edge, for every entry point (web form, Open311, staff,
commands): a bad submission raises ``ReportError`` carrying one ``FieldError`` per
problem (field, French message, Open311/HTTP code) and nothing is written. Rights are
checked through ``permissions`` (built on ``territory.access``); a report outside the
caller's reach raises ``ReportNotFound`` (a 404). Each write runs in one transaction,
records the report's history (``ReportEvent``: who, when, what) and the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from territoire.api.models import ApiToken, hash_token
from territoire.core import audit
from territoire.core.actions import action
from territoire.core.cache import bump_data_version
from territoire.reports import locate, permissions
from territoire.reports.models import (
    DEFAULT_STATUSES,
    DESCRIPTION_MAX_LENGTH,
    VERSION_KEY,
    AttributeDatatype,
    Crew,
    EventKind,
    Open311State,
    QueuedRequest,
    QueueState,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportSource,
    ReportStatus,
    Round,
    RoundStop,
    ServiceAttribute,
    ServiceCategory,
    ServiceType,
    Support,
)
from territoire.territory.models import Commune, Organisation, Zone

if TYPE_CHECKING:
    from territoire.core.uploads import SanitisedImage

T = TypeVar("T")
# The app label an Open311 key's token is limited to.
MODULE = "reports"

# Text fields of a submission and their maximum lengths.
TEXT_LIMITS = {
    "address_string": 300,
    "address_id": 100,
    "first_name": 100,
    "last_name": 100,
    "phone": 40,
    "device_id": 200,
    "account_id": 200,
}
PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")
PHONE_RE = re.compile(r"^[0-9+().\-\s]{3,40}$")
ATTRIBUTE_STRING_MAX = 300
ATTRIBUTE_TEXT_MAX = 4000


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class FieldError:
    """One problem with a submission: the field (Open311 name), a French message, a code.

    ``code`` is the HTTP status the Open311 server answers with (400 bad input, 403 bad
    API key, 404 unknown jurisdiction or service).
    """

    field: str
    message: str
    code: int = 400


class ReportError(ValueError):
    """Bad input: one or more ``FieldError``; nothing has been written."""

    def __init__(self, errors: FieldError | Sequence[FieldError]) -> None:
        self.errors: list[FieldError] = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @property
    def status(self) -> int:
        """The HTTP status for the whole answer: the most serious of the errors' codes."""
        codes = {e.code for e in self.errors}
        for code in (403, 404):
            if code in codes:
                return code
        return 400

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for e in self.errors:
            out.setdefault(e.field, []).append(e.message)
        return out


class ReportNotFound(Http404):
    """The object does not exist or is outside the caller's reach (never reveal which)."""


class ReportForbidden(PermissionDenied):
    """The caller can see the object but may not do this to it (e.g. an élu closing a report)."""


# --------------------------------------------------------------------------- set-up


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
    with transaction.atomic():
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
                },
            )
        audit.record(
            "reports.category_created" if created else "reports.category_updated",
            actor=actor,
            obj=category,
            organisation_id=organisation.pk,
            changes={"service_code": service_code},
        )
    return category


def update_status(status: ReportStatus, *, actor: Any = None, **fields: Any) -> ReportStatus:
    """Change a configurable status; reports in it follow a change of Open311 state."""
    allowed = {"label", "open311_state", "position", "requires_answer", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ReportError(FieldError(sorted(unknown)[0], _("Champ non modifiable.")))
    if fields.get("open311_state", status.open311_state) not in Open311State.values:
        raise ReportError(FieldError("open311_state", _("État Open311 inconnu.")))
    if status.is_initial and fields.get("open311_state") == Open311State.CLOSED:
        raise ReportError(FieldError("open311_state", _("Le statut initial doit rester ouvert.")))
    with transaction.atomic():
        before = {k: getattr(status, k) for k in fields}
        for key, value in fields.items():
            setattr(status, key, value)
        status.save()
        if "open311_state" in fields and before["open311_state"] != status.open311_state:
            Report.objects.filter(status=status).update(is_open=status.open311_state == Open311State.OPEN)
        audit.record(
            "reports.status_updated",
            actor=actor,
            obj=status,
            organisation_id=status.organisation_id,
            changes={k: [str(before[k]), str(v)] for k, v in fields.items()},
        )
        bump_data_version(VERSION_KEY)
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
    with transaction.atomic():
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
        audit.record(
            "reports.crew_created" if created else "reports.crew_updated",
            actor=actor,
            obj=crew,
            organisation_id=organisation.pk,
            changes={"name": crew.name},
        )
    return crew


# --------------------------------------------------------------------------- intake


@dataclass
class CleanSubmission:
    """A validated submission, ready to store (or to queue, for a batch service)."""

    organisation: Organisation
    commune: Commune
    zone: Zone | None
    category: ServiceCategory
    lat: float | None
    lon: float | None
    description: str = ""
    address_string: str = ""
    address_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    media_url: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""

    def to_payload(self) -> dict[str, Any]:
        return {
            "commune": self.commune.pk,
            "zone": self.zone.pk if self.zone else None,
            "category": self.category.pk,
            "lat": self.lat,
            "lon": self.lon,
            "description": self.description,
            "address_string": self.address_string,
            "address_id": self.address_id,
            "attributes": self.attributes,
            "media_url": self.media_url,
            **{name: getattr(self, name) for name in PERSONAL_FIELDS},
        }


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return "" if value is None else str(value).strip()


def _coordinate(raw: str, name: str, low: float, high: float, errors: list[FieldError]) -> float | None:
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(FieldError(name, _("« %(name)s » doit être un nombre décimal.") % {"name": name}))
        return None
    if not math.isfinite(value) or not low <= value <= high:
        errors.append(
            FieldError(
                name,
                _("« %(name)s » doit être compris entre %(low)s et %(high)s.")
                % {"name": name, "low": int(low), "high": int(high)},
            )
        )
        return None
    return value


_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a C0 control character other than tab, line feed and return."""
    return _CONTROL_CHARACTER.search(text) is not None


def _validate_attribute(attribute: ServiceAttribute, raw: Any, errors: list[FieldError]) -> Any:
    name = f"attribute[{attribute.code}]"
    values = [str(v).strip() for v in raw] if isinstance(raw, list | tuple) else [str(raw).strip()]
    values = [v for v in values if v != ""]
    if not values:
        if attribute.required:
            errors.append(FieldError(name, _("Réponse obligatoire : %(q)s") % {"q": attribute.description}))
        return None
    datatype = attribute.datatype
    if datatype == AttributeDatatype.MULTIVALUELIST:
        unknown = [v for v in values if v not in attribute.value_keys]
        if unknown:
            errors.append(FieldError(name, _("Valeur inconnue : %(v)s.") % {"v": ", ".join(unknown)}))
            return None
        return list(dict.fromkeys(values))
    if len(values) > 1:
        errors.append(FieldError(name, _("Une seule valeur est attendue.")))
        return None
    value = values[0]
    if datatype == AttributeDatatype.SINGLEVALUELIST:
        if value not in attribute.value_keys:
            errors.append(FieldError(name, _("Valeur inconnue : %(v)s.") % {"v": value}))
            return None
        return value
    if datatype == AttributeDatatype.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            errors.append(FieldError(name, _("Un nombre est attendu.")))
            return None
        return str(number)
    if datatype == AttributeDatatype.DATETIME:
        try:
            parsed_dt = parse_datetime(value)
        except ValueError:
            parsed_dt = None
        if parsed_dt is None:
            errors.append(
                FieldError(name, _("Une date et heure ISO 8601 est attendue (2026-05-01T08:30:00+02:00)."))
            )
            return None
        return value
    limit = ATTRIBUTE_STRING_MAX if datatype == AttributeDatatype.STRING else ATTRIBUTE_TEXT_MAX
    if len(value) > limit or _has_control_characters(value):
        errors.append(
            FieldError(name, _("Texte trop long ou caractères interdits (%(n)s au plus).") % {"n": limit})
        )
        return None
    return value


def _resolve_commune(
    *,
    organisation: Organisation | None,
    jurisdiction_id: str,
    lat: float | None,
    lon: float | None,
    errors: list[FieldError],
    zone: Zone | int | str | None = None,
) -> tuple[Commune | None, Zone | None]:
    """The commune (and zone) of a submission.

    A point is located by point-in-polygon (``locate``); without coordinates, ``zone`` (a
    zone of the chosen commune) keeps the district of an address-only report.
    """
    communes = Commune.objects.select_related("organisation").filter(organisation__isnull=False)
    if organisation is not None:
        communes = communes.filter(organisation=organisation)
    chosen: Commune | None = None
    if jurisdiction_id:
        chosen = communes.filter(insee_code=jurisdiction_id).first()
        if chosen is None:
            errors.append(
                FieldError(
                    "jurisdiction_id", _("Collectivité inconnue : %(j)s.") % {"j": jurisdiction_id}, 404
                )
            )
            return None, None
    if lat is not None and lon is not None:
        index = locate.zone_index()
        if chosen is not None:
            location = index.locate(lat, lon, {chosen.pk})
        else:
            location = index.locate(lat, lon, organisation_id=organisation.pk if organisation else None)
        found = (
            Zone.objects.select_related("commune__organisation").filter(pk=location.zone_id).first()
            if location is not None
            else None
        )
        if found is None:
            errors.append(
                FieldError(
                    "lat",
                    _("Ce point est en dehors du territoire couvert : signalez-le à la commune concernée."),
                )
            )
            return None, None
        return found.commune, found
    if chosen is None:
        candidates = list(communes[:2])
        if len(candidates) == 1:
            chosen = candidates[0]
    if chosen is None:
        errors.append(
            FieldError(
                "jurisdiction_id",
                _("Sans coordonnées, précisez la commune (jurisdiction_id : son code INSEE)."),
            )
        )
        return None, None
    chosen_zone: Zone | None = None
    if zone not in (None, ""):
        zone_id: int | None
        if isinstance(zone, Zone):
            zone_id = zone.pk
        else:
            try:
                zone_id = int(str(zone).strip())
            except ValueError:
                zone_id = None
        chosen_zone = Zone.objects.filter(pk=zone_id, commune=chosen).first() if zone_id is not None else None
        if chosen_zone is None:
            errors.append(FieldError("zone", _("Quartier inconnu dans cette commune.")))
            return None, None
    return chosen, chosen_zone


def validate_submission(
    data: Mapping[str, Any],
    *,
    organisation: Organisation | None = None,
    jurisdiction_id: str = "",
    zone: Zone | int | str | None = None,
) -> CleanSubmission:
    """Check a submission (Open311 field names) and return it cleaned; raise ``ReportError``.

    ``data`` holds strings (as posted): ``service_code``, ``lat``, ``long``,
    ``address_string``, ``address_id``, ``description``, ``media_url``, ``email``,
    ``first_name``, ``last_name``, ``phone``, ``device_id``, ``account_id`` and
    ``attribute``: a mapping ``code → str | list[str]``. ``organisation`` restricts the
    communes considered (the web form of one organisation); ``jurisdiction_id`` is a
    commune's INSEE code. ``zone`` (a ``Zone`` or its id) is the district of a report
    without coordinates: it must be a zone of the commune (else an error on "zone"); with
    coordinates the zone is the one containing the point. Every problem is collected
    before raising.
    """
    errors: list[FieldError] = []
    service_code = _text(data, "service_code")
    lat = _coordinate(_text(data, "lat"), "lat", -90, 90, errors)
    lon = _coordinate(_text(data, "long") or _text(data, "lon"), "long", -180, 180, errors)
    if (lat is None) != (lon is None) and not errors:
        errors.append(
            FieldError("long" if lon is None else "lat", _("La latitude et la longitude vont ensemble."))
        )
    texts = {key: _text(data, key) for key in TEXT_LIMITS}
    for key, limit in TEXT_LIMITS.items():
        if len(texts[key]) > limit:
            errors.append(FieldError(key, _("%(n)s caractères au plus.") % {"n": limit}))
        elif _has_control_characters(texts[key]):
            errors.append(FieldError(key, _("Caractères de contrôle interdits.")))
    if texts["phone"] and not PHONE_RE.fullmatch(texts["phone"]):
        errors.append(FieldError("phone", _("Numéro de téléphone invalide.")))
    no_location = lat is None and lon is None and not texts["address_string"] and not texts["address_id"]
    if no_location and not any(e.field in ("lat", "long") for e in errors):
        errors.append(
            FieldError(
                "lat",
                _("Indiquez un lieu : coordonnées (lat et long), adresse ou identifiant d'adresse."),
            )
        )
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.append(
            FieldError(
                "description",
                _("La description compte %(n)s caractères ; %(max)s au plus.")
                % {"n": len(description), "max": DESCRIPTION_MAX_LENGTH},
            )
        )
    elif _has_control_characters(description):
        errors.append(FieldError("description", _("Caractères de contrôle interdits.")))
    email = _text(data, "email")
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append(FieldError("email", _("Adresse e-mail invalide.")))
        if len(email) > 254:
            errors.append(FieldError("email", _("Adresse e-mail trop longue.")))
    media_url = _text(data, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
            if len(media_url) > 1000:
                raise DjangoValidationError("too long")
        except DjangoValidationError:
            errors.append(FieldError("media_url", _("Lien http(s) attendu (1 000 caractères au plus).")))

    commune, zone = _resolve_commune(
        organisation=organisation,
        jurisdiction_id=jurisdiction_id.strip(),
        lat=lat,
        lon=lon,
        errors=errors,
        zone=zone,
    )
    category: ServiceCategory | None = None
    attributes: dict[str, Any] = {}
    if not service_code:
        errors.append(FieldError("service_code", _("Choisissez une catégorie (service_code).")))
    elif commune is not None:
        category = (
            ServiceCategory.objects.filter(
                organisation=commune.organisation, service_code=service_code, active=True
            )
            .prefetch_related(
                Prefetch("attributes", queryset=ServiceAttribute.objects.order_by("order", "code"))
            )
            .first()
        )
        if category is None:
            errors.append(FieldError("service_code", _("Catégorie inconnue : %(c)s.") % {"c": service_code}))
    if category is not None:
        raw_attributes = data.get("attribute") or {}
        if not isinstance(raw_attributes, Mapping):
            raw_attributes = {}
        defined = {a.code: a for a in category.attributes.all()}
        for code in raw_attributes:
            if code not in defined or not defined[code].variable:
                errors.append(FieldError(f"attribute[{code}]", _("Question inconnue pour cette catégorie.")))
        for code, attribute in defined.items():
            if not attribute.variable:
                continue
            value = _validate_attribute(attribute, raw_attributes.get(code, ""), errors)
            if value is not None:
                attributes[code] = value
    if errors:
        raise ReportError(errors)
    assert commune is not None
    assert category is not None
    assert commune.organisation is not None
    return CleanSubmission(
        organisation=commune.organisation,
        commune=commune,
        zone=zone,
        category=category,
        lat=lat,
        lon=lon,
        description=description,
        address_string=texts["address_string"],
        address_id=texts["address_id"],
        attributes=attributes,
        media_url=media_url,
        email=email,
        first_name=texts["first_name"],
        last_name=texts["last_name"],
        phone=texts["phone"],
        device_id=texts["device_id"],
        account_id=texts["account_id"],
    )


def _event(
    report: Report,
    kind: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
    is_public: bool = True,
    from_status: ReportStatus | None = None,
    to_status: ReportStatus | None = None,
    at: datetime | None = None,
) -> ReportEvent:
    """Write a history event of ``report`` now (in the caller's transaction)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return ReportEvent.objects.create(
        report=report,
        kind=kind,
        actor=user,
        actor_label=actor_label or (user.get_username() if user is not None else ""),
        message=message,
        data=data or {},
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
        created_at=at or timezone.now(),
    )


def _store(
    clean: CleanSubmission,
    *,
    source: str,
    api_key: ApiToken | None,
    requested_at: datetime | None,
    actor: Any = None,
    ip_address: str | None = None,
    photo: SanitisedImage | None = None,
    saved_files: list[Any] | None = None,
) -> Report:
    """Insert a clean submission as a report, with its photo, history event and audit record.

    The caller holds the ``action`` (transaction, audit record and version): ``_store``
    sets the action's object and what its record says.
    """
    status = initial_status(clean.organisation)
    now = requested_at or timezone.now()
    report = Report.objects.create(
        organisation=clean.organisation,
        commune=clean.commune,
        zone=clean.zone,
        category=clean.category,
        status=status,
        is_open=status.open311_state == Open311State.OPEN,
        description=clean.description,
        lat=clean.lat,
        lon=clean.lon,
        address_string=clean.address_string,
        address_id=clean.address_id,
        zipcode=(clean.commune.postcodes or [""])[0] if isinstance(clean.commune.postcodes, list) else "",
        attributes=clean.attributes,
        media_url=clean.media_url,
        source=source,
        api_key=api_key,
        requested_at=now,
        due_at=now + timedelta(days=clean.category.sla_days) if clean.category.sla_days else None,
        **{name: getattr(clean, name) for name in PERSONAL_FIELDS},
    )
    if photo is not None:
        attach_photo(report, photo, saved_files)
    _event(report, EventKind.SUBMITTED, actor=actor, to_status=status, at=now, data={"source": source})
    return report


def _submitted(
    clean: CleanSubmission, *, source: str, actor: Any = None, ip_address: str | None = None
) -> Any:
    """The action of a new report: audited as the staff member, or as the public channel."""
    staff = getattr(actor, "is_authenticated", False)
    return action(
        "reports.submitted",
        actor=actor if staff else None,
        actor_label="" if staff else f"public:{source}",
        organisation_id=clean.organisation.pk,
        changes={"category": clean.category.service_code, "commune": clean.commune.insee_code},
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    )


def attach_photo(report: Report, photo: SanitisedImage, saved_files: list[Any] | None = None) -> ReportPhoto:
    """Store a sanitised image under a random name (the caller holds the transaction).

    ``saved_files`` collects the stored file so the caller can delete it if its
    transaction rolls back (Django has no on-rollback hook).
    """
    record = ReportPhoto(
        report=report,
        content_type=photo.content_type,
        sha256=photo.sha256,
        size=len(photo.content),
        width=photo.width,
        height=photo.height,
    )
    record.file.save(f"photo.{photo.extension}", ContentFile(photo.content), save=False)
    if saved_files is not None:
        saved_files.append((record.file.storage, record.file.name))
    record.save()
    return record


def _with_files(write: Callable[[list[Any]], T]) -> T:
    """Run ``write(saved_files)``; delete the files it stored if it fails (its transaction
    rolls back, and Django has no on-rollback hook)."""
    saved: list[tuple[Any, str]] = []
    try:
        return write(saved)
    except BaseException:
        for storage, name in saved:
            storage.delete(name)
        raise


def submit_report(
    data: Mapping[str, Any],
    *,
    organisation: Organisation | None = None,
    jurisdiction_id: str = "",
    photo: SanitisedImage | None = None,
    source: str = ReportSource.WEB,
    api_key: ApiToken | None = None,
    actor: Any = None,
    ip_address: str | None = None,
    requested_at: datetime | None = None,
    zone: Zone | int | str | None = None,
) -> Report:
    """Validate and store a resident's report (web form, Open311, staff) in one transaction.

    See ``validate_submission`` for ``data``. ``photo`` comes from
    ``core.uploads.sanitise_image`` (content checked, metadata stripped). Raises
    ``ReportError``; on success the report has the organisation's initial status, its
    zone by point-in-polygon (or ``zone``, checked against the commune, for a report
    without coordinates), a history event and an audit record.
    """
    clean = validate_submission(data, organisation=organisation, jurisdiction_id=jurisdiction_id, zone=zone)

    def write(saved: list[Any]) -> Report:
        with _submitted(clean, source=source, actor=actor, ip_address=ip_address) as act:
            report = _store(
                clean,
                source=source,
                api_key=api_key,
                requested_at=requested_at,
                actor=actor,
                photo=photo,
                saved_files=saved,
            )
            act.obj = report
        return report

    return _with_files(write)


def submit_open311(
    data: Mapping[str, Any],
    *,
    api_key: ApiToken,
    jurisdiction_id: str = "",
    organisation: Organisation | None = None,
    ip_address: str | None = None,
    photo: SanitisedImage | None = None,
) -> Report | QueuedRequest:
    """An Open311 POST: a report at once, or a queued request (token) for a ``batch`` service.

    The submission is validated fully in both cases, so a client learns of its mistakes
    immediately; a queued request is turned into a report by ``process_queue`` (the
    ``territoire reports process-queue`` command or the periodic task). A key limited to
    an organisation (or one of its communes) takes reports there only.
    """
    if api_key.organisation_id is not None:
        if organisation is not None and organisation.pk != api_key.organisation_id:
            raise ReportError(FieldError("api_key", _("Clé d'API non valable pour cette collectivité."), 403))
        organisation = api_key.organisation
    clean = validate_submission(data, organisation=organisation, jurisdiction_id=jurisdiction_id)
    if api_key.commune_id is not None and clean.commune.pk != api_key.commune_id:
        raise ReportError(FieldError("api_key", _("Clé d'API non valable pour cette collectivité."), 403))
    if clean.category.type == ServiceType.BATCH:
        if photo is not None:
            raise ReportError(
                FieldError(
                    "media", _("Ce service traite les demandes en différé : joignez la photo par media_url.")
                )
            )
        with action(
            "reports.queued",
            actor_label=f"open311:{api_key.key_prefix}",
            organisation_id=clean.organisation.pk,
            ip_address=ip_address,
            versions=(),
        ) as act:
            queued = QueuedRequest.objects.create(
                organisation=clean.organisation,
                payload={**clean.to_payload(), "api_key": api_key.pk, "ip_address": ip_address},
            )
            act.obj = queued
        return queued

    def write(saved: list[Any]) -> Report:
        with _submitted(clean, source=ReportSource.OPEN311, ip_address=ip_address) as act:
            report = _store(
                clean,
                source=ReportSource.OPEN311,
                api_key=api_key,
                requested_at=None,
                photo=photo,
                saved_files=saved,
            )
            act.obj = report
        return report

    return _with_files(write)


def process_queue(limit: int = 500) -> tuple[int, int]:
    """Turn pending queued requests into reports; return (created, failed)."""
    created = failed = 0
    pending = list(
        QueuedRequest.objects.filter(state=QueueState.PENDING).order_by("created_at", "id")[:limit]
    )
    for queued in pending:
        # Audited as the report's submission; a request that fails or that another
        # worker took meanwhile writes no audit record and changes no page.
        with action(
            "reports.submitted", actor_label=f"public:{ReportSource.OPEN311}", versions=(VERSION_KEY,)
        ) as act:
            locked = (
                QueuedRequest.objects.select_for_update()
                .filter(pk=queued.pk, state=QueueState.PENDING)
                .first()
            )
            payload: Any = locked.payload if locked is not None else {}
            commune = Commune.objects.filter(pk=payload.get("commune")).select_related("organisation").first()
            category = ServiceCategory.objects.filter(pk=payload.get("category"), active=True).first()
            if locked is None or commune is None or commune.organisation is None or category is None:
                act.audited, act.versions = False, ()
                if locked is None:
                    continue
                locked.state = QueueState.FAILED
                locked.error = _("La catégorie ou la commune n'existe plus.")
                failed += 1
            else:
                clean = CleanSubmission(
                    organisation=commune.organisation,
                    commune=commune,
                    zone=Zone.objects.filter(pk=payload.get("zone")).first() if payload.get("zone") else None,
                    category=category,
                    lat=payload.get("lat"),
                    lon=payload.get("lon"),
                    description=payload.get("description", ""),
                    address_string=payload.get("address_string", ""),
                    address_id=payload.get("address_id", ""),
                    attributes=payload.get("attributes", {}),
                    media_url=payload.get("media_url", ""),
                    **{name: payload.get(name, "") for name in PERSONAL_FIELDS},
                )
                report = _store(
                    clean,
                    source=ReportSource.OPEN311,
                    api_key=ApiToken.objects.filter(pk=payload.get("api_key")).first(),
                    requested_at=locked.created_at,
                )
                act.obj = report
                act.organisation_id = clean.organisation.pk
                act.changes = {"category": category.service_code, "commune": commune.insee_code}
                act.ip_address = payload.get("ip_address")
                locked.report = report
                locked.state = QueueState.DONE
                created += 1
            # Personal data does not stay in the queue once processed.
            locked.payload = {
                k: v for k, v in payload.items() if k not in PERSONAL_FIELDS and k != "ip_address"
            }
            locked.processed_at = timezone.now()
            locked.save()
    return created, failed


# --------------------------------------------------------------------------- "+1"


def supporter_fingerprint(identity: str) -> str:
    """A keyed hash of whatever identifies a supporter (session, e-mail): nothing stored in clear."""
    return hmac.new(
        settings.SECRET_KEY.encode(), identity.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def support_report(
    report: Report, identity: str, *, email: str | None = None, ip_address: str | None = None
) -> bool:
    """Add a "+1" from ``identity`` (hashed); idempotent. Returns True if it was new.

    ``email`` (optional) makes the supporter a follower of the report: they are e-mailed
    when its status changes or the service answers, like the reporter. The address is
    personal data: stored on the support, never shown. Giving it on a second "+1" from the
    same supporter adds it to the existing support (the "+1" itself is not counted twice).
    """
    if not identity.strip():
        raise ReportError(FieldError("identity", _("Soutien anonyme impossible.")))
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
            if len(email) > 254:
                raise DjangoValidationError("too long")
        except DjangoValidationError:
            raise ReportError(FieldError("email", _("Adresse e-mail invalide."))) from None
    fingerprint = supporter_fingerprint(identity)
    with transaction.atomic():
        current = (
            Report.objects.select_for_update().filter(pk=report.pk).only("id", "hidden", "is_open").first()
        )
        if current is None or current.hidden or not current.is_open:
            raise ReportError(FieldError("report", _("Ce signalement ne peut plus être soutenu.")))
        existing = Support.objects.filter(report_id=report.pk, fingerprint=fingerprint).first()
        if existing is not None:
            if email and existing.email != email:
                existing.email = email
                existing.save(update_fields=["email"])
            return False
        try:
            with transaction.atomic():
                Support.objects.create(report_id=report.pk, fingerprint=fingerprint, email=email)
        except IntegrityError:  # the same supporter, at the same instant
            return False
        Report.objects.filter(pk=report.pk).update(supporters_count=F("supporters_count") + 1)
        _event(report, EventKind.SUPPORT, is_public=True)
        audit.record(
            "reports.supported",
            actor_label="public",
            obj=report,
            organisation_id=report.organisation_id,
            changes={"follows": bool(email)},
            ip_address=ip_address,
        )
        bump_data_version(VERSION_KEY)
    report.refresh_from_db(fields=["supporters_count"])
    return True


def followers_of(report: Report | int) -> list[str]:
    """The e-mail addresses of the report's followers (supporters who left one); personal data."""
    report_id = report if isinstance(report, int) else report.pk
    return sorted(
        set(Support.objects.filter(report_id=report_id).exclude(email="").values_list("email", flat=True))
    )


def notify_followers(report_id: int, event_id: int) -> int:
    """E-mail the followers of a report the news of ``event_id``, one message each (after commit).

    Each follower gets their own message (no one sees another's address). Failures are
    logged, never raised. Returns the number of messages sent.
    """
    import logging

    from django.core.mail import send_mass_mail
    from django.utils import translation

    from territoire.reports import notifications

    try:
        report = Report.objects.select_related("category", "status", "commune").filter(pk=report_id).first()
        event = (
            ReportEvent.objects.select_related("to_status").filter(pk=event_id, report_id=report_id).first()
        )
        if report is None or event is None or report.hidden:
            return 0
        recipients = [e for e in followers_of(report_id) if e.lower() != report.email.lower()]
        if not recipients:
            return 0
        with translation.override("fr"):
            subject = _("Signalement suivi « %(category)s » : %(status)s") % {
                "category": report.category.name,
                "status": report.status.label,
            }
            lines = [
                _("Bonjour,"),
                "",
                _("Le signalement « %(category)s » à %(commune)s, que vous soutenez, a évolué.")
                % {"category": report.category.name, "commune": report.commune.name},
                _("Statut : %(status)s") % {"status": report.status.label},
            ]
            if event.message and event.is_public:
                lines += ["", _("Réponse du service :"), event.message]
            lines += [
                "",
                _("Suivre le signalement : %(url)s") % {"url": notifications.public_report_url(report)},
                "",
                _(
                    "Ce message est envoyé automatiquement ; vous le recevez parce que vous avez laissé votre adresse."
                ),
            ]
        body = "\n".join(lines)
        return int(send_mass_mail([(subject, body, None, [r]) for r in recipients], fail_silently=False))
    except Exception:
        logging.getLogger(__name__).exception("reports: notification of followers of %s failed", report_id)
        return 0


# --------------------------------------------------------------------------- triage


def _lock_for(report: Report | str, actor: Any, check: Any) -> Report:
    """Lock the report row and check ``check(actor, commune)``; 404 if out of reach."""
    # Lock the report row only (not the category, status or commune joined for reading).
    queryset = Report.objects.select_for_update(of=("self",)).select_related("commune", "status", "category")
    if isinstance(report, Report):
        locked = queryset.filter(pk=report.pk).first()
    else:
        try:
            locked = queryset.filter(public_id=report).first()
        except DjangoValidationError:
            locked = None
    if locked is None or not permissions.can_view_reports(actor, locked.commune):
        raise ReportNotFound(_("Signalement introuvable."))
    if not check(actor, locked.commune):
        raise ReportForbidden(_("Votre rôle ne permet pas cette action."))
    return locked


def _status_of(organisation_id: int, status: ReportStatus | str) -> ReportStatus:
    if isinstance(status, ReportStatus):
        if status.organisation_id != organisation_id:
            raise ReportError(FieldError("status", _("Statut inconnu.")))
        return status
    found = ReportStatus.objects.filter(organisation_id=organisation_id, code=status).first()
    if found is None:
        raise ReportError(FieldError("status", _("Statut inconnu : %(s)s.") % {"s": status}))
    return found


def _notify(report: Report, event: ReportEvent) -> None:
    """After commit: e-mail the reporter (if they left an address) and the report's followers."""
    if report.email:
        from territoire.reports import notifications

        transaction.on_commit(lambda: notifications.notify_reporter(report.pk, event.pk))
    if Support.objects.filter(report_id=report.pk).exclude(email="").exists():
        transaction.on_commit(lambda: notify_followers(report.pk, event.pk))


def _audit(action: str, report: Report, actor: Any, changes: dict[str, Any], ip_address: str | None) -> None:
    audit.record(
        action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        obj=report,
        organisation_id=report.organisation_id,
        changes=changes,
        ip_address=ip_address,
    )


def change_status(
    report: Report | str,
    status: ReportStatus | str,
    *,
    actor: Any,
    answer: str = "",
    ip_address: str | None = None,
    notify: bool = True,
    at: datetime | None = None,
) -> Report:
    """Move a report to ``status`` (object or code). A status that requires it needs ``answer``.

    The answer is public (the "réponse argumentée": shown on the report's page and as
    Open311 ``status_notes``). Closing sets ``closed_at``; reopening clears it. The
    reporter is e-mailed after commit.
    """
    answer = answer.strip()
    with transaction.atomic():
        locked = _lock_for(report, actor, permissions.can_triage)
        target = _status_of(locked.organisation_id, status)
        if target.requires_answer and not answer:
            raise ReportError(
                FieldError(
                    "answer",
                    _("Une réponse argumentée est obligatoire pour le statut « %(s)s ».")
                    % {"s": target.label},
                )
            )
        if len(answer) > DESCRIPTION_MAX_LENGTH:
            raise ReportError(
                FieldError("answer", _("%(n)s caractères au plus.") % {"n": DESCRIPTION_MAX_LENGTH})
            )
        if target.pk == locked.status_id and not answer:
            return locked
        now = at or timezone.now()
        previous = locked.status
        locked.status = target
        locked.is_open = target.open311_state == Open311State.OPEN
        if locked.is_open:
            locked.closed_at = None
        elif previous.open311_state == Open311State.OPEN or locked.closed_at is None:
            locked.closed_at = now
        if answer:
            locked.status_notes = answer
        locked.save(update_fields=["status", "is_open", "closed_at", "status_notes", "updated_at"])
        event = _event(
            locked,
            EventKind.STATUS,
            actor=actor,
            message=answer,
            from_status=previous,
            to_status=target,
            at=now,
        )
        _audit("reports.status_changed", locked, actor, {"status": [previous.code, target.code]}, ip_address)
        bump_data_version(VERSION_KEY)
        if notify and target.pk != previous.pk:
            _notify(locked, event)
    return locked


def add_answer(
    report: Report | str,
    text: str,
    *,
    actor: Any,
    public: bool = True,
    ip_address: str | None = None,
    notify: bool = True,
) -> ReportEvent:
    """A message on the report: a public answer (e-mailed, shown as ``status_notes``) or an internal note."""
    text = text.strip()
    if not text:
        raise ReportError(FieldError("answer", _("Le message est vide.")))
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ReportError(
            FieldError("answer", _("%(n)s caractères au plus.") % {"n": DESCRIPTION_MAX_LENGTH})
        )
    with transaction.atomic():
        locked = _lock_for(report, actor, permissions.can_triage)
        event = _event(
            locked,
            EventKind.ANSWER if public else EventKind.NOTE,
            actor=actor,
            message=text,
            is_public=public,
        )
        if public:
            locked.status_notes = text
            locked.save(update_fields=["status_notes", "updated_at"])
            bump_data_version(VERSION_KEY)
            if notify:
                _notify(locked, event)
        _audit(
            "reports.answered" if public else "reports.noted", locked, actor, {"public": public}, ip_address
        )
    return event


def assign_crew(
    report: Report | str,
    crew: Crew | None,
    *,
    actor: Any,
    expected_at: datetime | None = None,
    ip_address: str | None = None,
) -> Report:
    """Assign the report to a crew of its organisation (or unassign with ``None``)."""
    with transaction.atomic():
        locked = _lock_for(report, actor, permissions.can_triage)
        if crew is not None and crew.organisation_id != locked.organisation_id:
            raise ReportError(FieldError("crew", _("Équipe inconnue.")))
        previous = locked.crew_id
        locked.crew = crew
        if expected_at is not None:
            locked.expected_at = expected_at
        locked.save(update_fields=["crew", "expected_at", "updated_at"])
        _event(
            locked,
            EventKind.ASSIGNMENT,
            actor=actor,
            is_public=True,
            message=crew.team or crew.name if crew else "",
            data={"crew": crew.name if crew else None},
        )
        _audit("reports.assigned", locked, actor, {"crew": [previous, crew.pk if crew else None]}, ip_address)
        bump_data_version(VERSION_KEY)
    return locked


def change_category(
    report: Report | str, category: ServiceCategory, *, actor: Any, ip_address: str | None = None
) -> Report:
    """Re-file a report under another category of its organisation (the SLA due date follows)."""
    with transaction.atomic():
        locked = _lock_for(report, actor, permissions.can_triage)
        if category.organisation_id != locked.organisation_id:
            raise ReportError(FieldError("category", _("Catégorie inconnue.")))
        previous = locked.category
        locked.category = category
        locked.due_at = locked.requested_at + timedelta(days=category.sla_days) if category.sla_days else None
        locked.save(update_fields=["category", "due_at", "updated_at"])
        _event(
            locked,
            EventKind.CATEGORY,
            actor=actor,
            data={"from": previous.service_code, "to": category.service_code},
        )
        _audit(
            "reports.recategorised",
            locked,
            actor,
            {"category": [previous.service_code, category.service_code]},
            ip_address,
        )
        bump_data_version(VERSION_KEY)
    return locked


def _pk_of(report: Report | str) -> int | None:
    if isinstance(report, Report):
        return report.pk
    try:
        return Report.objects.filter(public_id=str(report)).values_list("pk", flat=True).first()
    except (DjangoValidationError, ValueError):
        return None


def merge_duplicate(
    source: Report | str,
    target: Report | str,
    *,
    actor: Any,
    answer: str = "",
    ip_address: str | None = None,
) -> Report:
    """Close ``source`` as a duplicate of ``target``; its supports (and its reporter) move over.

    Returns the target. Both must be in the same organisation and reachable by the actor;
    rows are locked in id order so two merges cannot deadlock.
    """
    with transaction.atomic():
        src_pk, tgt_pk = _pk_of(source), _pk_of(target)
        if src_pk is None or tgt_pk is None:
            raise ReportNotFound(_("Signalement introuvable."))
        if src_pk == tgt_pk:
            raise ReportError(FieldError("target", _("Un signalement ne peut pas être son propre doublon.")))
        ordered = sorted([src_pk, tgt_pk])
        locked = {
            r.pk: r for r in (_lock_for(Report(pk=pk), actor, permissions.can_triage) for pk in ordered)
        }
        src, tgt = locked[src_pk], locked[tgt_pk]
        if src.organisation_id != tgt.organisation_id:
            raise ReportNotFound(_("Signalement introuvable."))
        if tgt.duplicate_of_id is not None:
            raise ReportError(FieldError("target", _("Le signalement cible est lui-même un doublon.")))
        duplicate_status = ReportStatus.objects.filter(
            organisation_id=src.organisation_id, is_duplicate=True
        ).first()
        if duplicate_status is None:
            raise ReportError(FieldError("status", _("Aucun statut « doublon » n'est configuré.")))
        text = answer.strip() or _(
            "Ce problème a déjà été signalé : il est suivi dans le signalement %(id)s."
        ) % {"id": tgt.public_id}
        # Supports move unless the same person already supports the target.
        already = set(Support.objects.filter(report=tgt).values_list("fingerprint", flat=True))
        moving = Support.objects.filter(report=src).exclude(fingerprint__in=already)
        moved = moving.update(report=tgt)
        Support.objects.filter(report=src).delete()
        # The earlier reporter's own report counts as one more support of the target.
        tgt.supporters_count = (
            Support.objects.filter(report=tgt).count() + 1 + Report.objects.filter(duplicate_of=tgt).count()
        )
        tgt.save(update_fields=["supporters_count", "updated_at"])
        src.duplicate_of = tgt
        src.supporters_count = 0
        src.save(update_fields=["duplicate_of", "supporters_count", "updated_at"])
        _event(tgt, EventKind.MERGED, actor=actor, data={"merged": str(src.public_id), "supports": moved})
        _audit("reports.merged", src, actor, {"into": str(tgt.public_id), "supports": moved}, ip_address)
        # In the same transaction: the merge and the status change stand or fall together.
        change_status(src, duplicate_status, actor=actor, answer=text, ip_address=ip_address)
    tgt.refresh_from_db()
    return tgt


def hide_report(report: Report | str, reason: str, *, actor: Any, ip_address: str | None = None) -> Report:
    """Hide a report from every public view (moderation); the reason is recorded."""
    reason = reason.strip()
    if not reason:
        raise ReportError(FieldError("reason", _("Le motif est obligatoire.")))
    with transaction.atomic():
        locked = _lock_for(report, actor, permissions.can_moderate)
        locked.hidden = True
        locked.hidden_reason = reason
        locked.save(update_fields=["hidden", "hidden_reason", "updated_at"])
        _event(locked, EventKind.HIDDEN, actor=actor, message=reason, is_public=False)
        _audit("reports.hidden", locked, actor, {"reason": reason}, ip_address)
        bump_data_version(VERSION_KEY)
    return locked


def unhide_report(
    report: Report | str, *, actor: Any, reason: str = "", ip_address: str | None = None
) -> Report:
    with transaction.atomic():
        locked = _lock_for(report, actor, permissions.can_moderate)
        locked.hidden = False
        locked.save(update_fields=["hidden", "updated_at"])
        _event(locked, EventKind.UNHIDDEN, actor=actor, message=reason.strip(), is_public=False)
        _audit("reports.unhidden", locked, actor, {"reason": reason.strip()}, ip_address)
        bump_data_version(VERSION_KEY)
    return locked


def redact_photo(
    photo: ReportPhoto | str, reason: str, *, actor: Any, ip_address: str | None = None
) -> ReportPhoto:
    """Withdraw a photo (moderation): its file is deleted, the record and the reason are kept."""
    reason = reason.strip()
    if not reason:
        raise ReportError(FieldError("reason", _("Le motif est obligatoire.")))
    with transaction.atomic():
        if isinstance(photo, ReportPhoto):
            found = ReportPhoto.objects.select_for_update().filter(pk=photo.pk).first()
        else:
            try:
                found = ReportPhoto.objects.select_for_update().filter(public_id=photo).first()
            except DjangoValidationError:
                found = None
        if found is None:
            raise ReportNotFound(_("Photo introuvable."))
        _lock_for(Report(pk=found.report_id), actor, permissions.can_moderate)
        name, storage = found.file.name, found.file.storage
        found.redacted = True
        found.redacted_reason = reason
        found.redacted_at = timezone.now()
        found.file = ""
        found.save()
        _event(found.report, EventKind.PHOTO_REDACTED, actor=actor, message=reason, is_public=False)
        _audit(
            "reports.photo_redacted",
            found.report,
            actor,
            {"photo": str(found.public_id), "reason": reason},
            ip_address,
        )
        bump_data_version(VERSION_KEY)
        if name:
            transaction.on_commit(lambda: storage.delete(name))
    return found


# --------------------------------------------------------------------------- rounds


def plan_round(
    crew: Crew,
    day: date,
    *,
    actor: Any,
    provider: Any = None,
    time_limit_s: float = 1.5,
    ip_address: str | None = None,
    check_rights: bool = True,
) -> Round:
    """Plan ``crew``'s round on ``day`` through the open reports assigned to it.

    OR-Tools orders the stops (``routing.plan_round``) within the shift, with each
    category's service time; reports that do not fit are kept as left-over stops. The
    nearest-neighbour order a dispatcher would use is computed in the same call, and the
    saving in % is stored with the route's GeoJSON. ``check_rights=False`` is for the
    command line and scheduled jobs (the installation's operator, ``actor=None``).
    """
    from territoire.reports import distances, routing

    if check_rights and not permissions.can_plan_rounds(actor, crew.organisation_id):
        if not permissions.access.is_staff_of(actor, crew.organisation_id):
            raise ReportNotFound(_("Équipe introuvable."))
        raise ReportForbidden(_("Votre rôle ne permet pas de planifier une tournée."))
    reports = list(
        Report.objects.filter(crew=crew, is_open=True, hidden=False, lat__isnull=False)
        .select_related("category")
        .order_by("requested_at", "id")
    )
    by_id = {str(r.public_id): r for r in reports}
    stops = [
        routing.Stop(
            id=str(r.public_id),
            lat=float(r.lat or 0),
            lon=float(r.lon or 0),
            service_minutes=float(r.category.service_minutes),
        )
        for r in reports
    ]
    plan = routing.plan_round(
        (crew.depot_lat, crew.depot_lon),
        stops,
        float(crew.shift_minutes),
        provider=provider or distances.provider_from_settings(),
        time_limit_s=time_limit_s,
    )
    start = timezone.make_aware(datetime.combine(day, crew.shift_start))
    expected = {
        s.id: start + timedelta(minutes=m) for s, m in zip(plan.order, plan.arrival_minutes, strict=True)
    }
    with transaction.atomic():
        planned = Round.objects.create(
            crew=crew,
            date=day,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            shift_minutes=crew.shift_minutes,
            distance_m=plan.distance_m,
            baseline_distance_m=plan.baseline_distance_m,
            saving_percent=Decimal(str(round(plan.saving_percent, 2)))
            if plan.saving_percent is not None
            else None,
            travel_minutes=plan.travel_minutes,
            service_minutes=plan.service_minutes,
            total_minutes=plan.total_minutes,
            provider=plan.provider,
            solve_seconds=plan.solve_seconds,
            geojson=plan.geojson(),
        )
        RoundStop.objects.bulk_create(
            [
                RoundStop(
                    round=planned,
                    report=by_id[s.id],
                    position=i,
                    service_minutes=s.service_minutes,
                    expected_at=expected[s.id],
                )
                for i, s in enumerate(plan.order, start=1)
            ]
            + [
                RoundStop(
                    round=planned, report=by_id[s.id], left_over=True, service_minutes=s.service_minutes
                )
                for s in plan.left_over
            ]
        )
        # Each planned report now has its expected time (Open311 expected_datetime) and a
        # public line in its history; a left-over one keeps what it had.
        now = timezone.now()
        for stop in plan.order:
            report = by_id[stop.id]
            report.expected_at = expected[stop.id]
            report.updated_at = now
        Report.objects.bulk_update([by_id[s.id] for s in plan.order], ["expected_at", "updated_at"])
        for stop in plan.order:
            _event(
                by_id[stop.id],
                EventKind.ROUND,
                actor=actor,
                data={"date": day.isoformat(), "expected_at": expected[stop.id].isoformat()},
            )
        audit.record(
            "reports.round_planned",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label="" if getattr(actor, "is_authenticated", False) else "system",
            obj=planned,
            organisation_id=crew.organisation_id,
            changes={
                "crew": crew.name,
                "date": day.isoformat(),
                "stops": len(plan.order),
                "left_over": len(plan.left_over),
                "distance_m": round(plan.distance_m),
                "baseline_m": round(plan.baseline_distance_m),
            },
            ip_address=ip_address,
        )
        bump_data_version(VERSION_KEY)
    return planned


# --------------------------------------------------------------------------- Open311 keys
#
# An Open311 application's key is an API token (``api.ApiToken``) that may write to the
# reports module: ``api_key`` on an Open311 POST is the token's secret.


def create_api_key(
    name: str, *, organisation: Organisation | None = None, actor: Any = None
) -> tuple[ApiToken, str]:
    """A new Open311 application key: an API token limited to the reports module, for the
    whole installation or one organisation. Returns the record and the raw key (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ReportError(FieldError("name", _("Nom d'application obligatoire (100 caractères au plus).")))
    with action(
        "reports.api_key_created",
        actor=actor,
        organisation_id=organisation.pk if organisation else None,
        versions=(),
    ) as act:
        key, raw = ApiToken.issue(name=name, organisation=organisation, can_write=True, modules=[MODULE])
        act.obj = key
        act.changes = {"name": name, "prefix": key.key_prefix}
    return key, raw


def open311_keys() -> QuerySet[ApiToken]:
    """The tokens an Open311 application may use: written to the reports module, not revoked.

    Whether a token's modules include ``reports`` is checked on the instance
    (``ApiToken.allows_module``): a JSON list is not queried the same way on every database.
    """
    return ApiToken.objects.filter(can_write=True, revoked_at__isnull=True).select_related("organisation")


def revoke_api_key(prefix: str, *, actor: Any = None) -> ApiToken:
    """Revoke the Open311 key whose prefix (or full value) is given."""
    prefix = prefix.strip()
    candidates = ApiToken.objects.filter(can_write=True)
    matches = [
        token
        for token in (candidates.filter(key_prefix__startswith=prefix[:12])[:3] if len(prefix) >= 8 else [])
        if token.allows_module(MODULE) and prefix.startswith(token.key_prefix[: len(prefix)])
    ]
    key = matches[0] if len(matches) == 1 else None
    if key is None:
        raise ReportError(
            FieldError("prefix", _("Aucune clé ne commence par « %(p)s ».") % {"p": prefix}, 404)
        )
    if key.revoked_at is None:
        with action(
            "reports.api_key_revoked",
            actor=actor,
            obj=key,
            organisation_id=key.organisation_id,
            changes={"prefix": key.key_prefix},
            versions=(),
        ):
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at", "updated_at"])
    return key


def authenticate_api_key(raw: str) -> ApiToken | None:
    """The valid Open311 key matching ``raw``, or None (one indexed query, by hash).

    ``last_used_at`` is refreshed at most once a minute.
    """
    if not raw or len(raw) > 200:
        return None
    key = open311_keys().filter(key_hash=hash_token(raw)).first()
    if key is None or not key.is_valid or not key.allows_module(MODULE):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(seconds=LAST_USED_EVERY):
        ApiToken.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


LAST_USED_EVERY = 60.0


def parse_date_param(raw: str, name: str) -> datetime:
    """An Open311 date parameter (W3C / ISO 8601; a bare date means midnight, local time)."""
    raw = raw.strip()
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise ReportError(
                FieldError(
                    name, _("Date au format ISO 8601 attendue, par exemple 2026-04-14T06:37:38+02:00.")
                )
            )
        value = datetime(day.year, day.month, day.day)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value
