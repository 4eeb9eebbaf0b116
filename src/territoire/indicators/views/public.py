"""The indicator page and its downloads (CSV, JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.charts import Point, line_chart
from territoire.core.csvwriter import SafeDictWriter
from territoire.indicators import selectors
from territoire.indicators.models import IndicatorDefinition, Measurement
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


def detail(request: HttpRequest, scope_code: str, code: str) -> HttpResponse:
    scope, definition = resolve_indicator(request, scope_code, code)
    today = timezone.localdate()
    rows = selectors.history(definition, scope)
    current = [m for m in rows if m.is_current]
    card = selectors.cards(scope, [definition], today=today, months=1200)[definition.pk]
    target = card.target
    chart = line_chart(
        [Point(m.period_end, float(m.value)) for m in current],
        title=_("Historique : %(name)s") % {"name": definition.name},
        description=_(
            "Valeurs de %(first)s à %(last)s ; les mêmes données figurent dans le tableau ci-dessous."
        )
        % {
            "first": current[0].period_start.strftime("%m/%Y") if current else "",
            "last": current[-1].period_end.strftime("%m/%Y") if current else "",
        },
        unit=definition.unit,
        target=Point(target.target_date, float(target.target_value)) if target else None,
        baseline=Point(target.baseline_date, float(target.baseline_value)) if target else None,
    )
    organisation = organisation_of(scope)
    context = {
        "scope": scope,
        "organisation": organisation,
        "definition": definition,
        "card": card,
        "rows": rows[::-1],
        "chart": chart,
        "corrections": sum(1 for m in rows if not m.is_current),
    }
    return render(request, "indicators/detail.html", context)


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
