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
from territoire.indicators.services import CleanRow, aggregate_to_organisation, store_rows
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
    # The demo's targets fall at the end of next year, so that its statuses vary.
    deadline = max(OBJECTIVE_DEADLINE, date(ctx.today.year + 1, 12, 31))
    rows: list[Measurement] = []
    targets: list[Target] = []
    for code, spec in specs.items():
        definition = definitions[code]
        scopes = [org_scope] if definition.aggregate == Aggregate.NONE else commune_scopes
        goal = float(spec.suggested_target if spec.suggested_target is not None else START[code])
        for scope in scopes:
            spread = SPREAD.get(code, 0.15)
            start = START[code] * ctx.rng.uniform(1 - spread, 1 + spread)
            # Each commune moves a share of the way to the goal: some reach it, some lag.
            pace = ctx.rng.choice([0.35, 0.6, 0.8, 0.95, 1.1])
            noise = abs(goal - start) * 0.03 + abs(start) * spread * 0.05
            for k, period in enumerate(periods):
                share = pace * k / max(1, len(periods) - 1) * 0.85
                value = start + (goal - start) * share + ctx.rng.gauss(0, noise)
                if code == "cyber.incidents" or (spec.unit == "h" and "formation" in code):
                    value = max(0.0, round(value))
                lo, hi = BOUNDS.get(spec.unit, (0.0, float("inf")))
                value = min(hi, max(lo, value))
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
            targets.append(
                Target(
                    indicator=definition,
                    scope=scope,
                    baseline_value=Decimal(f"{start:.4f}"),
                    baseline_date=periods[0].end,
                    target_value=Decimal(f"{goal:.4f}"),
                    target_date=deadline,
                )
            )
    Measurement.objects.bulk_create(rows, batch_size=2000)
    # Organisation-level targets for aggregated indicators: from the communes' starting points.
    for code in specs:
        definition = definitions[code]
        if definition.aggregate == Aggregate.NONE:
            continue
        firsts = [t.baseline_value for t in targets if t.indicator is definition]
        baseline = (
            sum(firsts, Decimal(0)) / len(firsts)
            if definition.aggregate != Aggregate.SUM
            else sum(firsts, Decimal(0))
        )
        goals = [t.target_value for t in targets if t.indicator is definition]
        org_goal = sum(goals, Decimal(0)) if definition.aggregate == Aggregate.SUM else goals[0]
        targets.append(
            Target(
                indicator=definition,
                scope=org_scope,
                baseline_value=baseline.quantize(Decimal("0.0001")),
                baseline_date=periods[0].end,
                target_value=org_goal,
                target_date=deadline,
            )
        )
    Target.objects.bulk_create(targets, batch_size=1000)
    aggregated = aggregate_to_organisation(ctx.organisation)
    # One correction, to show that history is kept: a mistyped figure superseded by the right one.
    first = rows[len(periods) // 2]
    store_rows(
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
