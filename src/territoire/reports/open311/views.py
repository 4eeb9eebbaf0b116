"""The Open311 endpoints and their URL patterns."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from territoire.core.http import client_ip
from territoire.reports import services
from territoire.reports.models import (
    QueuedRequest,
    QueueState,
    Report,
    ServiceCategory,
)
from territoire.reports.open311.listing import listing_rows, ordered_ids, union_ids
from territoire.reports.open311.params import (
    DEFAULT_SPAN_DAYS,
    MAX_RESULTS,
    check_media,
    date_param,
    last_value,
    param,
    parse_ids,
    parse_status,
    positive_int,
    resolve_jurisdiction,
    submission,
)
from territoire.reports.open311.render import (
    Open311Error,
    absolute_url,
    error,
    format_datetime,
    render,
    render_errors,
    service_notice,
)
from territoire.reports.selectors import categories_of
from territoire.territory.models import Organisation

SPECIFICATION_URL = "http://wiki.open311.org/GeoReport_v2"


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


@require_GET
@endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """The service discovery document: where the endpoint is, its formats, a contact."""
    changeset = format_datetime(_changeset())
    payload = {
        "changeset": changeset,
        "contact": settings.TERRITOIRE["OPEN311_CONTACT"] or settings.DEFAULT_FROM_EMAIL,
        "key_service": settings.TERRITOIRE["OPEN311_KEY_SERVICE"],
        "endpoints": [
            {
                "specification": SPECIFICATION_URL,
                "url": absolute_url(request, "/open311/v2"),
                "changeset": changeset,
                "type": settings.TERRITOIRE["OPEN311_ENDPOINT_TYPE"],
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", None, payload)


def _changeset() -> datetime:
    latest = ServiceCategory.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return latest or datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())


@require_GET
@endpoint
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET services: the categories of the jurisdiction."""
    jurisdiction = resolve_jurisdiction(param(request, "jurisdiction_id"))
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
    jurisdiction = resolve_jurisdiction(param(request, "jurisdiction_id"))
    assert jurisdiction is not None
    category = categories_of(jurisdiction.organisation).filter(service_code=service_code).first()
    if category is None:
        raise error(404, f"service_code not found: {service_code[:64]}")
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
    raw_key = last_value(request.POST, "api_key")
    api_key = services.authenticate_api_key(raw_key) if raw_key else None
    if api_key is None:
        raise error(403, "api_key missing or invalid")
    data = submission(request)
    jurisdiction_raw = last_value(request.POST, "jurisdiction_id").strip()
    organisation: Organisation | None = None
    commune_code = ""
    if jurisdiction_raw:
        jurisdiction = resolve_jurisdiction(jurisdiction_raw)
        assert jurisdiction is not None
        if api_key.organisation_id is not None and jurisdiction.organisation.pk != api_key.organisation_id:
            # Another organisation's jurisdiction is out of this key's reach: answered as
            # one that does not exist, so the answer reveals nothing about it.
            raise error(404, f"jurisdiction_id not found: {jurisdiction_raw[:50]}")
        organisation = jurisdiction.organisation
        commune_code = jurisdiction.commune.insee_code if jurisdiction.commune else ""
    photo = check_media(request)
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
            "service_notice": service_notice(category),
            "account_id": None,
        }
    else:
        entry = {
            "service_request_id": str(result.public_id),
            "service_notice": service_notice(result.category),
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
        raise error(404, "token not found") from None
    queued = QueuedRequest.objects.select_related("report").filter(token=token_uuid).first()
    if queued is None:
        raise error(404, "token not found")
    if queued.state == QueueState.FAILED:
        raise error(404, f"token {token}: the request was refused ({queued.error})")
    request_id = (
        str(queued.report.public_id) if queued.report is not None and not queued.report.hidden else None
    )
    return render(
        fmt, "service_requests", "request", [{"service_request_id": request_id, "token": str(queued.token)}]
    )


@endpoint
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests: filters ``service_request_id`` (overrides the others), ``service_code``,
    ``start_date``, ``end_date``, ``status``; 90 days and 1,000 requests at most by default;
    ``page`` and ``page_size`` (common extension).

    A constant number of queries whatever the size of the table: the jurisdiction, the categories of ``service_code``, a page of ids (a LIMIT over an index that
    delivers the rows in order, see ``Report.Meta.indexes``), the rows of that page, their
    photos.
    """
    jurisdiction = resolve_jurisdiction(param(request, "jurisdiction_id"))
    assert jurisdiction is not None
    page_size = positive_int(request, "page_size", MAX_RESULTS, MAX_RESULTS)
    page = positive_int(request, "page", 1, 10**6)
    offset = (page - 1) * page_size
    id_filter = request.GET.get("service_request_id", "").strip()
    if id_filter:
        # By the unique index of public_id; the (≤ 1,000) rows are sorted in Python.
        found = Report.objects.filter(public_id__in=parse_ids(id_filter)[:MAX_RESULTS])
        rows = listing_rows(request, found, offset=offset, limit=page_size, jurisdiction=jurisdiction)
        return render(fmt, "service_requests", "request", rows)
    start, end = date_param(request, "start_date"), date_param(request, "end_date")
    if start is not None and end is not None and end < start:
        raise error(400, "end_date is before start_date")
    if start is None and end is None:
        end = timezone.now()
        start = end - timedelta(days=DEFAULT_SPAN_DAYS)
    elif start is None:
        assert end is not None
        start = end - timedelta(days=DEFAULT_SPAN_DAYS)
    elif end is None:
        end = start + timedelta(days=DEFAULT_SPAN_DAYS)
    state = parse_status(request.GET.get("status", ""))
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
            page_ids = ordered_ids(branches[0], offset, page_size)
        else:
            page_ids = union_ids(branches, offset, page_size)
    else:
        if jurisdiction.commune is not None:
            scoped = visible.filter(commune=jurisdiction.commune)
        else:
            scoped = visible.filter(organisation=jurisdiction.organisation)
        if state is not None:
            # IN (…) rather than a bare boolean: SQLite matches it to the index's is_open column.
            scoped = scoped.filter(is_open__in=[state])
        page_ids = ordered_ids(scoped, offset, page_size)
    rows = listing_rows(request, Report.objects.filter(pk__in=page_ids)) if page_ids else []
    return render(fmt, "service_requests", "request", rows)


@require_GET
@endpoint
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    """GET requests/{id}: one service request (as a one-element list, like the spec)."""
    jurisdiction = resolve_jurisdiction(param(request, "jurisdiction_id"), required=False)
    ids = parse_ids(request_id)
    if len(ids) != 1:
        raise error(404, "service_request_id not found")
    scoped = jurisdiction if jurisdiction is not None and request.GET.get("jurisdiction_id") else None
    rows = listing_rows(request, Report.objects.filter(public_id=ids[0]), jurisdiction=scoped)
    if not rows:
        raise error(404, f"service_request_id not found: {request_id[:64]}")
    return render(fmt, "service_requests", "request", rows)


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "json" if path.endswith(".json") else "xml"
    return render_errors(fmt, error(404, "unknown endpoint or format (use .xml or .json)"))


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
