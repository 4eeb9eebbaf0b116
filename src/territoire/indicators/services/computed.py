"""Registered (computed) indicators: their definitions kept in step with the registry,
and their computation for every scope and due period."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from territoire.core import modules
from territoire.core.languages import in_each_language
from territoire.indicators import registry
from territoire.indicators.models import (
    IndicatorDefinition,
    MeasurementOrigin,
    Periodicity,
    Source,
)
from territoire.indicators.periods import last_periods
from territoire.indicators.services.aggregation import aggregate_to_organisation
from territoire.indicators.services.storage import StoreSummary, store_rows
from territoire.indicators.services.validation import CleanRow, parse_value
from territoire.territory.models import Organisation, Scope


def sync_registry() -> dict[str, IndicatorDefinition]:
    """Create or refresh the definitions of registered indicators."""
    definitions: dict[str, IndicatorDefinition] = {}
    for code, spec in registry.registered().items():
        definition, _ = IndicatorDefinition.objects.update_or_create(
            code=code,
            defaults={
                **in_each_language("name", spec.name),
                **in_each_language("description", spec.description),
                "unit": spec.unit,
                "direction": spec.direction,
                **in_each_language("method", spec.method),
                "source": Source.COMPUTED,
                "visibility": spec.visibility,
                "periodicity": spec.periodicity,
                "aggregate": spec.aggregate,
                "decimals": spec.decimals,
                "method_version": spec.version,
                "module": spec.module,
            },
        )
        definitions[code] = definition
    return definitions


def _data_starts(organisation: Organisation, labels: Iterable[str]) -> dict[str, date | None]:
    """The first day of each module's data for ``organisation``, for modules that declare it
    (``Manifest.data_since``); a module absent from the result computes every due period."""
    starts: dict[str, date | None] = {}
    for label in labels:
        since = modules.data_since(label)
        if since is not None:
            starts[label] = since(organisation)
    return starts


@dataclass
class ComputeSummary:
    indicators: int = 0
    scopes: int = 0
    values: int = 0
    skipped: int = 0
    stored: StoreSummary = field(default_factory=StoreSummary)
    aggregated: StoreSummary = field(default_factory=StoreSummary)


def compute_all(
    *,
    today: date | None = None,
    periods: int = 1,
    organisations: Iterable[Organisation] | None = None,
    progress: Callable[[str], None] | None = None,
    modules: Iterable[str] | None = None,
) -> ComputeSummary:
    """Run the registered indicators (every one, or those of ``modules``) for every scope
    and due period, then aggregate."""
    today = today or timezone.localdate()
    definitions = sync_registry()
    orgs = list(organisations) if organisations is not None else list(Organisation.objects.all())
    summary = ComputeSummary()
    rows: list[CleanRow] = []
    specs = registry.registered()
    if modules is not None:
        wanted = set(modules)
        specs = {code: spec for code, spec in specs.items() if spec.module in wanted}
    for org in orgs:
        org_scope = Scope.objects.get(organisation=org)
        commune_scopes = list(Scope.objects.filter(commune__organisation=org).select_related("commune"))
        starts = _data_starts(org, {spec.module for spec in specs.values()})
        for code, spec in specs.items():
            definition = definitions[code]
            scopes = {
                "organisation": [org_scope],
                "commune": commune_scopes,
                "both": [org_scope, *commune_scopes],
            }[spec.scopes]
            due = last_periods(spec.periodicity, today, 1 if spec.snapshot else periods)
            if spec.module in starts:
                first_day = starts[spec.module]
                skipped = [p for p in due if first_day is None or p.end < first_day]
                summary.skipped += len(skipped) * len(scopes)
                due = [p for p in due if p not in skipped]
            for scope in scopes:
                for period in due:
                    value = spec.function(scope, period)
                    if value is None:
                        summary.skipped += 1
                        continue
                    rows.append(CleanRow(definition, scope, period, parse_value(value)))
                    summary.values += 1
            if progress:
                progress(f"{org.name}: {code} ({len(scopes)} scope(s) × {len(due)} period(s))")
        summary.scopes += 1 + len(commune_scopes)
    summary.indicators = len(specs)
    summary.stored = store_rows(
        rows,
        origin=MeasurementOrigin.COMPUTED,
        provenance=lambda row: registry.registered()[row.indicator.code].provenance,
        audit_action="indicators.compute",
    )
    # Aggregate the same window as the computation, for every periodicity: the oldest
    # due period may lie in the previous year (in January, December is due).
    since = min(last_periods(periodicity, today, periods)[0].start for periodicity in Periodicity.values)
    for org in orgs:
        agg = aggregate_to_organisation(org, since=since)
        summary.aggregated.created += agg.created
        summary.aggregated.corrected += agg.corrected
        summary.aggregated.unchanged += agg.unchanged
    return summary
