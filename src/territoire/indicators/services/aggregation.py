"""Aggregation of the communes' figures into the organisation's, per each indicator's
rule (sum, mean, population-weighted mean, min, max)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from territoire.indicators.models import (
    Aggregate,
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
)
from territoire.indicators.periods import Period
from territoire.indicators.services.storage import StoreSummary, store_rows
from territoire.indicators.services.validation import CleanRow, round_value
from territoire.territory.models import Organisation, Scope


def _combine(method: str, values: list[tuple[Decimal, int]]) -> Decimal | None:
    if not values:
        return None
    numbers = [v for v, _ in values]
    if method == Aggregate.SUM:
        return sum(numbers, Decimal(0))
    if method == Aggregate.MEAN:
        return sum(numbers, Decimal(0)) / len(numbers)
    if method == Aggregate.MIN:
        return min(numbers)
    if method == Aggregate.MAX:
        return max(numbers)
    if method == Aggregate.POPULATION_WEIGHTED_MEAN:
        weight = sum(p for _, p in values)
        if weight == 0:
            return None
        return sum((v * p for v, p in values), Decimal(0)) / weight
    return None


def aggregate_to_organisation(organisation: Organisation, *, since: date | None = None) -> StoreSummary:
    """Combine commune figures into the organisation's, per each indicator's rule.

    A figure recorded directly for the organisation (manual, import, computation) wins
    over the aggregate; the aggregate's provenance states its rule and its coverage.
    """
    org_scope = Scope.objects.get(organisation=organisation)
    commune_count = Scope.objects.filter(commune__organisation=organisation).count()
    definitions = {d.pk: d for d in IndicatorDefinition.objects.exclude(aggregate=Aggregate.NONE)}
    if not definitions or not commune_count:
        return StoreSummary()
    base = Measurement.objects.filter(is_current=True, indicator_id__in=list(definitions))
    if since is not None:
        base = base.filter(period_start__gte=since)
    groups: dict[tuple[int, date, date], list[tuple[Decimal, int]]] = defaultdict(list)
    for indicator_id, start, end, value, population in base.filter(
        scope__commune__organisation=organisation
    ).values_list("indicator_id", "period_start", "period_end", "value", "scope__commune__population"):
        groups[(indicator_id, start, end)].append((value, population or 0))
    direct = set(
        base.filter(scope=org_scope)
        .exclude(origin=MeasurementOrigin.AGGREGATED)
        .values_list("indicator_id", "period_start", "period_end")
    )
    rows: list[CleanRow] = []
    for (indicator_id, start, end), values in groups.items():
        if (indicator_id, start, end) in direct:
            continue
        definition = definitions[indicator_id]
        combined = _combine(definition.aggregate, values)
        if combined is None:
            continue
        rows.append(
            CleanRow(
                definition,
                org_scope,
                Period(start, end),
                round_value(combined),
                note=f"{len(values)}/{commune_count}",
            )
        )
    return store_rows(
        rows,
        origin=MeasurementOrigin.AGGREGATED,
        provenance=lambda row: f"aggregated:{row.indicator.aggregate} ({row.note} communes)",
        audit_action="indicators.aggregate",
    )
