"""Open311 GeoReport v2 server, mounted at ``/open311/v2/`` (see docs/open311.md).

Endpoints (``{fmt}`` is ``xml`` or ``json``, chosen by the URL suffix):

- ``GET discovery.{fmt}``; ``GET services.{fmt}``; ``GET services/{service_code}.{fmt}``;
- ``POST requests.{fmt}`` (form-encoded, ``api_key`` required) → ``service_request_id``, or a
  ``token`` for a ``batch`` service (queued, see ``services.submit_open311``);
- ``GET tokens/{token}.{fmt}``; ``GET requests.{fmt}``; ``GET requests/{id}.{fmt}``.

``jurisdiction_id`` is a commune's INSEE code (an organisation's SIREN is accepted too, for
its whole territory); it may be omitted when the installation holds one organisation (or
``TERRITOIRE["DEFAULT_ORGANISATION"]`` names one), or on POST when ``lat``/``long`` fall in
a commune's zones. Errors follow the spec: ``<errors><error><code/><description/></error>
</errors>`` or a JSON array of ``{"code", "description"}``, with HTTP 400, 403 or 404.

No personal data (e-mail, names, phone, device or account id) is ever written by a GET:
the listing reads the public columns only.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, URLPattern, re_path, reverse
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from territoire.accounts.services import client_ip
from territoire.reports import services
from territoire.reports.models import (
    QueuedRequest,
    QueueState,
    Report,
    ReportPhoto,
    ServiceCategory,
)
from territoire.reports.selectors import categories_of
from territoire.territory.models import Commune, Organisation

SPECIFICATION_URL = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_SPAN_DAYS = 90
MAX_RESULTS = 1000
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
PHOTO_URL_NAME = "reports-photo"  # the public photo view of the module's urls.py


class Open311Error(Exception):
    def __init__(self, status: int, errors: Sequence[tuple[int, str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = list(errors)


def _error(status: int, description: str) -> Open311Error:
    return Open311Error(status, [(status, description)])


# --------------------------------------------------------------------------- rendering


# Characters XML 1.0 cannot carry at all (even escaped): dropped from the output.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml_text(value: Any) -> str:
    """Element text: ``true``/``false`` for booleans, "" for None, markup characters escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value)).translate(_XML_ESCAPES)


_LIST_CHILDREN = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml_into(out: list[str], name: str, value: Any) -> None:
    # Element names are this module's constants (never client input), so they need no escaping.
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml_into(out, key, item)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        # Lists are written as repeated children named after the parent's singular.
        child = _LIST_CHILDREN.get(name, "item")
        out.append(f"<{name}>")
        for item in value:
            _xml_into(out, child, item)
        out.append(f"</{name}>")
    else:
        text = _xml_text(value)
        out.append(f"<{name}>{text}</{name}>" if text else f"<{name} />")


def render(fmt: str, root: str, item: str | None, payload: Any, status: int = 200) -> HttpResponse:
    """``payload`` as JSON, or as XML under ``<root>`` (a list becomes repeated ``<item>``).

    The XML is written directly (escaping every text), which is several times faster than
    building an ElementTree for a page of 1,000 requests; the tests parse it with xml.etree.
    """
    if fmt == "json":
        # Plain data only (no custom encoder needed), which keeps json's C encoder in use.
        return HttpResponse(
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            status=status,
            content_type=FORMATS["json"],
        )
    out = ['<?xml version="1.0" encoding="utf-8"?>\n', f"<{root}>"]
    if isinstance(payload, list):
        for entry in payload:
            _xml_into(out, item or "item", entry)
    else:
        for key, value in payload.items():
            _xml_into(out, key, value)
    out.append(f"</{root}>")
    return HttpResponse("".join(out).encode(), status=status, content_type=FORMATS["xml"])


def render_errors(fmt: str, error: Open311Error) -> HttpResponse:
    payload = [{"code": code, "description": description} for code, description in error.errors]
    return render(fmt, "errors", "error", payload, status=error.status)


def _datetime(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """W3C date-time with the offset, in the installation's time zone (``tz``: pass it in loops)."""
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat(timespec="seconds")


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 7)


# --------------------------------------------------------------------------- jurisdiction


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
        raise _error(404, f"jurisdiction_id not found: {raw[:50]}")
    organisation = _single_organisation()
    if organisation is None and required:
        raise _error(400, "jurisdiction_id is required: the INSEE code of the commune")
    return Jurisdiction(organisation) if organisation is not None else None


