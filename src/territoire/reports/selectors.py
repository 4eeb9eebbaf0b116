"""Reads of the reports module: public listings, triage queues, history, statistics.

Public reads never touch the personal columns (``PUBLIC_FIELDS`` lists what may be
read); hidden reports are excluded from every public read. Staff reads go through
``permissions.visible_communes``. Query counts are bounded (no per-row query).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.core.geo import haversine_m
from territoire.reports import permissions
from territoire.reports.models import (
    Crew,
    QueuedRequest,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
    Round,
    RoundStop,
    ServiceAttribute,
    ServiceCategory,
)
from territoire.territory.models import Commune, Organisation

# The columns a public read may load (no e-mail, names, phone, device or account id).
PUBLIC_FIELDS = (
    "id",
    "public_id",
    "reference",
    "organisation_id",
    "commune_id",
    "zone_id",
    "category_id",
    "status_id",
    "is_open",
    "description",
    "lat",
    "lon",
    "address_string",
    "address_id",
    "zipcode",
    "attributes",
    "media_url",
    "status_notes",
    "requested_at",
    "updated_at",
    "closed_at",
    "expected_at",
    "due_at",
    "duplicate_of_id",
    "supporters_count",
    "hidden",
)
PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")
DEFAULT_SMALL_COUNT = 5


def duplicate_radius_m() -> float:
    return float(settings.TERRITOIRE.get("REPORTS_DUPLICATE_RADIUS_M", 50))


# --------------------------------------------------------------------------- catalogue


def categories_of(organisation: Organisation | int, *, active_only: bool = True) -> QuerySet[ServiceCategory]:
    """The organisation's categories with their attributes prefetched (2 queries)."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    qs = ServiceCategory.objects.filter(organisation_id=org_id)
    if active_only:
        qs = qs.filter(active=True)
    return qs.prefetch_related(
        Prefetch("attributes", queryset=ServiceAttribute.objects.order_by("order", "code"))
    )


def statuses_of(organisation: Organisation | int) -> list[ReportStatus]:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return list(ReportStatus.objects.filter(organisation_id=org_id, active=True).order_by("position"))


def crews_of(organisation: Organisation | int) -> QuerySet[Crew]:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return Crew.objects.filter(organisation_id=org_id, active=True).prefetch_related("categories")


# --------------------------------------------------------------------------- public reads


def public_reports(
    *,
    organisation: Organisation | int | None = None,
    communes: Iterable[Commune | int] | None = None,
    category: ServiceCategory | None = None,
    service_codes: Sequence[str] = (),
    is_open: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    zone_id: int | None = None,
    status_code: str | None = None,
) -> QuerySet[Report]:
    """Visible reports, newest first, loading public columns only (related rows joined).

    ``status_code`` is the code of one of the organisation's configurable statuses
    (``nouveau``, ``resolu``…); an unknown code matches nothing.
    """
    qs = Report.objects.filter(hidden=False)
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation if isinstance(organisation, int) else organisation.pk)
    if communes is not None:
        qs = qs.filter(commune_id__in=[c if isinstance(c, int) else c.pk for c in communes])
    if category is not None:
        qs = qs.filter(category=category)
    if service_codes:
        qs = qs.filter(category__service_code__in=list(service_codes))
    if is_open is not None:
        # IN (…): SQLite matches it to the is_open column of the listing indexes (a bare
        # boolean test it does not).
        qs = qs.filter(is_open__in=[is_open])
    if start is not None:
        qs = qs.filter(requested_at__gte=start)
    if end is not None:
        qs = qs.filter(requested_at__lte=end)
    if zone_id is not None:
        qs = qs.filter(zone_id=zone_id)
    if status_code:
        qs = qs.filter(status__code=status_code)
    return (
        qs.only(*PUBLIC_FIELDS)
        .select_related("category", "status", "commune", "zone")
        .order_by("-requested_at", "-id")
    )


def get_public_report(public_id: Any) -> Report | None:
    """A visible report with its category, status, commune and zone; None if unknown or hidden."""
    try:
        return (
            Report.objects.filter(public_id=public_id, hidden=False)
            .only(*PUBLIC_FIELDS)
            .select_related("category", "status", "commune", "zone", "organisation")
            .first()
        )
    except (DjangoValidationError, ValueError):
        return None


