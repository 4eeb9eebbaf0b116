"""Staff pages of the reports module: triage queue, a report's file with its actions, rounds.

Every view is wrapped in ``staff_page`` (``urls.py``): the second factor is required.
Rights come from ``reports.permissions`` (built on ``territory.access``): a report, crew
or round of another organisation or of a commune the member does not cover is "not found"
(404); a member who sees a report but whose role does not allow an action gets 403.
Every write is a service call; its ``ReportError`` is shown next to the field (422).
Writes count in the ``staff_write`` rate limit, like the figure pages.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from territoire.core.http import client_ip
from territoire.core.ratelimit import rate_limited
from territoire.core.uploads import serve_upload
from territoire.reports import permissions, selectors, services
from territoire.reports.forms import (
    ALL_STATES,
    AnswerForm,
    AssignForm,
    CategoryForm,
    MergeForm,
    ReasonForm,
    RoundForm,
    StaffFilterForm,
    StatusForm,
    apply_report_errors,
)
from territoire.reports.models import Report, ReportStatus
from territoire.reports.views.public import Place, map_settings, place_of, report_points
from territoire.territory import access

QUEUE_PAGE_SIZE = 50


def _staff_place(request: HttpRequest, scope_code: str) -> Place:
    """The place, if the member may see reports there; else 404."""
    place = place_of(scope_code)
    user = request.user
    if not access.is_staff_of(user, place.organisation):
        raise Http404("not found")
    if place.commune is not None and not permissions.can_view_reports(user, place.commune):
        raise Http404("not found")
    return place


def _staff_report(request: HttpRequest, place: Place, public_id: UUID) -> Report:
    report = selectors.get_report_for_staff(request.user, public_id)
    if report is None or not place.holds(report):
        raise Http404("unknown report")
    return report


def _context(place: Place, **extra: Any) -> dict[str, Any]:
    return {
        "scope": place.scope,
        "organisation": place.organisation,
        "place": place,
        "map": map_settings(),
        **extra,
    }


# --------------------------------------------------------------------------- queue


@login_required
@require_safe
def queue(request: HttpRequest, scope_code: str) -> HttpResponse:
    place = _staff_place(request, scope_code)
    organisation = place.organisation
    categories = list(selectors.categories_of(organisation, active_only=False).order_by("position", "name"))
    statuses = selectors.statuses_of(organisation)
    zones = place.zones()
    teams = sorted({c.team for c in categories if c.team})
    filters = StaffFilterForm(
        request.GET or None, categories=categories, statuses=statuses, zones=zones, teams=teams
    )
    options: dict[str, Any] = {"commune": place.commune}
    if filters.is_bound and filters.is_valid():
        chosen = filters.cleaned_data
        options["team"] = chosen["team"] or None
        options["zone_id"] = int(chosen["zone"]) if chosen["zone"] else None
        options["category"] = next((c for c in categories if c.service_code == chosen["category"]), None)
        options["overdue_only"] = chosen["overdue"]
        options["reference"] = chosen["reference"]
        if chosen["status"] in ("closed", ALL_STATES):
            options["include_closed"] = True
        elif chosen["status"]:
            options["status"] = next((s for s in statuses if s.code == chosen["status"]), None)
    reports = selectors.triage_queue(request.user, organisation, **options)
    if filters.is_bound and filters.is_valid() and filters.cleaned_data["status"] == "closed":
        reports = reports.filter(is_open=False)
    page = Paginator(reports, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(
        place,
        filters=filters,
        page=page,
        reports=list(page.object_list),
        query=query.urlencode(),
        counts=selectors.queue_counts(request.user, organisation),
        may_plan=permissions.can_plan_rounds(request.user, organisation),
    )
    return render(
        request,
        "reports/staff/queue.html",
        context,
        status=200 if filters.is_valid() or not filters.is_bound else 400,
    )


# --------------------------------------------------------------------------- a report's file


def _categories(report: Report) -> Any:
    return selectors.categories_of(report.organisation_id).order_by("position", "name")


def _action_forms(
    report: Report, candidates: list[Any], bound: dict[str, forms.Form] | None = None
) -> dict[str, forms.Form]:
    statuses = ReportStatus.objects.filter(organisation_id=report.organisation_id, active=True).order_by(
        "position"
    )
    crews = selectors.crews_of(report.organisation_id).order_by("name")
    made: dict[str, forms.Form] = {
        "status": StatusForm(statuses=statuses, initial={"status": report.status.code}, prefix="status"),
        "answer": AnswerForm(prefix="answer"),
        "assign": AssignForm(crews=crews, initial={"crew": report.crew_id}, prefix="assign"),
        "category": CategoryForm(
            categories=_categories(report),
            initial={"category": report.category.service_code},
            prefix="category",
        ),
        "merge": MergeForm(candidates=candidates, prefix="merge"),
        "hide": ReasonForm(prefix="hide"),
        "unhide": ReasonForm(prefix="unhide"),
        "redact": ReasonForm(prefix="redact"),
    }
    made.update(bound or {})
    return made


def _render_manage(
    request: HttpRequest,
    place: Place,
    report: Report,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    photos = selectors.staff_photos(report)
    history = selectors.report_history(report, public_only=False)
    may_triage = permissions.can_triage(user, report.commune)
    candidates = selectors.merge_candidates(user, report) if may_triage and report.is_open else []
    context = _context(
        place,
        report=report,
        history=history,
        photos=photos,
        answers=selectors.report_answers(report, public_only=False),
        candidates=candidates,
        forms=_action_forms(report, candidates, bound),
        may_triage=may_triage,
        may_moderate=permissions.can_moderate(user, report.commune),
        points=report_points(place, [report]),
        overdue=report.is_open and report.due_at is not None and report.due_at < timezone.now(),
        duplicates=list(report.duplicates.order_by("requested_at").values_list("public_id", flat=True)[:50]),
    )
    return render(request, "reports/staff/detail.html", context, status=status)


@login_required
@require_safe
def manage(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    place = _staff_place(request, scope_code)
    report = _staff_report(request, place, public_id)
    return _render_manage(request, place, report)


def _act(
    request: HttpRequest,
    scope_code: str,
    public_id: UUID,
    name: str,
    make_form: Any,
    perform: Any,
    mapping: dict[str, str],
    done: str,
) -> HttpResponse:
    """Run one action of the report's page: validate ``form``, call the service, redirect."""
    place = _staff_place(request, scope_code)
    report = _staff_report(request, place, public_id)
    form = make_form(report)
    if form.is_valid():
        try:
            perform(report, form.cleaned_data)
        except services.ReportError as error:
            apply_report_errors(form, error.errors, mapping)
        else:
            messages.success(request, done)
            return redirect("reports-manage", place.scope.code, report.public_id)
    report = _staff_report(request, place, public_id)
    return _render_manage(request, place, report, {name: form}, status=422)


