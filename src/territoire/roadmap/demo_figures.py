"""Demo figures of the roadmap template's indicators: plausible monthly series, targets, a correction.

The roadmap owns them: its template (``template.AXES``) defines these indicators.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from territoire.core.demo import DemoContext
from territoire.indicators.models import (
    Aggregate,
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
    Target,
)
from territoire.indicators.periods import Period, last_periods
from territoire.indicators.services import CleanRow, aggregate_to_organisation, record_figures
from territoire.roadmap.models import Objective
from territoire.roadmap.template import AXES, OBJECTIVE_DEADLINE
from territoire.territory.models import Scope

# Plausible starting points (value at the first month) per indicator.
START = {
    "connectivite.foyers_raccordables": 68.0,
    "connectivite.disponibilite": 99.2,
    "connectivite.latence": 38.0,
    "inclusion.heures_formation": 120.0,
    "inclusion.satisfaction_usagers": 74.0,
    "inclusion.taux_accompagnement": 52.0,
    "cyber.temps_retablissement": 30.0,
    "cyber.audits_conformes": 55.0,
    "cyber.taux_mfa": 35.0,
    "cyber.incidents": 6.0,
    "services.taux_usage": 38.0,
    "services.delai_traitement": 14.0,
    "services.taux_abandon": 34.0,
    "durable.wh_par_transaction": 4.2,
    "durable.pue": 1.9,
}
# How much communes differ at the start (relative spread around START).
SPREAD = {"connectivite.disponibilite": 0.004, "durable.pue": 0.05, "inclusion.satisfaction_usagers": 0.08}
BOUNDS = {"%": (0.0, 100.0), "indice": (0.0, 1.0)}


def populate(ctx: DemoContext) -> str:
    assert ctx.organisation is not None
    periods = last_periods("monthly", date.fromordinal(ctx.today.replace(day=1).toordinal() - 1), ctx.months)
    specs = {spec.code: spec for axis in AXES for spec in axis.indicators}
    definitions = {d.code: d for d in IndicatorDefinition.objects.filter(code__in=list(specs))}
    org_scope = Scope.objects.get(organisation=ctx.organisation)
    commune_scopes = list(
        Scope.objects.filter(commune__in=ctx.commune_objects)
        .select_related("commune")
        .order_by("commune__insee_code")
    )
    # Each target falls on the deadline of the objective its indicator measures (the
    # roadmap refuses a later one): "on track" means on track for the objective.
    deadlines: dict[int, date] = {}
    for objective in Objective.objects.filter(organisation=ctx.organisation).prefetch_related("indicators"):
        for measured in objective.indicators.all():
            deadlines[measured.pk] = min(deadlines.get(measured.pk, objective.deadline), objective.deadline)
    rows: list[Measurement] = []
    targets: list[Target] = []
    for code, spec in specs.items():
        definition = definitions[code]
        scopes = [org_scope] if definition.aggregate == Aggregate.NONE else commune_scopes
        goal = float(spec.suggested_target if spec.suggested_target is not None else START[code])
        deadline = deadlines.get(definition.pk, OBJECTIVE_DEADLINE)
        for scope in scopes:
            spread = SPREAD.get(code, 0.15)
            start = START[code] * ctx.rng.uniform(1 - spread, 1 + spread)
            # Each commune moves a share of the way to the goal: some reach it, some lag.
            pace = ctx.rng.choice([0.35, 0.6, 0.8, 0.95, 1.1])
            noise = abs(goal - start) * 0.03 + abs(start) * spread * 0.05
            first_value: Decimal | None = None
            for k, period in enumerate(periods):
                share = pace * k / max(1, len(periods) - 1) * 0.85
                value = start + (goal - start) * share + ctx.rng.gauss(0, noise)
                if code == "cyber.incidents" or (spec.unit == "h" and "formation" in code):
                    value = max(0.0, round(value))
                lo, hi = BOUNDS.get(spec.unit, (0.0, float("inf")))
                value = min(hi, max(lo, value))
                first_value = first_value if first_value is not None else Decimal(f"{value:.4f}")
                rows.append(
                    Measurement(
                        indicator=definition,
                        scope=scope,
                        period_start=period.start,
                        period_end=period.end,
                        value=Decimal(f"{value:.4f}"),
                        origin=MeasurementOrigin.DEMO,
                        provenance="demo:generated",
                    )
                )
            # The baseline is the first figure itself, so that page, chart and table agree.
            assert first_value is not None
            targets.append(
                Target(
                    indicator=definition,
                    scope=scope,
                    baseline_value=first_value,
                    baseline_date=periods[0].end,
                    target_value=Decimal(f"{goal:.4f}"),
                    target_date=deadline,
                )
            )
    Measurement.objects.bulk_create(rows, batch_size=2000)
    aggregated = aggregate_to_organisation(ctx.organisation)
    # Organisation-level targets of aggregated indicators: the baseline is the aggregate of
    # the first month (what the history shows), the goal the communes' combined.
    first_aggregates = {
        m.indicator_id: m.value
        for m in Measurement.objects.filter(
            scope=org_scope,
            is_current=True,
            period_start=periods[0].start,
            indicator__code__in=list(specs),
        )
    }
    for code in specs:
        definition = definitions[code]
        if definition.aggregate == Aggregate.NONE or definition.pk not in first_aggregates:
            continue
        goals = [t.target_value for t in targets if t.indicator is definition]
        org_goal = sum(goals, Decimal(0)) if definition.aggregate == Aggregate.SUM else goals[0]
        targets.append(
            Target(
                indicator=definition,
                scope=org_scope,
                baseline_value=first_aggregates[definition.pk],
                baseline_date=periods[0].end,
                target_value=org_goal,
                target_date=deadlines.get(definition.pk, OBJECTIVE_DEADLINE),
            )
        )
    Target.objects.bulk_create(targets, batch_size=1000)
    # One correction, to show that history is kept: a mistyped figure superseded by the right one.
    first = rows[len(periods) // 2]
    # Recorded as staff record it: the organisation's aggregate of that month is recomputed,
    # an automatic recomputation the history tells apart from the correction.
    record_figures(
        [
            CleanRow(
                first.indicator,
                first.scope,
                Period(first.period_start, first.period_end),
                (first.value * Decimal("1.02")).quantize(Decimal("0.0001")),
                note="erreur de saisie corrigée",
            )
        ],
        origin=MeasurementOrigin.MANUAL,
        provenance="saisie:service statistique",
    )
    return (
        f"{len(rows):,} monthly figures over {len(periods)} months, {aggregated.created:,} aggregated, "
        f"{len(targets)} targets"
    )
