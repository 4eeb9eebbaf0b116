"""The indicator page and its downloads (CSV, JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core import modules
from territoire.core.charts import Point, line_chart
from territoire.core.csvwriter import SafeDictWriter, stream_rows
from territoire.indicators import exports, selectors, wording
from territoire.indicators.models import Aggregate, IndicatorDefinition, Measurement, Target
from territoire.territory import access
from territoire.territory.models import Scope
from territoire.territory.selectors import organisation_of, scope_by_code

EXPORT_FIELDS = (
    "indicator",
    "scope",
    "period_start",
    "period_end",
    "value",
    "unit",
    "version",
    "is_current",
    "origin",
    "provenance",
    "recorded_at",
)


def resolve_indicator(request: HttpRequest, scope_code: str, code: str) -> tuple[Scope, IndicatorDefinition]:
    scope = scope_by_code(scope_code)
    organisation = organisation_of(scope)
    definition = selectors.indicators_for(organisation, include_internal=True).filter(code=code).first()
    if definition is None:
        raise Http404("unknown indicator")
    if not definition.is_public and not access.can_view_internal(request.user, scope):
        raise Http404("unknown indicator")
    return scope, definition


COMMUNE_PERIODS = 4


def detail(request: HttpRequest, scope_code: str, code: str) -> HttpResponse:
    scope, definition = resolve_indicator(request, scope_code, code)
    today = timezone.localdate()
    measurements = selectors.history(definition, scope)
    current = [m for m in measurements if m.is_current]
    card = selectors.cards(scope, [definition], today=today, months=1200)[definition.pk]
    target = card.target
    chart = line_chart(
        [Point(m.period_end, float(m.value)) for m in current],
        title=_("Historique : %(name)s") % {"name": definition.name},
        description=_(
            "Valeurs de %(first)s à %(last)s ; les mêmes données figurent dans le tableau ci-dessous."
        )
        % {
            "first": wording.period_label(current[0].period_start, current[0].period_end) if current else "",
            "last": wording.period_label(current[-1].period_start, current[-1].period_end) if current else "",
        },
        unit=definition.unit,
        target=Point(target.target_date, float(target.target_value)) if target else None,
        baseline=Point(target.baseline_date, float(target.baseline_value)) if target else None,
    )
    organisation = organisation_of(scope)
    rows = selectors.history_rows(measurements)
    context: dict[str, Any] = {
        "scope": scope,
        "organisation": organisation,
        "definition": definition,
        "card": card,
        "rows": rows[::-1],
        "chart": chart,
        "corrections": sum(1 for r in rows if r.corrected_by_a_person),
        "recomputations": sum(1 for r in rows if r.recomputed),
        "sources": wording.source_summary(current),
        "baseline_figure": _baseline_figure(target, current),
        "trail": [],
        "related": [],
    }
    if scope.organisation_id is not None and definition.aggregate != Aggregate.NONE:
        periods = [(m.period_start, m.period_end) for m in current[-COMMUNE_PERIODS:]]
        context["commune_periods"] = [wording.period_label(start, end) for start, end in periods]
        context["communes"] = selectors.commune_figures(definition, organisation, periods, request.user)
        context["aggregate_phrase"] = wording.aggregate_phrase(definition.aggregate)
    for contribute in modules.indicator_page_contributions():
        context.update(contribute(definition, scope, organisation))
    return render(request, "indicators/detail.html", context)


def _baseline_figure(target: Target | None, current: list[Measurement]) -> Measurement | None:
    """The figure recorded for the period of the target's baseline date, when it differs from
    the baseline (the page then says so, and why it may)."""
    if target is None:
        return None
    for m in current:
        if m.period_start <= target.baseline_date <= m.period_end:
            decimals = Decimal(1).scaleb(-target.indicator.decimals)
            if m.value.quantize(decimals) != target.baseline_value.quantize(decimals):
                return m
            return None
    return None


def _export_rows(definition: IndicatorDefinition, scope: Scope) -> Iterator[dict[str, object]]:
    for m in (
        Measurement.objects.filter(indicator=definition, scope=scope)
        .order_by("period_start", "version")
        .iterator(chunk_size=1000)
    ):
        yield {
            "indicator": definition.code,
            "scope": scope.code,
            "period_start": m.period_start.isoformat(),
            "period_end": m.period_end.isoformat(),
            "value": format(m.value.normalize(), "f"),
            "unit": definition.unit,
            "version": m.version,
            "is_current": m.is_current,
            "origin": m.origin,
            "provenance": m.provenance,
            "recorded_at": m.recorded_at.isoformat(),
        }


def download_csv(request: HttpRequest, scope_code: str, code: str) -> StreamingHttpResponse:
    scope, definition = resolve_indicator(request, scope_code, code)
    # Notes and sources are typed by people: the one writer makes spreadsheet formulas inert.
    writer = SafeDictWriter(fieldnames=EXPORT_FIELDS)

    def lines() -> Iterator[object]:
        yield writer.writeheader()
        for row in _export_rows(definition, scope):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{definition.code}-{scope.code}.csv"'
    return response


def download_json(request: HttpRequest, scope_code: str, code: str) -> HttpResponse:
    scope, definition = resolve_indicator(request, scope_code, code)
    payload = {
        "indicator": {
            "code": definition.code,
            "name": definition.name,
            "unit": definition.unit,
            "direction": definition.direction,
            "method": definition.method,
            "periodicity": definition.periodicity,
            "aggregate": definition.aggregate,
        },
        "scope": {"code": scope.code, "kind": scope.kind, "name": scope.name},
        "measurements": list(_export_rows(definition, scope)),
    }
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{definition.code}-{scope.code}.json"'
    return response


def _attachment(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def download_spreadsheet(request: HttpRequest, scope_code: str, code: str) -> StreamingHttpResponse:
    """An indicator's current figures for a French spreadsheet (see ``indicators.exports``)."""
    scope, definition = resolve_indicator(request, scope_code, code)
    rows = exports.indicator_rows(definition, scope)
    return _attachment(exports.spreadsheet_lines(rows), f"{definition.code}-{scope.code}-tableur.csv")


def download_all(request: HttpRequest, scope_code: str) -> StreamingHttpResponse:
    """Every public indicator of the organisation and its communes, for programs."""
    organisation = organisation_of(scope_by_code(scope_code))
    lines = stream_rows(exports.BULK_FIELDS, exports.bulk_machine_rows(organisation))
    return _attachment(lines, f"indicateurs-{organisation.siren}.csv")


def download_all_spreadsheet(request: HttpRequest, scope_code: str) -> StreamingHttpResponse:
    """Every public indicator of the organisation and its communes, for a French spreadsheet."""
    organisation = organisation_of(scope_by_code(scope_code))
    lines = exports.spreadsheet_lines(exports.bulk_spreadsheet_rows(organisation))
    return _attachment(lines, f"indicateurs-{organisation.siren}-tableur.csv")
