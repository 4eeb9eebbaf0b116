"""Residents' pages: the list of reports, the form (with its duplicate step), a report's page,
its photo, the zones' outlines for the maps and the public statistics.

Every write goes through ``services`` (views never save); reads through ``selectors``,
which never load personal columns for a public page. ``scope_code`` is the organisation's
SIREN or one of its communes' INSEE code, as everywhere on the public site.

The form works without JavaScript: the location is a click on the map (hidden ``lat`` /
``long`` fields set by ``map.js``) or, without the map, an address and the district in a
list. Before a report is created, likely duplicates (same category, open, within the
configured radius) are shown; the resident either supports one ("+1") or confirms that
it is another problem. That second step carries the form's data in hidden fields and
everything is validated again; the photo, sanitised at the first step, waits in the
cache under a random reference (see ``forms.keep_pending_photo``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from territoire.core.charts import Bar, bar_chart
from territoire.core.emails import normalise_email
from territoire.core.http import client_ip
from territoire.core.ratelimit import rate_limited
from territoire.core.uploads import serve_upload
from territoire.reports import geocode, selectors, services
from territoire.reports.forms import (
    REPORT_FIELDS,
    FilterForm,
    ReportForm,
    apply_report_errors,
    for_person,
    forget_pending_photo,
    pending_photo,
)
from territoire.reports.forms import keep_pending_photo as keep_photo
from territoire.reports.models import Report
from territoire.reports.services import confirmations
from territoire.territory import addresses
from territoire.territory.models import Commune, Organisation, Scope, Zone
from territoire.territory.selectors import organisation_of, scope_by_code

PAGE_SIZE = 20
STATS_DAYS = 365


@dataclass(frozen=True)
class Place:
    """What ``scope_code`` designates: the organisation, or one of its communes."""

    scope: Scope
    organisation: Organisation
    commune: Commune | None

    @property
    def commune_ids(self) -> list[int] | None:
        return [self.commune.pk] if self.commune is not None else None

    def zones(self) -> list[Zone]:
        zones = Zone.objects.select_related("commune").order_by("commune__name", "name")
        if self.commune is not None:
            return list(zones.filter(commune=self.commune))
        return list(zones.filter(commune__organisation=self.organisation))

    def communes(self) -> list[Commune]:
        if self.commune is not None:
            return [self.commune]
        return list(Commune.objects.filter(organisation=self.organisation).order_by("name"))

    def holds(self, report: Report) -> bool:
        if report.organisation_id != self.organisation.pk:
            return False
        return self.commune is None or report.commune_id == self.commune.pk


def place_of(scope_code: str) -> Place:
    scope = scope_by_code(scope_code)
    return Place(scope=scope, organisation=organisation_of(scope), commune=scope.commune)


def public_report(place: Place, public_id: UUID) -> Report:
    """A visible report of the place, or 404 (unknown, hidden or elsewhere)."""
    report = selectors.get_public_report(public_id)
    if report is None or not place.holds(report):
        raise Http404("unknown report")
    return report


def map_settings() -> dict[str, str]:
    return {
        "tiles": str(settings.TERRITOIRE.get("MAP_TILE_URL", "") or ""),
        "attribution": str(settings.TERRITOIRE.get("MAP_TILE_ATTRIBUTION", "") or ""),
    }


def report_points(place: Place, reports: list[Report]) -> dict[str, Any]:
    """GeoJSON of the reports on a page, for the map (public data only)."""
    features = []
    for report in reports:
        if report.lat is None or report.lon is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [report.lon, report.lat]},
                "properties": {
                    "title": report.category.name,
                    "status": report.status.label,
                    "closed": not report.is_open,
                    "url": reverse("reports-detail", args=[place.scope.code, report.public_id]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _base_context(place: Place) -> dict[str, Any]:
    return {"scope": place.scope, "organisation": place.organisation, "place": place, "map": map_settings()}


# --------------------------------------------------------------------------- list


@require_safe
def index(request: HttpRequest, scope_code: str) -> HttpResponse:
    place = place_of(scope_code)
    categories = list(
        selectors.categories_of(place.organisation, active_only=False).order_by("position", "name")
    )
    statuses = selectors.statuses_of(place.organisation)
    zones = place.zones()
    filters = FilterForm(request.GET or None, categories=categories, statuses=statuses, zones=zones)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    reports = selectors.public_reports(
        organisation=place.organisation,
        communes=place.commune_ids,
        service_codes=[chosen["category"]] if chosen.get("category") else (),
        status_code=chosen.get("status") or None,
        zone_id=int(chosen["zone"]) if chosen.get("zone") else None,
    )
    if filters.is_bound and not filters.is_valid():
        reports = reports.none()
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_base_context(place),
        "filters": filters,
        "page": page,
        "reports": items,
        "points": report_points(place, items),
        "query": query.urlencode(),
        "has_categories": any(c.active for c in categories),
    }
    status = 200 if not filters.is_bound or filters.is_valid() else 400
    return render(request, "reports/list.html", context, status=status)


@require_safe
def zones_geojson(request: HttpRequest, scope_code: str) -> HttpResponse:
    """The outlines of the place's zones (public), for the maps."""
    place = place_of(scope_code)
    features = [
        {
            "type": "Feature",
            "geometry": zone.geometry,
            "properties": {"id": zone.pk, "code": zone.code, "name": zone.name, "commune": zone.commune.name},
        }
        for zone in place.zones()
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Content-Type"] = "application/geo+json"
    return response


# --------------------------------------------------------------------------- the form


def _report_form(request: HttpRequest, place: Place, data: Any = None, files: Any = None) -> ReportForm:
    categories = selectors.categories_of(place.organisation).order_by("position", "name")
    return ReportForm(data, files, categories=categories, zones=place.zones())


def _render_form(request: HttpRequest, place: Place, form: ReportForm, status: int = 200) -> HttpResponse:
    if status != 200:
        _keep_photo_for_retry(form)
    context = {**_base_context(place), "form": form}
    return render(request, "reports/new.html", context, status=status)


def _keep_photo_for_retry(form: ReportForm) -> None:
    """A photo that passed its checks is kept while the resident corrects the rest of the
    form (a browser never fills a file input again): it waits server-side under a random
    reference, sent back in a hidden field, and the form says it is still attached."""
    if form.photo_image is None or "photo" in form.errors:
        return
    reference = (getattr(form, "cleaned_data", {}) or {}).get("photo_ref") or ""
    if pending_photo(reference) is None:
        reference = keep_photo(form.photo_image)
    data = QueryDict(mutable=True)
    for key in form.data:
        data.setlist(key, form.data.getlist(key) if isinstance(form.data, QueryDict) else [form.data[key]])
    data["photo_ref"] = reference
    form.data = data


@rate_limited("public_write")
def new(request: HttpRequest, scope_code: str) -> HttpResponse:
    place = place_of(scope_code)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    if request.method != "POST":
        initial_zone = request.GET.get("quartier")
        form = _report_form(request, place)
        if initial_zone and initial_zone.isascii() and initial_zone.isdecimal():
            form.initial["zone"] = initial_zone
        return _render_form(request, place, form)

    form = _report_form(request, place, request.POST, request.FILES)
    shape_ok = form.is_valid()
    if request.POST.get("find_address"):
        return _address_step(request, place, form)
    # The services check the content even when the form already found a problem, so
    # that every error (e.g. no description and a point outside) is shown at once.
    data, jurisdiction = form.submission()
    complete_address(data, place)
    if place.commune is not None and not jurisdiction:
        jurisdiction = place.commune.insee_code
    try:
        clean = services.validate_submission(
            data,
            organisation=place.organisation,
            jurisdiction_id=jurisdiction,
            zone=getattr(form, "cleaned_data", {}).get("zone") or None,
        )
    except services.ReportError as error:
        mapping = {**REPORT_FIELDS, **form.attribute_errors_mapping()}
        already = set(form.errors)
        apply_report_errors(
            form, for_person(e for e in error.errors if mapping.get(e.field, e.field) not in already), mapping
        )
        return _render_form(request, place, form, status=422)
    if not shape_ok:
        return _render_form(request, place, form, status=422)

    confirmed = request.POST.get("confirm") == "1"
    if not confirmed and clean.lat is not None and clean.lon is not None:
        candidates = [
            c
            for c in selectors.find_likely_duplicates(clean.category, clean.lat, clean.lon)
            if place.holds(c.report)
        ]
        if candidates:
            reference = form.cleaned_data.get("photo_ref") or ""
            if form.photo_image is not None and not reference:
                reference = keep_photo(form.photo_image)
            context = {
                **_base_context(place),
                "form": form,
                "candidates": candidates,
                "photo_ref": reference,
                "clean": clean,
                "radius": int(selectors.duplicate_radius_m()),
                "carried": _carried_fields(form, reference),
            }
            return render(request, "reports/duplicates.html", context)

    try:
        report = services.submit_report(
            data,
            organisation=place.organisation,
            jurisdiction_id=jurisdiction,
            zone=form.cleaned_data.get("zone") or None,
            photo=form.photo_image,
            actor=None,
            ip_address=client_ip(request),
        )
    except services.ReportError as error:
        apply_report_errors(
            form, for_person(error.errors), {**REPORT_FIELDS, **form.attribute_errors_mapping()}
        )
        return _render_form(request, place, form, status=422)
    forget_pending_photo(form.cleaned_data.get("photo_ref") or "")
    remember_filed(request, report)
    return redirect("reports-thanks", place.scope.code, report.public_id)


# The reports filed in this browser session: their author is not offered a "+1".
FILED_SESSION_KEY = "reports_filed"
FILED_REMEMBERED = 20


def remember_filed(request: HttpRequest, report: Report) -> None:
    filed = [i for i in request.session.get(FILED_SESSION_KEY, []) if i != str(report.public_id)]
    request.session[FILED_SESSION_KEY] = [*filed, str(report.public_id)][-FILED_REMEMBERED:]


def is_author(request: HttpRequest, report: Report) -> bool:
    """The visitor filed this report: in this browser session, or with the address of the
    verified resident account they are signed in with."""
    if str(report.public_id) in request.session.get(FILED_SESSION_KEY, []):
        return True
    email = str(getattr(request.user, "email", "") or "")
    if not email or not services.verified_resident(request.user):
        return False
    try:
        return selectors.is_reporter(report, normalise_email(email))
    except ValidationError:
        return False


def complete_address(data: dict[str, Any], place: Place) -> None:
    """The address a resident chose (its BAN label), or the one nearest to their pin."""
    if data.get("address_id"):
        found = addresses.by_ban_id(data["address_id"], place.communes())
        if found is None or found.is_street:
            data["address_id"] = ""  # not an address of the place (or a whole street)
        if found is not None and not data.get("lat") and not data.get("long"):
            data["address_string"] = found.label
            if found.is_street:  # placed on the street's middle number
                data["lat"], data["long"] = str(found.lat), str(found.lon)
        return
    if data.get("address_string") or not (data.get("lat") and data.get("long")):
        return
    try:
        lat, lon = float(data["lat"]), float(data["long"])
    except (TypeError, ValueError):
        return  # the services say what is wrong with it
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return
    found = geocode.nearest_label(lat, lon, place.communes())
    if found is not None:
        data["address_string"], data["address_id"] = found.label, found.ban_id


def _address_step(request: HttpRequest, place: Place, form: ReportForm) -> HttpResponse:
    """Without JavaScript: the addresses matching what was typed, to choose from.

    The form comes back with what was entered (no error shown yet) and the photo kept
    under a reference, as at the duplicates step.
    """
    typed = request.POST.get("address", "")
    found = addresses.search(typed, place.communes(), limit=10)
    reference = getattr(form, "cleaned_data", {}).get("photo_ref") or ""
    if form.photo_image is not None and not reference:
        reference = keep_photo(form.photo_image)
    initial: dict[str, Any] = {
        name: values if len(values) > 1 else values[0]
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "find_address", "address_id", "photo_ref")
    }
    initial["photo_ref"] = reference
    step = _report_form(request, place)
    step.initial = initial
    context = {**_base_context(place), "form": step, "address_results": found, "address_typed": typed}
    return render(request, "reports/new.html", context)