@rate_limited("staff_write")
@login_required
@require_POST
def change_status(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    def make(report: Report) -> StatusForm:
        statuses = ReportStatus.objects.filter(organisation_id=report.organisation_id, active=True)
        return StatusForm(request.POST, statuses=statuses, prefix="status")

    def perform(report: Report, data: dict[str, Any]) -> None:
        services.change_status(
            report, data["status"], actor=request.user, answer=data["answer"], ip_address=client_ip(request)
        )

    return _act(
        request,
        scope_code,
        public_id,
        "status",
        make,
        perform,
        {"answer": "answer", "status": "status"},
        _("Statut modifié."),
    )


@rate_limited("staff_write")
@login_required
@require_POST
def answer(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    def perform(report: Report, data: dict[str, Any]) -> None:
        services.add_answer(
            report,
            data["text"],
            actor=request.user,
            public=bool(data["public"]),
            ip_address=client_ip(request),
        )

    return _act(
        request,
        scope_code,
        public_id,
        "answer",
        lambda r: AnswerForm(request.POST, prefix="answer"),
        perform,
        {"answer": "text"},
        _("Message enregistré."),
    )


@rate_limited("staff_write")
@login_required
@require_POST
def assign(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    def make(report: Report) -> AssignForm:
        return AssignForm(request.POST, crews=selectors.crews_of(report.organisation_id), prefix="assign")

    def perform(report: Report, data: dict[str, Any]) -> None:
        services.assign_crew(report, data["crew"], actor=request.user, ip_address=client_ip(request))

    return _act(request, scope_code, public_id, "assign", make, perform, {}, _("Affectation enregistrée."))


@rate_limited("staff_write")
@login_required
@require_POST
def merge(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    """Close the report as a duplicate of one of its nearby candidates (same commune):
    the choice is checked against the candidates computed again, so a member never merges
    into a report they were not offered."""
    candidates: dict[str, Report] = {}

    def make(report: Report) -> MergeForm:
        found = selectors.merge_candidates(request.user, report) if report.is_open else []
        candidates.update({str(c.report.public_id): c.report for c in found})
        return MergeForm(request.POST, candidates=found, prefix="merge")

    def perform(report: Report, data: dict[str, Any]) -> None:
        services.merge_duplicate(
            report,
            candidates[data["target"]],
            actor=request.user,
            answer=data["answer"],
            ip_address=client_ip(request),
        )

    return _act(
        request,
        scope_code,
        public_id,
        "merge",
        make,
        perform,
        {"target": "target", "answer": "answer", "status": "target"},
        _("Signalement fusionné avec son doublon."),
    )


@rate_limited("staff_write")
@login_required
@require_POST
def change_category(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    """File the report under another category, hence another technical service."""

    def perform(report: Report, data: dict[str, Any]) -> None:
        services.change_category(report, data["category"], actor=request.user, ip_address=client_ip(request))

    return _act(
        request,
        scope_code,
        public_id,
        "category",
        lambda r: CategoryForm(request.POST, categories=_categories(r), prefix="category"),
        perform,
        {"category": "category"},
        _("Catégorie modifiée."),
    )


@rate_limited("staff_write")
@login_required
@require_POST
def hide(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    def perform(report: Report, data: dict[str, Any]) -> None:
        services.hide_report(report, data["reason"], actor=request.user, ip_address=client_ip(request))

    return _act(
        request,
        scope_code,
        public_id,
        "hide",
        lambda r: ReasonForm(request.POST, prefix="hide"),
        perform,
        {"reason": "reason"},
        _("Signalement masqué au public."),
    )


@rate_limited("staff_write")
@login_required
@require_POST
def unhide(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    def perform(report: Report, data: dict[str, Any]) -> None:
        services.unhide_report(
            report, actor=request.user, reason=data["reason"], ip_address=client_ip(request)
        )

    return _act(
        request,
        scope_code,
        public_id,
        "unhide",
        lambda r: ReasonForm(request.POST, prefix="unhide"),
        perform,
        {"reason": "reason"},
        _("Signalement de nouveau visible."),
    )


@rate_limited("staff_write")
@login_required
@require_POST
def redact(request: HttpRequest, scope_code: str, public_id: UUID, photo_id: UUID) -> HttpResponse:
    def perform(report: Report, data: dict[str, Any]) -> None:
        photo = report.photos.filter(public_id=photo_id).first()
        if photo is None:
            raise Http404("unknown photo")
        services.redact_photo(photo, data["reason"], actor=request.user, ip_address=client_ip(request))

    return _act(
        request,
        scope_code,
        public_id,
        "redact",
        lambda r: ReasonForm(request.POST, prefix="redact"),
        perform,
        {"reason": "reason"},
        _("Photo retirée."),
    )


@login_required
@require_safe
def staff_photo(request: HttpRequest, scope_code: str, public_id: UUID, photo_id: UUID) -> HttpResponse:
    """A photo for staff (also of a hidden report); a redacted photo has no file any more."""
    place = _staff_place(request, scope_code)
    report = _staff_report(request, place, public_id)
    photo = report.photos.filter(public_id=photo_id, redacted=False).exclude(file="").first()
    if photo is None:
        raise Http404("unknown photo")
    response = serve_upload(request, photo.file, photo.content_type, f"signalement-{public_id}")
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- rounds


def _rounds_place(request: HttpRequest, scope_code: str) -> Place:
    place = _staff_place(request, scope_code)
    if not permissions.can_plan_rounds(request.user, place.organisation):
        raise services.ReportForbidden(_("Votre rôle ne permet pas de planifier une tournée."))
    return place


@rate_limited("staff_write")
@login_required
def rounds(request: HttpRequest, scope_code: str) -> HttpResponse:
    place = _rounds_place(request, scope_code)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    crews = selectors.crews_of(place.organisation).order_by("name")
    if request.method == "POST":
        form = RoundForm(request.POST, crews=crews)
        if form.is_valid():
            try:
                planned = services.plan_round(
                    form.cleaned_data["crew"],
                    form.cleaned_data["date"],
                    actor=request.user,
                    commune=place.commune,
                    ip_address=client_ip(request),
                )
            except services.ReportError as error:
                apply_report_errors(form, error.errors, {})
            else:
                return redirect("reports-round", place.scope.code, planned.public_id)
        status = 422
    else:
        form = RoundForm(crews=crews, initial={"date": timezone.localdate()})
        status = 200
    crew_list = list(crews)
    recent = selectors.rounds_at(request.user, place.organisation, place.commune, crews=crew_list)
    context = _context(place, form=form, recent=list(recent), crews=crew_list)
    return render(request, "reports/staff/rounds.html", context, status=status)


def _round(request: HttpRequest, place: Place, public_id: UUID) -> tuple[Any, list[Any], list[Any]]:
    """A round shown at this place to this member, or 404: a commune's round at its own
    pages only, and a round only to a member who may see every report in it."""
    found = selectors.round_with_stops(public_id)
    if found is None or not selectors.round_visible(request.user, place.organisation, place.commune, *found):
        raise Http404("unknown round")
    return found


def round_map(planned: Any, stops: list[Any]) -> dict[str, Any]:
    """The round for the map: depot, numbered stops, straight legs in order (back to the depot)."""
    crew = planned.crew
    depot = [crew.depot_lon, crew.depot_lat]
    features: list[dict[str, Any]] = []
    line = [depot]
    for stop in stops:
        report = stop.report
        if report.lat is None or report.lon is None:
            continue
        point = [report.lon, report.lat]
        line.append(point)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": point},
                "properties": {
                    "kind": "stop",
                    "position": stop.position,
                    "title": f"{stop.position}. {report.category.name}",
                },
            }
        )
    line.append(depot)
    route = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line}, "properties": {}}
    depot_feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": depot},
        "properties": {"kind": "depot", "title": crew.depot_name or _("Dépôt")},
    }
    return {"type": "FeatureCollection", "features": [route, depot_feature, *features]}


@login_required
@require_safe
def round_sheet(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    place = _rounds_place(request, scope_code)
    planned, stops, left_over = _round(request, place, public_id)
    saved_m = planned.baseline_distance_m - planned.distance_m
    for stop in stops:
        stop.leg_km = stop.leg_m / 1000 if stop.leg_m is not None else None
    legs_m = sum(stop.leg_m or 0 for stop in stops)
    context = _context(
        place,
        round=planned,
        stops=stops,
        left_over=left_over,
        route=round_map(planned, stops),
        saved_km=saved_m / 1000,
        planned_km=planned.distance_m / 1000,
        baseline_km=planned.baseline_distance_m / 1000,
        # Rounds planned before legs were stored show no return leg rather than a false one.
        return_km=(planned.distance_m - legs_m) / 1000 if all(s.leg_m is not None for s in stops) else None,
    )
    return render(request, "reports/staff/round.html", context)


@login_required
@require_safe
def round_geojson(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    place = _rounds_place(request, scope_code)
    planned, stops, _left = _round(request, place, public_id)
    data = planned.geojson or round_map(planned, stops)
    response = JsonResponse(data)
    response["Content-Type"] = "application/geo+json"
    response["Content-Disposition"] = (
        f'attachment; filename="tournee-{planned.date:%Y-%m-%d}-{planned.public_id}.geojson"'
    )
    return response