def public_photos(report: Report) -> list[ReportPhoto]:
    """Photos that may be shown (not redacted)."""
    return list(report.photos.filter(redacted=False).exclude(file="").order_by("created_at"))


def get_public_photo(public_id: Any) -> ReportPhoto | None:
    """A photo that may be served: not redacted, its report visible."""
    try:
        return (
            ReportPhoto.objects.filter(public_id=public_id, redacted=False, report__hidden=False)
            .exclude(file="")
            .select_related("report")
            .first()
        )
    except (DjangoValidationError, ValueError):
        return None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    kind_label: str
    message: str
    from_status: str
    to_status: str
    actor: str  # staff side only; "" on the public side
    is_public: bool


def report_history(report: Report, *, public_only: bool = True) -> list[HistoryEntry]:
    """The report's history, oldest first. The public side shows no names of people."""
    events = ReportEvent.objects.filter(report=report).select_related("from_status", "to_status")
    if public_only:
        events = events.filter(is_public=True)
    return [
        HistoryEntry(
            at=e.created_at,
            kind=e.kind,
            kind_label=str(e.get_kind_display()),
            message=e.message if (e.is_public or not public_only) else "",
            from_status=e.from_status.label if e.from_status else "",
            to_status=e.to_status.label if e.to_status else "",
            actor="" if public_only else e.actor_label,
            is_public=e.is_public,
        )
        for e in events.order_by("created_at", "id")
    ]


def is_reporter(report: Report, email: str) -> bool:
    """Whether ``email`` (a normal form) is the report's author's; the address itself is
    never read into a public page."""
    return bool(email) and Report.objects.filter(pk=report.pk, email=email).exists()


@dataclass(frozen=True)
class Answer:
    """An answer to one of the category's questions, as a person reads it."""

    question: str
    answer: str
    public: bool


def report_answers(report: Report, *, public_only: bool = True) -> list[Answer]:
    """The answers to the category's questions (size, danger, lamp-post number…), in the
    questions' order. The public side shows only the questions marked public (no free
    text by default: it may hold a name or a phone number); staff see every answer, also
    those to the questions of a category the report has left."""
    answers = report.attributes if isinstance(report.attributes, dict) else {}
    if not answers:
        return []
    questions = list(
        ServiceAttribute.objects.filter(category_id=report.category_id).order_by("order", "code")
    )
    found = []
    for question in questions:
        value = answers.get(question.code)
        if value in (None, "", []) or (public_only and not question.public):
            continue
        found.append(Answer(question.description, question.display(value), question.public))
    if not public_only:
        known = {q.code for q in questions}
        for code, value in answers.items():
            if code not in known and value not in (None, "", []):
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                found.append(Answer(code, shown, False))
    return found


@dataclass(frozen=True)
class Candidate:
    report: Report
    distance_m: float


def find_likely_duplicates(
    category: ServiceCategory, lat: float, lon: float, radius_m: float | None = None, *, limit: int = 10
) -> list[Candidate]:
    """Open, visible reports of the same category within ``radius_m`` (default from settings), nearest first."""
    radius = duplicate_radius_m() if radius_m is None else radius_m
    dlat = radius / 111_000 + 1e-6
    import math

    dlon = radius / (111_000 * max(math.cos(math.radians(lat)), 0.01)) + 1e-6
    rows = (
        Report.objects.filter(
            category=category,
            is_open=True,
            hidden=False,
            lat__gte=lat - dlat,
            lat__lte=lat + dlat,
            lon__gte=lon - dlon,
            lon__lte=lon + dlon,
        )
        .only(*PUBLIC_FIELDS)
        .select_related("category", "status")
        .order_by("-requested_at")[:200]
    )
    found = [Candidate(r, haversine_m(lat, lon, r.lat or 0, r.lon or 0)) for r in rows]
    found = [c for c in found if c.distance_m <= radius]
    found.sort(key=lambda c: c.distance_m)
    return found[:limit]


# --------------------------------------------------------------------------- staff reads


def merge_radius_m() -> float:
    return float(settings.TERRITOIRE.get("REPORTS_MERGE_RADIUS_M", 300))


@dataclass(frozen=True)
class MergeCandidate:
    """An open report the report on screen may be a duplicate of."""

    report: Report
    distance_m: float | None  # None when either report has no point


