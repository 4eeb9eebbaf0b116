"""Open311 request parameters: jurisdiction, submission fields, dates, ids, paging."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

from territoire.reports import services
from territoire.reports.open311.render import error
from territoire.territory.models import Commune, Organisation

DEFAULT_SPAN_DAYS = 90


MAX_RESULTS = 1000


ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


@dataclass(frozen=True)
class Jurisdiction:
    organisation: Organisation
    commune: Commune | None = None


def _single_organisation() -> Organisation | None:
    """The installation's only organisation, or the one ``DEFAULT_ORGANISATION`` names."""
    first_two = list(Organisation.objects.order_by("pk")[:2])
    if len(first_two) == 1:
        return first_two[0]
    code = str(settings.TERRITOIRE.get("DEFAULT_ORGANISATION", "") or "")
    if code:
        return Organisation.objects.filter(Q(siren=code) | Q(slug=code)).order_by("pk").first()
    return None


def resolve_jurisdiction(raw: str, *, required: bool = True) -> Jurisdiction | None:
    """A commune (INSEE code) or an organisation (SIREN); the single organisation if omitted."""
    raw = raw.strip()
    if raw:
        commune = (
            Commune.objects.select_related("organisation")
            .filter(insee_code=raw, organisation__isnull=False)
            .first()
        )
        if commune is not None and commune.organisation is not None:
            return Jurisdiction(commune.organisation, commune)
        organisation = Organisation.objects.filter(siren=raw).first()
        if organisation is not None:
            return Jurisdiction(organisation)
        raise error(404, f"jurisdiction_id not found: {raw[:50]}")
    organisation = _single_organisation()
    if organisation is None and required:
        raise error(400, "jurisdiction_id is required: the INSEE code of the commune")
    return Jurisdiction(organisation) if organisation is not None else None


def last_value(data: MultiValueDict[str, Any], key: str, default: Any = "") -> Any:
    """``data.get(key, default)``, without raising and catching a KeyError for a missing key.

    An Open311 POST leaves out most of the optional parameters: ``MultiValueDict.get``
    would build, raise and catch an exception for each of them (nine a request).
    """
    values = dict.get(data, key)  # a MultiValueDict is a dict of lists
    return values[-1] if values else default


def param(request: HttpRequest, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return str(last_value(source, name) or "")


def submission(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: last_value(request.POST, key)
        for key in (
            "service_code",
            "lat",
            "long",
            "address_string",
            "address_id",
            "email",
            "device_id",
            "account_id",
            "first_name",
            "last_name",
            "phone",
            "description",
            "media_url",
        )
    }
    attributes: dict[str, list[str]] = {}
    for key in request.POST:
        match = ATTRIBUTE_KEY.match(key)
        if match:
            attributes.setdefault(match.group(1), []).extend(request.POST.getlist(key))
        elif key.startswith("attribute"):
            raise error(400, f"{key[:80]}: malformed attribute parameter; expected attribute[CODE]")
    data["attribute"] = {
        code: values if len(values) > 1 else values[0] for code, values in attributes.items()
    }
    return data


def check_media(request: HttpRequest) -> Any:
    """An uploaded ``media`` file (common extension): checked from its content, metadata stripped."""
    upload = last_value(request.FILES, "media", None)
    if upload is None:
        return None
    from territoire.core.uploads import UploadError, sanitise_image

    try:
        return sanitise_image(upload)
    except UploadError as exc:
        raise error(400, f"media: {exc}") from exc


def positive_int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = last_value(request.GET, name).strip()
    if not raw:
        return default
    # isdecimal, not isdigit: "¹" is a digit that int() refuses.
    if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1 or len(raw) > 9:
        raise error(400, f"{name} must be a positive integer")
    return min(int(raw), maximum)


def date_param(request: HttpRequest, name: str) -> datetime | None:
    raw = last_value(request.GET, name).strip()
    if not raw:
        return None
    try:
        return services.parse_date_param(raw, name)
    except services.ReportError:
        raise error(400, f"{name}: expected a W3C date-time such as 2026-04-14T06:37:38+02:00") from None


def parse_ids(raw: str) -> list[uuid.UUID]:
    out = []
    for part in raw.split(","):
        try:
            out.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return out


def parse_status(raw: str) -> bool | None:
    values = {v.strip().lower() for v in raw.split(",") if v.strip()}
    if not values:
        return None
    if not values <= {"open", "closed"}:
        raise error(400, "status must be open, closed, or both (comma separated)")
    return None if len(values) == 2 else values == {"open"}