def _carried_fields(form: ReportForm, photo_ref: str) -> list[tuple[str, str]]:
    """The first step's answers, sent again (hidden) with the confirmation."""
    data = form.cleaned_data
    category = data.get("category")
    zone = data.get("zone")
    return [
        ("category", category.service_code if category else ""),
        ("description", data.get("description", "")),
        ("lat", data.get("lat", "")),
        ("long", data.get("long", "")),
        ("address", data.get("address", "")),
        ("address_id", data.get("address_id", "")),
        ("zone", str(zone.pk) if zone else ""),
        ("email", data.get("email", "")),
        ("photo_ref", photo_ref),
    ] + [
        (name, str(item))
        for name, value in data.items()
        if name.startswith("attr__") and value not in ("", None, [])
        for item in (value if isinstance(value, list) else [value])
    ]


@require_safe
def thanks(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    place = place_of(scope_code)
    report = public_report(place, public_id)
    return render(request, "reports/thanks.html", {**_base_context(place), "report": report})


# --------------------------------------------------------------------------- a report


@require_safe
def detail(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    place = place_of(scope_code)
    report = public_report(place, public_id)
    history = selectors.report_history(report, public_only=True)
    photos = selectors.public_photos(report)
    context = {
        **_base_context(place),
        "report": report,
        "history": history,
        "photos": photos,
        "answers": selectors.report_answers(report, public_only=True),
        "is_author": is_author(request, report),
        "points": report_points(place, [report]),
        "duplicate_of": _visible_duplicate_target(place, report),
        "supporter_verified": services.verified_resident(request.user),
    }
    return render(request, "reports/detail.html", context)


def _visible_duplicate_target(place: Place, report: Report) -> Report | None:
    if report.duplicate_of_id is None:
        return None
    target_id = Report.objects.filter(pk=report.duplicate_of_id).values_list("public_id", flat=True).first()
    target = selectors.get_public_report(target_id) if target_id else None
    return target if target is not None and place.holds(target) else None


@rate_limited("public_write")
@require_POST
def support(request: HttpRequest, scope_code: str, public_id: UUID) -> HttpResponse:
    """A "+1": counted at once for a verified resident, else once the address given with it
    is confirmed (a link by e-mail). Never by cookie: dropping one must not count again."""
    place = place_of(scope_code)
    report = public_report(place, public_id)
    back = redirect("reports-detail", place.scope.code, report.public_id)
    follow = bool(request.POST.get("follow"))
    try:
        if report.hidden or not report.is_open:
            raise services.ReportError(
                services.FieldError("report", _("Ce signalement ne peut plus être soutenu."))
            )
        if is_author(request, report):
            raise services.ReportError(
                services.FieldError(
                    "report", _("Vous avez déposé ce signalement : il compte déjà, inutile de le soutenir.")
                )
            )
        if services.verified_resident(request.user):
            added = services.support_as_resident(
                report, request.user, follow=follow, ip_address=client_ip(request)
            )
        else:
            email = request.POST.get("email", "").strip()
            if not email:
                messages.error(
                    request,
                    _(
                        "Indiquez votre adresse e-mail (ou connectez-vous) : un soutien compte une fois "
                        "par personne, et nous vous envoyons un lien pour le confirmer."
                    ),
                )
                return back
            confirmations.request_support(report, email, follow=follow)
            forget_pending_photo(request.POST.get("photo_ref", ""))
            messages.info(
                request,
                _(
                    "Nous vous avons envoyé un e-mail : votre soutien sera compté quand vous aurez "
                    "ouvert le lien qu'il contient."
                ),
            )
            return back
    except services.ReportError as error:
        messages.error(request, " ".join(e.message for e in error.errors))
        return back
    forget_pending_photo(request.POST.get("photo_ref", ""))
    if added:
        messages.success(
            request,
            _("Merci : votre soutien est enregistré. Le service voit combien de personnes sont gênées."),
        )
    else:
        messages.info(request, _("Vous aviez déjà soutenu ce signalement."))
    return back


@rate_limited("public_write")
@require_safe
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link of a confirmation e-mail (a reporter's or a supporter's address)."""
    try:
        done = confirmations.confirm(token, ip_address=client_ip(request))
    except services.ReportError as error:
        context = {"error": " ".join(e.message for e in error.errors)}
        return render(request, "reports/confirm_email.html", context, status=400)
    return render(
        request,
        "reports/confirm_email.html",
        {"error": "", "kind": done.kind, "counted": done.counted, "own": done.own, "report": done.report},
    )


@require_safe
def photo(request: HttpRequest, scope_code: str, public_id: UUID, photo_id: UUID) -> HttpResponse:
    """A report's photo, served inert; 404 once the report is hidden or the photo redacted."""
    place = place_of(scope_code)
    found = selectors.get_public_photo(photo_id)
    if found is None or found.report.public_id != public_id or not place.holds(found.report):
        raise Http404("unknown photo")
    return serve_upload(request, found.file, found.content_type, f"signalement-{public_id}")


@require_safe
def short_link(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """``/signalements/<id>/`` (the link in e-mails): the report's page on its organisation."""
    report = selectors.get_public_report(public_id)
    if report is None:
        raise Http404("unknown report")
    return redirect("reports-detail", report.organisation.siren, report.public_id)


# --------------------------------------------------------------------------- statistics


@require_safe
def stats(request: HttpRequest, scope_code: str) -> HttpResponse:
    place = place_of(scope_code)
    communes = place.communes()
    commune_ids = [c.pk for c in communes]
    start, end = selectors.period_bounds(STATS_DAYS)
    population = sum(c.population for c in communes)
    count = selectors.reports_count(commune_ids, start, end)
    per_thousand = count * 1000 / population if population else None
    small = selectors.DEFAULT_SMALL_COUNT
    delays = selectors.processing_delays(commune_ids, start, end)
    shown = [d for d in delays if d.closed >= small and d.median_days is not None]
    chart = bar_chart(
        [
            Bar(
                label=d.name,
                value=float(d.median_days or 0),
                shown=f"{number_format(d.median_days or 0, 1)} {_('j')}",
            )
            for d in shown
        ],
        title=_("Délai médian de traitement par catégorie (jours)"),
        description=_("Une barre par catégorie ; les mêmes chiffres sont dans le tableau qui suit."),
        chart_id="chart-delays",
    )
    context = {
        **_base_context(place),
        "count": count,
        "population": population,
        "per_thousand": per_thousand,
        "median_days": selectors.median_processing_days(commune_ids, start, end),
        "within_sla": selectors.closed_within_sla_percent(commune_ids, start, end),
        "delays": delays,
        "small": small,
        "chart": chart,
        "irritants": selectors.recurring_irritants(commune_ids, start, end),
        "start": start,
        "end": end,
        "days": STATS_DAYS,
    }
    return render(request, "reports/stats.html", context)
