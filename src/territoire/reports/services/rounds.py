"""A crew's round through its open assigned reports (routing in ``reports.routing``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.reports import geocode, permissions
from territoire.reports.models import (
    VERSION_KEY,
    Crew,
    EventKind,
    LeftOverReason,
    Report,
    Round,
    RoundStop,
)
from territoire.reports.services.errors import ReportForbidden, ReportNotFound
from territoire.reports.services.history import record_event

if TYPE_CHECKING:
    from territoire.territory.models import Commune


def _round_communes(
    crew: Crew, actor: Any, commune: Commune | None, *, check_rights: bool
) -> list[int] | None:
    """The communes whose reports the round takes (None: all the organisation's)."""
    visible: list[int] | None = None
    if check_rights and not permissions.access.is_superuser(actor):
        org_communes = permissions.access.communes_of(crew.organisation)
        covered = list(permissions.visible_communes(actor, crew.organisation).values_list("pk", flat=True))
        if len(covered) < org_communes.count():
            visible = covered
    if commune is None:
        return visible
    if commune.organisation_id != crew.organisation_id or (visible is not None and commune.pk not in visible):
        raise ReportNotFound(_("Commune introuvable."))
    return [commune.pk]


def _single(commune_ids: list[int] | None) -> int | None:
    return commune_ids[0] if commune_ids is not None and len(commune_ids) == 1 else None


def _place(reports: list[Report]) -> tuple[list[Report], list[Report], list[Report]]:
    """Reports with a point (some placed now from their BAN address), and those without."""
    placed: list[Report] = []
    unplaced: list[Report] = []
    geocoded: list[Report] = []
    for report in reports:
        if report.lat is None or report.lon is None:
            found = geocode.locate_address(
                organisation=None,
                jurisdiction_id=report.commune.insee_code,
                address_id=report.address_id,
                address_string=report.address_string,
            )
            if found is None:
                unplaced.append(report)
                continue
            report.lat, report.lon = found.lat, found.lon
            report.address_id = report.address_id or found.ban_id
            geocoded.append(report)
        placed.append(report)
    return placed, unplaced, geocoded


def plan_round(
    crew: Crew,
    day: date,
    *,
    actor: Any,
    commune: Commune | None = None,
    provider: Any = None,
    time_limit_s: float = 1.5,
    ip_address: str | None = None,
    check_rights: bool = True,
) -> Round:
    """Plan ``crew``'s round on ``day`` through the open reports assigned to it.

    OR-Tools orders the stops (``routing.plan_round``) within the shift, with each
    category's service time; reports that do not fit are kept as left-over stops with
    that reason. A report without a point is placed from its address (the BAN) or left
    over as "not placed": none is dropped silently. The nearest-neighbour order a
    dispatcher would use is computed in the same call, and the saving in % is stored with
    the route's GeoJSON. ``commune``: the round of that commune's reports only (planned
    from its pages); a member whose roles cover some communes only plans over those.
    ``check_rights=False`` is for the command line and scheduled jobs (the installation's
    operator, ``actor=None``).
    """
    from territoire.reports import distances, routing

    if check_rights and not permissions.can_plan_rounds(actor, crew.organisation_id):
        if not permissions.access.is_staff_of(actor, crew.organisation_id):
            raise ReportNotFound(_("Équipe introuvable."))
        raise ReportForbidden(_("Votre rôle ne permet pas de planifier une tournée."))
    commune_ids = _round_communes(crew, actor, commune, check_rights=check_rights)
    assigned = Report.objects.filter(crew=crew, is_open=True, hidden=False)
    if commune_ids is not None:
        assigned = assigned.filter(commune_id__in=commune_ids)
    reports = list(assigned.select_related("category", "commune").order_by("requested_at", "id"))
    placed, unplaced, geocoded = _place(reports)
    by_id = {str(r.public_id): r for r in reports}
    stops = [
        routing.Stop(
            id=str(r.public_id),
            lat=float(r.lat or 0),
            lon=float(r.lon or 0),
            service_minutes=float(r.category.service_minutes),
        )
        for r in placed
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
    staff = getattr(actor, "is_authenticated", False)
    with action(
        "reports.round_planned",
        actor=actor if staff else None,
        actor_label="" if staff else "system",
        organisation_id=crew.organisation_id,
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    ) as act:
        planned = Round.objects.create(
            crew=crew,
            commune_id=commune.pk if commune is not None else _single(commune_ids),
            date=day,
            created_by=actor if staff else None,
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
                    leg_m=leg,
                )
                for i, (s, leg) in enumerate(zip(plan.order, plan.leg_m, strict=True), start=1)
            ]
            + [
                RoundStop(
                    round=planned,
                    report=by_id[s.id],
                    left_over=True,
                    reason=LeftOverReason.SHIFT,
                    service_minutes=s.service_minutes,
                )
                for s in plan.left_over
            ]
            + [
                RoundStop(
                    round=planned,
                    report=r,
                    left_over=True,
                    reason=LeftOverReason.NOT_PLACED,
                    service_minutes=float(r.category.service_minutes),
                )
                for r in unplaced
            ]
        )
        # A report placed from its BAN address keeps its point (its page's map shows it).
        for report in geocoded:
            report.updated_at = timezone.now()
        Report.objects.bulk_update(geocoded, ["lat", "lon", "address_id", "updated_at"])
        # Each planned report now has its expected time (Open311 expected_datetime) and a
        # public line in its history; a left-over one keeps what it had.
        now = timezone.now()
        for stop in plan.order:
            report = by_id[stop.id]
            report.expected_at = expected[stop.id]
            report.updated_at = now
        Report.objects.bulk_update([by_id[s.id] for s in plan.order], ["expected_at", "updated_at"])
        for stop in plan.order:
            record_event(
                by_id[stop.id],
                EventKind.ROUND,
                actor=actor,
                data={"date": day.isoformat(), "expected_at": expected[stop.id].isoformat()},
            )
        act.obj = planned
        act.changes = {
            "crew": crew.name,
            "date": day.isoformat(),
            "stops": len(plan.order),
            "left_over": len(plan.left_over),
            "not_placed": len(unplaced),
            "placed_from_address": len(geocoded),
            "distance_m": round(plan.distance_m),
            "baseline_m": round(plan.baseline_distance_m),
        }
    return planned
