"""Reads of the spine for pages, API and exports: bounded query counts, no N+1."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet

from territoire.indicators.models import (
    Direction,
    IndicatorDefinition,
    Measurement,
    Target,
    Visibility,
)
from territoire.indicators.status import Assessment, Observation, Status, assess
from territoire.indicators.wording import HUMAN_ORIGINS
from territoire.territory import access
from territoire.territory.models import Organisation, Scope

SPARKLINE_POINTS = 12


def indicators_for(organisation: Organisation, *, include_internal: bool) -> QuerySet[IndicatorDefinition]:
    qs = IndicatorDefinition.objects.filter(Q(organisation__isnull=True) | Q(organisation=organisation))
    if not include_internal:
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return qs


def may_see_internal(user: Any, scope: Scope) -> bool:
    return access.can_view_internal(user, scope)


@dataclass
class IndicatorCard:
    definition: IndicatorDefinition
    latest: Measurement | None = None
    series: list[Measurement] = field(default_factory=list)
    target: Target | None = None
    assessment: Assessment | None = None

    @property
    def status(self) -> Status:
        return self.assessment.status if self.assessment else Status.NO_DATA

    @property
    def spark_values(self) -> list[float]:
        return [float(m.value) for m in self.series[-SPARKLINE_POINTS:]]


def assess_target(target: Target | None, series: list[Measurement], today: date) -> Assessment | None:
    if target is None:
        return None
    return assess(
        [Observation(m.period_end, float(m.value)) for m in series],
        baseline=Observation(target.baseline_date, float(target.baseline_value)),
        target=Observation(target.target_date, float(target.target_value)),
        higher_is_better=target.indicator.direction == Direction.HIGHER_IS_BETTER,
        today=today,
        trend_points=settings.TERRITOIRE["STATUS_TREND_POINTS"],
    )


def cards(
    scope: Scope, definitions: Iterable[IndicatorDefinition], *, today: date, months: int = 24
) -> dict[int, IndicatorCard]:
    """The latest value, recent series, target and status of each indicator for ``scope``.

    Two queries whatever the number of indicators.
    """
    result = {d.pk: IndicatorCard(d) for d in definitions}
    since = today - timedelta(days=31 * months)
    series: dict[int, list[Measurement]] = defaultdict(list)
    for m in Measurement.objects.filter(
        scope=scope, is_current=True, indicator_id__in=list(result), period_end__gte=since
    ).order_by("period_start"):
        series[m.indicator_id].append(m)
    targets = {
        t.indicator_id: t
        for t in Target.objects.filter(scope=scope, indicator_id__in=list(result)).select_related("indicator")
    }
    for pk, card in result.items():
        card.series = series.get(pk, [])
        card.latest = card.series[-1] if card.series else None
        card.target = targets.get(pk)
        card.assessment = assess_target(card.target, card.series, today)
    return result


def last_measured(scope: Scope, indicator_ids: list[int]) -> dict[int, date]:
    """The end of the latest period measured for each of these indicators (one query, none
    when there are none): what "no figure since" on a card names."""
    if not indicator_ids:
        return {}
    return dict(
        Measurement.objects.filter(scope=scope, is_current=True, indicator_id__in=indicator_ids)
        .values("indicator_id")
        .annotate(last=Max("period_end"))
        .values_list("indicator_id", "last")
    )


def history(definition: IndicatorDefinition, scope: Scope) -> list[Measurement]:
    """Every version of every figure, current and superseded, oldest period first."""
    return list(
        Measurement.objects.filter(indicator=definition, scope=scope)
        .select_related("recorded_by")
        .order_by("period_start", "period_end", "version")
    )


def measurements(
    *,
    organisation: Organisation | None = None,
    indicator: str | None = None,
    scope: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    include_superseded: bool = False,
    internal_scopes: QuerySet[Scope] | None = None,
) -> QuerySet[Measurement]:
    """Measurements filtered for listing; internal indicators only within ``internal_scopes``."""
    qs = Measurement.objects.select_related("indicator", "scope").order_by(
        "indicator__code", "scope__code", "period_start", "period_end", "version"
    )
    if not include_superseded:
        qs = qs.filter(is_current=True)
    if organisation is not None:
        qs = qs.filter(Q(scope__organisation=organisation) | Q(scope__commune__organisation=organisation))
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if scope:
        qs = qs.filter(scope__code=scope)
    if period_from:
        qs = qs.filter(period_end__gte=period_from)
    if period_to:
        qs = qs.filter(period_start__lte=period_to)
    public = Q(indicator__visibility=Visibility.PUBLIC)
    if internal_scopes is not None:
        qs = qs.filter(public | Q(scope__in=internal_scopes))
    else:
        qs = qs.filter(public)
    return qs


@dataclass
class HistoryRow:
    """A figure of an indicator's history, with what replaced it if it was replaced."""

    measurement: Measurement
    replaced_by: Measurement | None = None

    @property
    def corrected_by_a_person(self) -> bool:
        return self.replaced_by is not None and self.replaced_by.origin in HUMAN_ORIGINS

    @property
    def recomputed(self) -> bool:
        return self.replaced_by is not None and self.replaced_by.origin not in HUMAN_ORIGINS


def history_rows(measurements: list[Measurement]) -> list[HistoryRow]:
    """``history()`` with each superseded figure's successor: a person's correction and an
    automatic recomputation (aggregation, module) are told apart."""
    successors = {m.supersedes_id: m for m in measurements if m.supersedes_id is not None}
    return [HistoryRow(m, successors.get(m.pk)) for m in measurements]


@dataclass
class CommuneFigures:
    name: str
    population: int | None
    values: list[Decimal | None]


def commune_figures(
    definition: IndicatorDefinition, organisation: Organisation, periods: list[tuple[date, date]], user: Any
) -> list[CommuneFigures]:
    """The communes' figures of ``definition`` for ``periods``, side by side (one query for
    the figures). An internal indicator shows only the communes whose internal data ``user``
    may see. Figures withheld at computation (too few cases) are simply absent: None."""
    scopes = list(
        Scope.objects.filter(commune__organisation=organisation)
        .select_related("commune")
        .order_by("commune__name")
    )
    if not definition.is_public:
        visible = set(access.internal_scopes(user, organisation).values_list("pk", flat=True))
        scopes = [s for s in scopes if s.pk in visible]
    if not scopes or not periods:
        return []
    values: dict[tuple[int, date, date], Decimal] = {
        (scope_id, start, end): value
        for scope_id, start, end, value in Measurement.objects.filter(
            indicator=definition,
            scope__in=scopes,
            is_current=True,
            period_start__gte=min(p[0] for p in periods),
            period_end__lte=max(p[1] for p in periods),
        ).values_list("scope_id", "period_start", "period_end", "value")
    }
    return [
        CommuneFigures(
            scope.commune.name if scope.commune else scope.name,
            scope.commune.population if scope.commune else None,
            [values.get((scope.pk, start, end)) for start, end in periods],
        )
        for scope in scopes
    ]