def merge_candidates(user: Any, report: Report, *, limit: int = 10) -> list[MergeCandidate]:
    """Open reports of the same commune near ``report`` (within ``REPORTS_MERGE_RADIUS_M``,
    any category since a duplicate may have been filed under another one; the same
    category first, then the nearest), or, for a report without a point, the latest open ones of its category there.

    Same commune only: a member sees the candidates of the commune they cover, never
    another commune's reports (two queries at most, whatever the number of candidates).
    """
    if not permissions.can_view_reports(user, report.commune):
        return []
    qs = (
        Report.objects.filter(
            organisation_id=report.organisation_id,
            commune_id=report.commune_id,
            is_open=True,
            duplicate_of__isnull=True,
        )
        .exclude(pk=report.pk)
        .select_related("category", "status")
    )
    if report.lat is None or report.lon is None:
        rows = qs.filter(category_id=report.category_id).order_by("-requested_at", "-id")[:limit]
        return [MergeCandidate(r, None) for r in rows]
    radius = merge_radius_m()
    dlat = radius / 111_000 + 1e-6
    dlon = radius / (111_000 * max(math.cos(math.radians(report.lat)), 0.01)) + 1e-6
    nearby = qs.filter(
        lat__gte=report.lat - dlat,
        lat__lte=report.lat + dlat,
        lon__gte=report.lon - dlon,
        lon__lte=report.lon + dlon,
    ).order_by("-requested_at", "-id")[:500]
    found = [
        MergeCandidate(r, haversine_m(report.lat, report.lon, r.lat or 0, r.lon or 0))
        for r in nearby
        if r.lat is not None and r.lon is not None
    ]
    found = [c for c in found if c.distance_m is not None and c.distance_m <= radius]
    found.sort(key=lambda c: (c.report.category_id != report.category_id, c.distance_m or 0))
    return found[:limit]


