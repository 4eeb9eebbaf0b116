"""Intake: a submission (web form, Open311, staff) validated, located and stored."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from territoire.api.models import ApiToken
from territoire.core.actions import action
from territoire.core.emails import normalise_email
from territoire.reports import geocode, locate
from territoire.reports.models import (
    DESCRIPTION_MAX_LENGTH,
    VERSION_KEY,
    AttributeDatatype,
    EventKind,
    Open311State,
    QueuedRequest,
    QueueState,
    Report,
    ReportPhoto,
    ReportSource,
    ServiceAttribute,
    ServiceCategory,
    ServiceType,
)
from territoire.reports.services import references
from territoire.reports.services.confirmations import request_reporter_confirmation
from territoire.reports.services.errors import FieldError, ReportError
from territoire.reports.services.history import record_event
from territoire.reports.services.setup import initial_status
from territoire.territory.models import Commune, Organisation, Zone

if TYPE_CHECKING:
    from territoire.core.uploads import SanitisedImage

T = TypeVar("T")


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
        errors.append(
            FieldError(
                name, _("« %(name)s » doit être un nombre décimal.") % {"name": name}, reason="bad_point"
            )
        )
        return None
    if not math.isfinite(value) or not low <= value <= high:
        errors.append(
            FieldError(
                name,
                _("« %(name)s » doit être compris entre %(low)s et %(high)s.")
                % {"name": name, "low": int(low), "high": int(high)},
                reason="bad_point",
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
                FieldError(
                    name,
                    _("Une date et heure ISO 8601 est attendue (2026-05-01T08:30:00+02:00)."),
                    reason="datetime",
                )
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
                    "jurisdiction_id",
                    _("Collectivité inconnue : %(j)s.") % {"j": jurisdiction_id},
                    404,
                    reason="unknown_commune",
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
                    reason="outside",
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
                reason="commune_needed",
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


def _resolve_place(
    *,
    organisation: Organisation | None,
    jurisdiction_id: str,
    lat: float | None,
    lon: float | None,
    texts: dict[str, str],
    errors: list[FieldError],
    zone: Zone | int | str | None,
) -> tuple[Commune | None, Zone | None, float | None, float | None]:
    """The commune, zone and point: without a point, the BAN address named places it."""
    coordinates_wrong = any(e.field in ("lat", "long") for e in errors)
    if (
        lat is None
        and lon is None
        and not coordinates_wrong
        and (texts["address_id"] or texts["address_string"])
    ):
        found = geocode.locate_address(
            organisation=organisation,
            jurisdiction_id=jurisdiction_id,
            address_id=texts["address_id"],
            address_string=texts["address_string"],
        )
        if found is not None:
            if not texts["address_string"]:
                texts["address_string"] = found.label
            texts["address_id"] = texts["address_id"] or found.ban_id
            located: list[FieldError] = []
            commune, found_zone = _resolve_commune(
                organisation=organisation,
                jurisdiction_id=found.commune_insee,
                lat=found.lat,
                lon=found.lon,
                errors=located,
            )
            if not located:
                return commune, found_zone, found.lat, found.lon
            # The address is the commune's (the BAN says so) even where no district
            # outline covers it: placed, without a district.
            commune, _none = _resolve_commune(
                organisation=organisation,
                jurisdiction_id=found.commune_insee,
                lat=None,
                lon=None,
                errors=errors,
            )
            return commune, None, found.lat, found.lon
    commune, found_zone = _resolve_commune(
        organisation=organisation, jurisdiction_id=jurisdiction_id, lat=lat, lon=lon, errors=errors, zone=zone
    )
    return commune, found_zone, lat, lon


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
            FieldError(
                "long" if lon is None else "lat",
                _("La latitude et la longitude vont ensemble."),
                reason="bad_point",
            )
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
                reason="no_location",
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
        # The normal form is stored: notifications and confirmations name one mailbox.
        try:
            email = normalise_email(email)
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

    commune, zone, lat, lon = _resolve_place(
        organisation=organisation,
        jurisdiction_id=jurisdiction_id.strip(),
        lat=lat,
        lon=lon,
        texts=texts,
        errors=errors,
        zone=zone,
    )
    category: ServiceCategory | None = None
    attributes: dict[str, Any] = {}
    if not service_code:
        errors.append(
            FieldError("service_code", _("Choisissez une catégorie (service_code)."), reason="no_category")
        )
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
            errors.append(
                FieldError(
                    "service_code",
                    _("Catégorie inconnue : %(c)s.") % {"c": service_code},
                    reason="no_category",
                )
            )
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
        reference=references.allocate(clean.organisation, now)[0],
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
    if report.email:
        request_reporter_confirmation(report)
    record_event(report, EventKind.SUBMITTED, actor=actor, to_status=status, at=now, data={"source": source})
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
            # Out of the key's reach: answered as a jurisdiction that does not exist.
            raise ReportError(FieldError("jurisdiction_id", _("Collectivité introuvable."), 404))
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