def _last(data: MultiValueDict[str, Any], key: str, default: Any = "") -> Any:
    """``data.get(key, default)``, without raising and catching a KeyError for a missing key.

    An Open311 POST leaves out most of the optional parameters: ``MultiValueDict.get``
    would build, raise and catch an exception for each of them (nine a request).
    """
    values = dict.get(data, key)  # a MultiValueDict is a dict of lists
    return values[-1] if values else default


def _param(request: HttpRequest, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return str(_last(source, name) or "")


# --------------------------------------------------------------------------- views


def endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn ``Open311Error`` and ``ReportError`` into the spec's error documents."""

    def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, fmt, **kwargs)
        except Open311Error as exc:
            return render_errors(fmt, exc)
        except services.ReportError as exc:
            return render_errors(
                fmt,
                Open311Error(exc.status, [(e.code, f"{e.field}: {e.message}") for e in exc.errors]),
            )

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _absolute(request: HttpRequest, path: str) -> str:
    base = str(settings.TERRITOIRE.get("SITE_URL", "") or "").rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


@require_GET
@endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """The service discovery document: where the endpoint is, its formats, a contact."""
    changeset = _datetime(_changeset())
    payload = {
        "changeset": changeset,
        "contact": str(
            settings.TERRITOIRE.get("OPEN311_CONTACT", "") or f"{getattr(settings, 'DEFAULT_FROM_EMAIL', '')}"
        ),
        "key_service": str(
            settings.TERRITOIRE.get(
                "OPEN311_KEY_SERVICE",
                "Clé d'application : demandez-la au service numérique de la collectivité.",
            )
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION_URL,
                "url": _absolute(request, "/open311/v2"),
                "changeset": changeset,
                "type": str(settings.TERRITOIRE.get("OPEN311_ENDPOINT_TYPE", "production")),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", None, payload)


def _changeset() -> datetime:
    latest = ServiceCategory.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return latest or datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())


def _service_notice(category: ServiceCategory | None = None, sla_days: int | None = None) -> str:
    days = category.sla_days if category is not None else sla_days
    if not days:
        return ""
    return f"Délai de traitement visé : {days} jour{'s' if days > 1 else ''}."


@require_GET
@endpoint
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET services: the categories of the jurisdiction."""
    jurisdiction = resolve_jurisdiction(_param(request, "jurisdiction_id"))
    assert jurisdiction is not None
    payload = [
        {
            "service_code": c.service_code,
            "service_name": c.name,
            "description": c.description,
            "metadata": bool(list(c.attributes.all())),
            "type": c.type,
            "keywords": ", ".join(c.keyword_list),
            "group": c.group,
        }
        for c in categories_of(jurisdiction.organisation)
    ]
    return render(fmt, "services", "service", payload)


@require_GET
@endpoint
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    """GET services/{service_code}: the attributes (extra questions) of one service."""
    jurisdiction = resolve_jurisdiction(_param(request, "jurisdiction_id"))
    assert jurisdiction is not None
    category = categories_of(jurisdiction.organisation).filter(service_code=service_code).first()
    if category is None:
        raise _error(404, f"service_code not found: {service_code[:64]}")
    payload = {
        "service_code": category.service_code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": v.get("key"), "name": v.get("name")} for v in a.values],
            }
            for a in category.attributes.all()
        ],
    }
    return render(fmt, "service_definition", None, payload)


def _submission(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: _last(request.POST, key)
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
            raise _error(400, f"{key[:80]}: malformed attribute parameter; expected attribute[CODE]")
    data["attribute"] = {
        code: values if len(values) > 1 else values[0] for code, values in attributes.items()
    }
    return data


def _check_media(request: HttpRequest) -> Any:
    """An uploaded ``media`` file (common extension): checked from its content, metadata stripped."""
    upload = _last(request.FILES, "media", None)
    if upload is None:
        return None
    from territoire.core.uploads import UploadError, sanitise_image

    try:
        return sanitise_image(upload)
    except UploadError as exc:
        raise _error(400, f"media: {exc}") from exc


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_endpoint(request: HttpRequest, fmt: str) -> HttpResponse:
    """``requests.{fmt}``: GET lists service requests, POST creates one."""
    if request.method == "POST":
        return create_request(request, fmt)
    return request_list(request, fmt)


@endpoint
def create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: validate everything, then store a report or queue it (token)."""
    raw_key = _last(request.POST, "api_key")
    api_key = services.authenticate_api_key(raw_key) if raw_key else None
    if api_key is None:
        raise _error(403, "api_key missing or invalid")
    data = _submission(request)
    jurisdiction_raw = _last(request.POST, "jurisdiction_id").strip()
    organisation: Organisation | None = None
    commune_code = ""
    if jurisdiction_raw:
        jurisdiction = resolve_jurisdiction(jurisdiction_raw)
        assert jurisdiction is not None
        organisation = jurisdiction.organisation
        commune_code = jurisdiction.commune.insee_code if jurisdiction.commune else ""
    photo = _check_media(request)
    result = services.submit_open311(
        data,
        api_key=api_key,
        jurisdiction_id=commune_code,
        organisation=organisation,
        ip_address=client_ip(request),
        photo=photo,
    )
    if isinstance(result, QueuedRequest):
        category = ServiceCategory.objects.filter(pk=result.payload.get("category")).first()
        entry: dict[str, Any] = {
            "token": str(result.token),
            "service_notice": _service_notice(category),
            "account_id": None,
        }
    else:
        entry = {
            "service_request_id": str(result.public_id),
            "service_notice": _service_notice(result.category),
            "account_id": None,
        }
    return render(fmt, "service_requests", "request", [entry])


@require_GET
@endpoint
def token_status(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """GET tokens/{token}: the service_request_id once the queued request is processed."""
    try:
        token_uuid = uuid.UUID(token)
    except ValueError:
        raise _error(404, "token not found") from None
    queued = QueuedRequest.objects.select_related("report").filter(token=token_uuid).first()
    if queued is None:
        raise _error(404, "token not found")
    if queued.state == QueueState.FAILED:
        raise _error(404, f"token {token}: the request was refused ({queued.error})")
    request_id = (
        str(queued.report.public_id) if queued.report is not None and not queued.report.hidden else None
    )
    return render(
        fmt, "service_requests", "request", [{"service_request_id": request_id, "token": str(queued.token)}]
    )


# The only columns a GET reads (values(): no model instance, no personal column).
_LIST_COLUMNS = (
    "id",
    "organisation_id",
    "commune_id",
    "hidden",
    "public_id",
    "is_open",
    "status_notes",
    "category__name",
    "category__service_code",
    "category__team",
    "category__sla_days",
    "commune__name",
    "commune__insee_code",
    "description",
    "requested_at",
    "updated_at",
    "closed_at",
    "expected_at",
    "address_string",
    "address_id",
    "zipcode",
    "lat",
    "lon",
    "media_url",
)


def _photo_url(request: HttpRequest, row: dict[str, Any]) -> str:
    """The public URL of the report's first photo (the module's photo view), or ""."""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse(
                PHOTO_URL_NAME,
                kwargs={
                    "scope_code": row["commune__insee_code"],
                    "public_id": row["public_id"],
                    "photo_id": row["photo_id"],
                },
            )
    except NoReverseMatch:
        return ""
    return _absolute(request, path)


def _first_photos(report_ids: Sequence[int]) -> dict[int, Any]:
    """The first photo shown (not redacted, stored) of each report: one query for the page."""
    if not report_ids:
        return {}
    first: dict[int, Any] = {}
    for report_id, photo_id in (
        ReportPhoto.objects.filter(report_id__in=list(report_ids), redacted=False)
        .exclude(file="")
        .order_by("report_id", "created_at", "id")
        .values_list("report_id", "public_id")
    ):
        first.setdefault(report_id, photo_id)
    return first


def _rows(
    request: HttpRequest,
    queryset: QuerySet[Report],
    *,
    offset: int = 0,
    limit: int = MAX_RESULTS,
    jurisdiction: Jurisdiction | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``queryset`` (a small set: a page of ids, or ids looked up), newest first.

    Two queries whatever the number of rows and photos: the public columns (joined with the
    category and the commune), then the first photo of each row. ``queryset`` carries no
    ordering: the rows are sorted here, so the planner never walks a date index to avoid a
    sort (the caller bounds the set to 1,000 rows). Hidden rows, and rows outside
    ``jurisdiction`` when given, are dropped here: a lookup by ``public_id`` then filters on
    the unique index alone, which no planner (with or without statistics) can get wrong.
    """
    org_id = jurisdiction.organisation.pk if jurisdiction is not None else None
    commune_id = jurisdiction.commune.pk if jurisdiction is not None and jurisdiction.commune else None
    rows = sorted(
        (
            row
            for row in queryset.order_by().values(*_LIST_COLUMNS)
            if not row["hidden"]
            and (org_id is None or row["organisation_id"] == org_id)
            and (commune_id is None or row["commune_id"] == commune_id)
        ),
        key=lambda r: (r["requested_at"], r["id"]),
        reverse=True,
    )[offset : offset + limit]
    photos = _first_photos([r["id"] for r in rows if not r["media_url"]])
    out = []
    tz = timezone.get_current_timezone()  # once: looking it up is costly at 1,000 rows
    notices: dict[int | None, str] = {}
    for row in rows:
        sla_days = row["category__sla_days"]
        if sla_days not in notices:
            notices[sla_days] = _service_notice(sla_days=sla_days)
        row["photo_id"] = photos.get(row["id"])
        media_url = row["media_url"] or (_photo_url(request, row) if row["photo_id"] else "")
        out.append(
            {
                "service_request_id": str(row["public_id"]),
                "status": "open" if row["is_open"] else "closed",
                "status_notes": row["status_notes"],
                "service_name": row["category__name"],
                "service_code": row["category__service_code"],
                "description": row["description"],
                "agency_responsible": row["category__team"] or row["commune__name"],
                "service_notice": notices[sla_days],
                "requested_datetime": _datetime(row["requested_at"], tz),
                "updated_datetime": _datetime(
                    row["closed_at"] if not row["is_open"] and row["closed_at"] else row["updated_at"],
                    tz,
                ),
                "expected_datetime": _datetime(row["expected_at"], tz),
                "address": row["address_string"],
                "address_id": row["address_id"],
                "zipcode": row["zipcode"],
                "lat": _number(row["lat"]),
                "long": _number(row["lon"]),
                "media_url": media_url,
            }
        )
    return out


def _positive_int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = _last(request.GET, name).strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise _error(400, f"{name} must be a positive integer")
    return min(int(raw), maximum)


def _date(request: HttpRequest, name: str) -> datetime | None:
    raw = _last(request.GET, name).strip()
    if not raw:
        return None
    try:
        return services.parse_date_param(raw, name)
    except services.ReportError:
        raise _error(400, f"{name}: expected a W3C date-time such as 2026-04-14T06:37:38+02:00") from None


def _ordered_ids(queryset: QuerySet[Report], offset: int, limit: int) -> list[int]:
    """A page of ids, newest first: a LIMIT over one of the listing indexes (see models)."""
    return list(
        queryset.order_by("-requested_at", "-id").values_list("id", flat=True)[offset : offset + limit]
    )


def _union_ids(branches: Sequence[QuerySet[Report]], offset: int, limit: int) -> list[int]:
    """A page of ids over several categories: each branch is a LIMIT over its own index,
    the union of at most ``len(branches) × (offset + limit)`` rows is merged by the database.

    Written by hand because Django cannot slice the parts of a UNION on SQLite.
    """
    parts: list[str] = []
    params: list[Any] = []
    for index, branch in enumerate(branches):
        sql, branch_params = (
            branch.order_by("-requested_at", "-id")
            .values_list("id", "requested_at")[: offset + limit]
            .query.sql_with_params()
        )
        parts.append(f"SELECT * FROM ({sql}) AS b{index}")  # noqa: S608 (the ORM's own SQL)
        params.extend(branch_params)
    sql = (
        f"SELECT u.id FROM ({' UNION ALL '.join(parts)}) AS u "  # noqa: S608 (the ORM's own SQL)
        "ORDER BY u.requested_at DESC, u.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [int(row[0]) for row in cursor.fetchall()]


def _ids(raw: str) -> list[uuid.UUID]:
    out = []
    for part in raw.split(","):
        try:
            out.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return out


def _statuses(raw: str) -> bool | None:
    values = {v.strip().lower() for v in raw.split(",") if v.strip()}
    if not values:
        return None
    if not values <= {"open", "closed"}:
        raise _error(400, "status must be open, closed, or both (comma separated)")
    return None if len(values) == 2 else values == {"open"}


@endpoint
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests: filters ``service_request_id`` (overrides the others), ``service_code``,
    ``start_date``, ``end_date``, ``status``; 90 days and 1,000 requests at most by default;
    ``page`` and ``page_size`` (common extension).

    A constant number of queries whatever the size of the table: the jurisdiction, the categories of ``service_code``, a page of ids (a LIMIT over an index that
    delivers the rows in order, see ``Report.Meta.indexes``), the rows of that page, their
    photos.
    """
    jurisdiction = resolve_jurisdiction(_param(request, "jurisdiction_id"))
    assert jurisdiction is not None
    page_size = _positive_int(request, "page_size", MAX_RESULTS, MAX_RESULTS)
    page = _positive_int(request, "page", 1, 10**6)
    offset = (page - 1) * page_size
    id_filter = request.GET.get("service_request_id", "").strip()
    if id_filter:
        # By the unique index of public_id; the (≤ 1,000) rows are sorted in Python.
        found = Report.objects.filter(public_id__in=_ids(id_filter)[:MAX_RESULTS])
        rows = _rows(request, found, offset=offset, limit=page_size, jurisdiction=jurisdiction)
        return render(fmt, "service_requests", "request", rows)
    start, end = _date(request, "start_date"), _date(request, "end_date")
    if start is not None and end is not None and end < start:
        raise _error(400, "end_date is before start_date")
    if start is None and end is None:
        end = timezone.now()
        start = end - timedelta(days=DEFAULT_SPAN_DAYS)
    elif start is None:
        assert end is not None
        start = end - timedelta(days=DEFAULT_SPAN_DAYS)
    elif end is None:
        end = start + timedelta(days=DEFAULT_SPAN_DAYS)
    state = _statuses(request.GET.get("status", ""))
    visible = Report.objects.filter(hidden=False, requested_at__gte=start, requested_at__lte=end)
    codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
    if codes:
        category_ids = sorted(
            ServiceCategory.objects.filter(
                organisation=jurisdiction.organisation, service_code__in=codes[:100]
            ).values_list("pk", flat=True)
        )
        branches = []
        for category_id in category_ids:
            if jurisdiction.commune is not None:
                # (commune, category, date) index; the status is a residual test, written as
                # a bare column (is_open=…) so that SQLite keeps to that index.
                branch = visible.filter(commune=jurisdiction.commune, category_id=category_id)
                if state is not None:
                    branch = branch.filter(is_open=state)
            else:
                # The category belongs to the organisation: (category[, is_open], date) index.
                branch = visible.filter(category_id=category_id)
                if state is not None:
                    branch = branch.filter(is_open__in=[state])
            branches.append(branch)
        if not branches:
            page_ids: list[int] = []
        elif len(branches) == 1:
            page_ids = _ordered_ids(branches[0], offset, page_size)
        else:
            page_ids = _union_ids(branches, offset, page_size)
    else:
        if jurisdiction.commune is not None:
            scoped = visible.filter(commune=jurisdiction.commune)
        else:
            scoped = visible.filter(organisation=jurisdiction.organisation)
        if state is not None:
            # IN (…) rather than a bare boolean: SQLite matches it to the index's is_open column.
            scoped = scoped.filter(is_open__in=[state])
        page_ids = _ordered_ids(scoped, offset, page_size)
    rows = _rows(request, Report.objects.filter(pk__in=page_ids)) if page_ids else []
    return render(fmt, "service_requests", "request", rows)


@require_GET
@endpoint
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    """GET requests/{id}: one service request (as a one-element list, like the spec)."""
    jurisdiction = resolve_jurisdiction(_param(request, "jurisdiction_id"), required=False)
    ids = _ids(request_id)
    if len(ids) != 1:
        raise _error(404, "service_request_id not found")
    scoped = jurisdiction if jurisdiction is not None and request.GET.get("jurisdiction_id") else None
    rows = _rows(request, Report.objects.filter(public_id=ids[0]), jurisdiction=scoped)
    if not rows:
        raise _error(404, f"service_request_id not found: {request_id[:64]}")
    return render(fmt, "service_requests", "request", rows)


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "json" if path.endswith(".json") else "xml"
    return render_errors(fmt, _error(404, "unknown endpoint or format (use .xml or .json)"))


def _patterns() -> Iterable[URLPattern]:
    fmt = r"\.(?P<fmt>xml|json)$"
    return [
        re_path(r"^discovery" + fmt, discovery, name="open311-discovery"),
        re_path(r"^services" + fmt, service_list, name="open311-services"),
        re_path(r"^services/(?P<service_code>[^/]+?)" + fmt, service_definition, name="open311-service"),
        re_path(r"^requests" + fmt, requests_endpoint, name="open311-requests"),
        re_path(r"^requests/(?P<request_id>[^/]+?)" + fmt, request_detail, name="open311-request"),
        re_path(r"^tokens/(?P<token>[^/]+?)" + fmt, token_status, name="open311-token"),
        re_path(r"^(?P<path>.*)$", not_found, name="open311-not-found"),
    ]


urlpatterns: list[URLPattern] = list(_patterns())