def triage_queue(
    user: Any,
    organisation: Organisation,
    *,
    team: str | None = None,
    category: ServiceCategory | None = None,
    commune: Commune | None = None,
    zone_id: int | None = None,
    status: ReportStatus | None = None,
    crew: Crew | None = None,
    include_closed: bool = False,
    overdue_only: bool = False,
    include_hidden: bool = True,
    reference: str | None = None,
) -> QuerySet[Report]:
    """Reports the user may triage or read, oldest due first; each annotated ``is_overdue``.

    ``team`` is a category's technical service (the queue "per service"). ``reference``
    (normalised, ``VAL-2026-00123``) finds one report whatever its state. Personal
    columns are loaded (staff pages show the contact), so never use it on a public page.
    """
    now = timezone.now()
    qs = Report.objects.filter(
        organisation=organisation, commune__in=permissions.visible_communes(user, organisation)
    ).select_related("category", "status", "commune", "zone", "crew")
    if team is not None:
        qs = qs.filter(category__team=team)
    if category is not None:
        qs = qs.filter(category=category)
    if commune is not None:
        qs = qs.filter(commune=commune)
    if zone_id is not None:
        qs = qs.filter(zone_id=zone_id)
    if status is not None:
        qs = qs.filter(status=status)
    if crew is not None:
        qs = qs.filter(crew=crew)
    if reference is not None:
        qs = qs.filter(reference=reference)
    elif not include_closed and status is None:
        qs = qs.filter(is_open=True)
    if not include_hidden:
        qs = qs.filter(hidden=False)
    if overdue_only:
        qs = qs.filter(is_open=True, due_at__lt=now)
    from django.db.models import BooleanField, Case, Value, When

    qs = qs.annotate(
        is_overdue=Case(
            When(Q(is_open=True, due_at__lt=now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    return qs.order_by("-is_overdue", "due_at", "requested_at", "id")


def get_report_for_staff(user: Any, public_id: Any) -> Report | None:
    """A report the user may see on the staff side (None otherwise: answer 404)."""
    try:
        report = (
            Report.objects.filter(public_id=public_id)
            .select_related("category", "status", "commune", "zone", "crew", "duplicate_of", "organisation")
            .first()
        )
    except (DjangoValidationError, ValueError):
        return None
    if report is None or not permissions.can_view_reports(user, report.commune):
        return None
    return report


def staff_photos(report: Report) -> list[ReportPhoto]:
    return list(report.photos.order_by("created_at"))


def queue_counts(user: Any, organisation: Organisation) -> list[dict[str, Any]]:
    """Open reports per technical service and commune the user may see: total and overdue."""
    now = timezone.now()
    rows = (
        Report.objects.filter(
            organisation=organisation,
            commune__in=permissions.visible_communes(user, organisation),
            is_open=True,
        )
        .values("category__team", "commune__name", "commune__insee_code")
        .annotate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by("category__team", "commune__name")
    )
    return list(rows)


def rounds_of(crew: Crew, *, limit: int = 20) -> QuerySet[Round]:
    return Round.objects.filter(crew=crew).order_by("-date", "-created_at")[:limit]


def rounds_at(
    user: Any, organisation: Organisation, commune: Commune | None, *, crews: list[Crew]
) -> list[Round]:
    """The latest rounds listed at a place: a commune's own rounds at its pages; at the
    organisation's, those whose reports all lie in communes ``user`` may see."""
    rounds = Round.objects.filter(crew__in=crews).select_related("crew", "commune")
    if commune is not None:
        return list(rounds.filter(commune=commune).order_by("-date", "-created_at")[:20])
    visible = permissions.visible_communes(user, organisation)
    if visible.count() < organisation.communes.count():
        rounds = rounds.exclude(
            pk__in=RoundStop.objects.exclude(report__commune__in=visible).values("round_id")
        ).exclude(commune__isnull=False, commune__in=Commune.objects.exclude(pk__in=visible))
    return list(rounds.order_by("-date", "-created_at")[:20])


def round_visible(
    user: Any,
    organisation: Organisation,
    commune: Commune | None,
    planned: Round,
    stops: list[RoundStop],
    left_over: list[RoundStop],
) -> bool:
    """May ``user`` see this round at this place (see ``rounds_at``)?"""
    if planned.crew.organisation_id != organisation.pk:
        return False
    if commune is not None:
        return planned.commune_id == commune.pk
    visible = set(permissions.visible_communes(user, organisation).values_list("pk", flat=True))
    if planned.commune_id is not None and planned.commune_id not in visible:
        return False
    return all(stop.report.commune_id in visible for stop in [*stops, *left_over])


def round_with_stops(round_id: Any) -> tuple[Round, list[RoundStop], list[RoundStop]] | None:
    """A round (by public id) with its visited stops in order and its left-over stops."""
    try:
        planned = Round.objects.select_related("crew", "commune").filter(public_id=round_id).first()
    except (DjangoValidationError, ValueError):
        return None
    if planned is None:
        return None
    stops = list(
        RoundStop.objects.filter(round=planned)
        .select_related("report__category", "report__commune", "report__zone")
        .order_by("left_over", "position", "id")
    )
    return planned, [s for s in stops if not s.left_over], [s for s in stops if s.left_over]


def api_keys() -> list[ApiToken]:
    """The Open311 application keys, revoked ones included: the API tokens that may write
    to this module (the modules are a JSON list, checked on each token)."""
    tokens = (
        ApiToken.objects.filter(can_write=True).select_related("organisation").order_by("name", "created_at")
    )
    return [token for token in tokens if token.allows_module("reports")]


def queued_request(token: Any) -> QueuedRequest | None:
    try:
        return QueuedRequest.objects.select_related("report").filter(token=token).first()
    except (DjangoValidationError, ValueError):
        return None


# --------------------------------------------------------------------------- statistics


def closed_in(communes: Sequence[int], start: datetime, end: datetime) -> QuerySet[Report]:
    """Reports that count as processed: closed in the period, not duplicates, not hidden."""
    return Report.objects.filter(
        commune_id__in=communes,
        is_open=False,
        closed_at__gte=start,
        closed_at__lt=end,
        duplicate_of__isnull=True,
        hidden=False,
    )


@dataclass
class CategoryDelay:
    service_code: str
    name: str
    closed: int
    median_days: float | None
    within_sla_percent: float | None


def processing_delays(communes: Sequence[int], start: datetime, end: datetime) -> list[CategoryDelay]:
    """Per category: reports closed in [start, end), median delay in days, % within the SLA."""
    rows = closed_in(communes, start, end).values_list(
        "category__service_code", "category__name", "requested_at", "closed_at", "due_at"
    )
    delays: dict[tuple[str, str], list[float]] = defaultdict(list)
    within: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for code, name, requested, closed, due in rows:
        if closed is None:
            continue
        delays[(code, name)].append((closed - requested).total_seconds() / 86400)
        if due is not None:
            within[(code, name)].append(closed <= due)
    return [
        CategoryDelay(
            service_code=code,
            name=name,
            closed=len(values),
            median_days=statistics.median(values) if values else None,
            within_sla_percent=(100 * sum(within[(code, name)]) / len(within[(code, name)]))
            if within[(code, name)]
            else None,
        )
        for (code, name), values in sorted(delays.items(), key=lambda kv: kv[0][1])
    ]


def median_processing_days(communes: Sequence[int], start: datetime, end: datetime) -> float | None:
    values = [
        (closed - requested).total_seconds() / 86400
        for requested, closed in closed_in(communes, start, end).values_list("requested_at", "closed_at")
        if closed is not None
    ]
    return statistics.median(values) if values else None


def closed_within_sla_percent(communes: Sequence[int], start: datetime, end: datetime) -> float | None:
    rows = list(
        closed_in(communes, start, end).filter(due_at__isnull=False).values_list("closed_at", "due_at")
    )
    if not rows:
        return None
    return (
        100
        * sum(1 for closed, due in rows if closed is not None and due is not None and closed <= due)
        / len(rows)
    )


def reports_count(communes: Sequence[int], start: datetime, end: datetime) -> int:
    """Reports filed in [start, end), duplicates and hidden ones excluded."""
    return Report.objects.filter(
        commune_id__in=communes,
        requested_at__gte=start,
        requested_at__lt=end,
        duplicate_of__isnull=True,
        hidden=False,
    ).count()


@dataclass
class ZoneIrritants:
    zone: str
    commune: str
    total: int
    top: list[tuple[str, int, float]] = field(default_factory=list)  # (category, count, share %)
    suppressed: bool = False


def recurring_irritants(
    communes: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    top: int = 3,
    min_count: int = DEFAULT_SMALL_COUNT,
) -> list[ZoneIrritants]:
    """Top categories per zone over [start, end); counts under ``min_count`` are suppressed.

    A zone with fewer than ``min_count`` reports shows no breakdown (``suppressed``); in
    a zone shown, a category below ``min_count`` is left out of the top list.
    """
    rows = (
        Report.objects.filter(
            commune_id__in=communes,
            requested_at__gte=start,
            requested_at__lt=end,
            duplicate_of__isnull=True,
            hidden=False,
            zone__isnull=False,
        )
        .values("zone__name", "commune__name", "category__name")
        .annotate(n=Count("id"))
    )
    per_zone: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in rows:
        per_zone[(row["zone__name"], row["commune__name"])][row["category__name"]] += row["n"]
    out = []
    for (zone, commune), counts in sorted(per_zone.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        total = sum(counts.values())
        if total < min_count:
            out.append(ZoneIrritants(zone=zone, commune=commune, total=0, suppressed=True))
            continue
        ranked = [(name, n, 100 * n / total) for name, n in counts.most_common() if n >= min_count][:top]
        out.append(ZoneIrritants(zone=zone, commune=commune, total=total, top=ranked))
    return out


def round_saving_percent(organisation_id: int, start: datetime, end: datetime) -> float | None:
    """Distance saved by the planned rounds of the period vs nearest neighbour, in %.

    Total over the rounds (the latest plan of each crew and day): 1 − Σ planned / Σ baseline.
    """
    latest: dict[tuple[int, Any], tuple[float, float]] = {}
    for crew_id, day, planned, baseline in (
        Round.objects.filter(
            crew__organisation_id=organisation_id, date__gte=start.date(), date__lt=end.date()
        )
        .order_by("created_at", "id")
        .values_list("crew_id", "date", "distance_m", "baseline_distance_m")
    ):
        latest[(crew_id, day)] = (planned, baseline)
    baseline_total = sum(b for _, b in latest.values())
    if not latest or baseline_total <= 0:
        return None
    return 100 * (1 - sum(p for p, _ in latest.values()) / baseline_total)


def overdue_count(organisation: Organisation) -> int:
    return Report.objects.filter(organisation=organisation, is_open=True, due_at__lt=timezone.now()).count()


def period_bounds(days: int = 365) -> tuple[datetime, datetime]:
    end = timezone.now()
    return end - timedelta(days=days), end
