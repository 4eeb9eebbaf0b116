"""Writes to the spine: measurements (recorded, imported, computed, aggregated) and targets.

Every path goes through ``validate_rows`` and ``store_rows``: the CSV import, the API,
the computation of registered indicators and the aggregation to the organisation.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from territoire.core import audit
from territoire.core.cache import bump_data_version
from territoire.indicators import registry
from territoire.indicators.models import (
    Aggregate,
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
    Periodicity,
    Source,
    Target,
)
from territoire.indicators.periods import Period, last_periods, period_of
from territoire.territory.models import Organisation, Scope

MAX_ABS_VALUE = Decimal("1e13")
QUANTUM = Decimal("0.000001")
# SQLite keeps 15 significant digits of a decimal (PostgreSQL keeps them all): figures
# are rounded to what every database stores exactly, so that recording the same figure
# again is recognised as unchanged rather than as a correction.
SIGNIFICANT = Context(prec=15)
CSV_COLUMNS = ("indicator", "scope", "period_start", "period_end", "value")


@dataclass(frozen=True)
class RowError:
    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.column, "message": self.message}


@dataclass(frozen=True)
class CleanRow:
    indicator: IndicatorDefinition
    scope: Scope
    period: Period
    value: Decimal
    note: str = ""
    line: int | None = None


class MeasurementInputError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


@dataclass
class StoreSummary:
    created: int = 0
    corrected: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.created + self.corrected


def parse_value(raw: Any) -> Decimal:
    """A finite decimal; accepts a French decimal comma and spaces as thousands separators.

    Rounded to six decimal places and 15 significant digits (``round_value``).
    """
    if isinstance(raw, bool):
        raise ValueError("expected a number, not a boolean")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError("expected a finite number")
        raw = repr(raw)
    text = str(raw).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not text:
        raise ValueError("empty value")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{str(raw)[:40]!r} is not a number") from exc
    if not value.is_finite():
        raise ValueError("expected a finite number")
    if abs(value) >= MAX_ABS_VALUE:
        raise ValueError("value out of range (|value| < 10^13)")
    value = round_value(value)
    if abs(value) >= MAX_ABS_VALUE:
        raise ValueError("value out of range (|value| < 10^13)")
    return value


def round_value(value: Decimal) -> Decimal:
    """Six decimal places and at most 15 significant digits (see ``SIGNIFICANT``)."""
    return SIGNIFICANT.plus(value.quantize(QUANTUM)).quantize(QUANTUM)


def parse_date(raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text[:40]!r} is not a date in the form YYYY-MM-DD") from exc


def validate_rows(
    rows: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    may_write: Callable[[Scope], bool] | None = None,
    allow_computed: bool = False,
    position: str = "line {}",
) -> tuple[list[CleanRow], list[RowError]]:
    """Check rows of (indicator, scope, period_start, period_end, value[, note]).

    Returns the clean rows and every error found (not just the first), each with its
    line (or item index) and column. Two queries whatever the number of rows.
    ``position`` names a row in messages (``"measurements.{}"`` for the API's items).
    """
    materialised = list(rows)
    # A NUL character is refused below; PostgreSQL would reject it even in a lookup.
    codes = {c for _, r in materialised if "\x00" not in (c := str(r.get("indicator", "")).strip())}
    scope_codes = {c for _, r in materialised if "\x00" not in (c := str(r.get("scope", "")).strip())}
    indicators = {i.code: i for i in IndicatorDefinition.objects.filter(code__in=codes)}
    scopes = {
        s.code: s
        for s in Scope.objects.filter(code__in=scope_codes).select_related("organisation", "commune")
    }
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, int, date, date], int | None] = {}
    for line, row in materialised:
        row_errors: list[RowError] = [
            RowError(line, column, "contains a NUL character")
            for column in ("indicator", "scope", "period_start", "period_end", "value", "note")
            if "\x00" in str(row.get(column, "") or "")
        ]
        if row_errors:
            errors.extend(row_errors)
            continue
        code = str(row.get("indicator", "") or "").strip()
        indicator = indicators.get(code)
        if not code:
            row_errors.append(RowError(line, "indicator", "missing indicator code"))
        elif indicator is None:
            row_errors.append(RowError(line, "indicator", f"unknown indicator {code[:100]!r}"))
        elif indicator.source == Source.COMPUTED and not allow_computed:
            row_errors.append(
                RowError(
                    line,
                    "indicator",
                    f"{code} is computed by the {indicator.module} module; it cannot be imported",
                )
            )
        scope_code = str(row.get("scope", "") or "").strip()
        scope = scopes.get(scope_code)
        if not scope_code:
            row_errors.append(RowError(line, "scope", "missing scope code (INSEE code or SIREN)"))
        elif scope is None:
            row_errors.append(
                RowError(
                    line, "scope", f"unknown scope {scope_code[:20]!r} (expected an INSEE code or a SIREN)"
                )
            )
        elif may_write is not None and not may_write(scope):
            # Outside the caller's reach reads as unknown: no hint about other tenants.
            row_errors.append(
                RowError(
                    line, "scope", f"unknown scope {scope_code[:20]!r} (expected an INSEE code or a SIREN)"
                )
            )
        dates: dict[str, date] = {}
        for column in ("period_start", "period_end"):
            try:
                dates[column] = parse_date(row.get(column, ""))
            except ValueError as exc:
                row_errors.append(RowError(line, column, str(exc)))
        if len(dates) == 2 and dates["period_end"] < dates["period_start"]:
            row_errors.append(
                RowError(
                    line,
                    "period_end",
                    f"period ends ({dates['period_end']}) before it starts ({dates['period_start']})",
                )
            )
        elif len(dates) == 2 and indicator is not None:
            # One figure per calendar period of the indicator: a fortnight of a monthly
            # indicator would sit beside the month's figure and skew the aggregates.
            expected = period_of(indicator.periodicity, dates["period_start"])
            if (dates["period_start"], dates["period_end"]) != (expected.start, expected.end):
                row_errors.append(
                    RowError(
                        line,
                        "period_start" if dates["period_start"] != expected.start else "period_end",
                        f"{indicator.code} is {indicator.periodicity}: the period must be "
                        f"{expected.start} to {expected.end}, not {dates['period_start']} to "
                        f"{dates['period_end']}",
                    )
                )
        try:
            value = parse_value(row.get("value", ""))
        except ValueError as exc:
            row_errors.append(RowError(line, "value", str(exc)))
        note = str(row.get("note", "") or "")[:500]
        if row_errors:
            errors.extend(row_errors)
            continue
        assert indicator is not None
        assert scope is not None
        key = (indicator.pk, scope.pk, dates["period_start"], dates["period_end"])
        if key in seen:
            first = seen[key]
            where = position.format(first) if first is not None else "an earlier item"
            errors.append(
                RowError(line, "indicator", f"duplicate of {where} (same indicator, scope and period)")
            )
            continue
        seen[key] = line
        clean.append(
            CleanRow(indicator, scope, Period(dates["period_start"], dates["period_end"]), value, note, line)
        )
    return clean, errors


def store_rows(
    rows: list[CleanRow],
    *,
    origin: str,
    provenance: str | Callable[[CleanRow], str],
    actor: Any = None,
    audit_action: str = "indicators.record",
) -> StoreSummary:
    """Record validated rows in one transaction: new figures, corrections, or nothing.

    A row whose value equals the current one is left alone, so re-running an import or a
    computation is idempotent. A different value becomes version n + 1 and supersedes
    the current row, which stays in the history.
    """
    summary = StoreSummary()
    if not rows:
        return summary
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        current: dict[tuple[int, int, date, date], Measurement] = {}
        scope_ids = {r.scope.pk for r in rows}
        indicator_ids = {r.indicator.pk for r in rows}
        starts = [r.period.start for r in rows]
        candidates = (
            Measurement.objects.select_for_update()
            .filter(
                is_current=True,
                scope_id__in=scope_ids,
                indicator_id__in=indicator_ids,
                period_start__gte=min(starts),
                period_start__lte=max(starts),
            )
            .only("id", "indicator_id", "scope_id", "period_start", "period_end", "value", "version")
        )
        for m in candidates.iterator(chunk_size=2000):
            current[(m.indicator_id, m.scope_id, m.period_start, m.period_end)] = m
        to_create: list[Measurement] = []
        superseded: list[int] = []
        for row in rows:
            old = current.get((row.indicator.pk, row.scope.pk, row.period.start, row.period.end))
            if old is not None and old.value == row.value:
                summary.unchanged += 1
                continue
            if old is not None:
                superseded.append(old.pk)
                summary.corrected += 1
            else:
                summary.created += 1
            to_create.append(
                Measurement(
                    indicator=row.indicator,
                    scope=row.scope,
                    period_start=row.period.start,
                    period_end=row.period.end,
                    value=row.value,
                    version=old.version + 1 if old is not None else 1,
                    supersedes_id=old.pk if old is not None else None,
                    origin=origin,
                    provenance=provenance(row) if callable(provenance) else provenance,
                    recorded_by=user,
                    note=row.note,
                )
            )
        for start in range(0, len(superseded), 500):
            Measurement.objects.filter(pk__in=superseded[start : start + 500]).update(is_current=False)
        Measurement.objects.bulk_create(to_create, batch_size=1000)
        if summary.written:
            organisations = {r.scope.owning_organisation_id for r in rows}
            audit.record(
                audit_action,
                actor=user,
                actor_label="" if user else provenance if isinstance(provenance, str) else origin,
                organisation_id=next(iter(organisations)) if len(organisations) == 1 else None,
                changes={"created": summary.created, "corrected": summary.corrected, "origin": origin},
            )
            bump_data_version()
    return summary


def read_csv(data: bytes | str) -> tuple[list[tuple[int | None, dict[str, str]]], list[RowError]]:
    """Parse an import CSV (comma or semicolon separated, UTF-8 with or without BOM)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return [], [_encoding_error(data, exc.start)]
    else:
        text = data.lstrip("\ufeff")
    if not text.strip():
        return [], [RowError(1, "", "the file is empty; expected a header line: " + ",".join(CSV_COLUMNS))]
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return [], [RowError(1, "", f"malformed CSV header ({exc})")]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        return [], [RowError(1, m, "missing column in the header") for m in missing]
    rows: list[tuple[int | None, dict[str, str]]] = []
    errors: list[RowError] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                # Name the first missing column, or the position of the first extra field.
                where = header[len(record)] if len(record) < len(header) else str(len(header) + 1)
                errors.append(RowError(line, where, f"expected {len(header)} fields, found {len(record)}"))
                continue
            rows.append((line, dict(zip(header, record, strict=True))))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "", f"malformed CSV ({exc})"))
    if not rows and not errors:
        errors.append(RowError(2, "", "no data rows"))
    return rows, errors


def _encoding_error(data: bytes, offset: int) -> RowError:
    """Where the first byte that is not UTF-8 sits: line, and column when it can be told."""
    line = data.count(b"\n", 0, offset) + 1
    column = ""
    if line > 1:
        head = data[: data.find(b"\n")].decode("utf-8-sig", errors="replace")
        delimiter = ";" if head.count(";") > head.count(",") else ","
        names = [h.strip().lower() for h in head.split(delimiter)]
        start = data.rfind(b"\n", 0, offset) + 1
        index = data[start:offset].decode("utf-8", errors="replace").count(delimiter)
        column = names[index] if index < len(names) else ""
    return RowError(
        line,
        column,
        f"the file is not UTF-8 text (byte {offset + 1} cannot be read); save it as CSV UTF-8",
    )


def _error_order(error: RowError) -> tuple[int, int]:
    """By line, then in the order of the columns in the file format."""
    columns = (*CSV_COLUMNS, "note")
    return error.line or 0, columns.index(error.column) if error.column in columns else len(columns)


def record_figures(
    rows: list[CleanRow],
    *,
    origin: str,
    provenance: str,
    actor: Any = None,
    audit_action: str = "indicators.record",
) -> StoreSummary:
    """Store figures recorded by a person or an integration, then refresh the aggregates.

    The organisation figure of every period touched by a commune figure is recombined,
    so a late import of old commune figures does not leave the organisation's stale.
    """
    with transaction.atomic():
        summary = store_rows(
            rows, origin=origin, provenance=provenance, actor=actor, audit_action=audit_action
        )
        touched: dict[int, date] = {}
        for row in rows:
            commune = row.scope.commune
            if commune is not None and commune.organisation_id is not None:
                org_id = commune.organisation_id
                touched[org_id] = min(touched.get(org_id, row.period.start), row.period.start)
        for organisation in Organisation.objects.filter(pk__in=list(touched)):
            aggregate_to_organisation(organisation, since=touched[organisation.pk])
    return summary


def import_csv(
    data: bytes | str,
    *,
    actor: Any = None,
    source_name: str = "CSV",
    may_write: Callable[[Scope], bool] | None = None,
) -> StoreSummary:
    """All or nothing: every error is reported (line and column) and nothing is written."""
    raw_rows, errors = read_csv(data)
    clean, row_errors = validate_rows(raw_rows, may_write=may_write) if raw_rows else ([], [])
    errors += row_errors
    if errors:
        raise MeasurementInputError(sorted(errors, key=_error_order))
    return record_figures(
        clean,
        origin=MeasurementOrigin.IMPORT,
        provenance=f"import:{source_name[:150]}",
        actor=actor,
        audit_action="indicators.import",
    )


def set_target(
    *,
    indicator: IndicatorDefinition,
    scope: Scope,
    baseline_value: Decimal,
    baseline_date: date,
    target_value: Decimal,
    target_date: date,
) -> Target:
    if target_date <= baseline_date:
        raise ValueError("the target date must come after the baseline date")
    target, _ = Target.objects.update_or_create(
        indicator=indicator,
        scope=scope,
        defaults={
            "baseline_value": baseline_value,
            "baseline_date": baseline_date,
            "target_value": target_value,
            "target_date": target_date,
        },
    )
    return target


# --- Registered (computed) indicators --------------------------------------------------


def sync_registry() -> dict[str, IndicatorDefinition]:
    """Create or refresh the definitions of registered indicators."""
    definitions: dict[str, IndicatorDefinition] = {}
    for code, spec in registry.registered().items():
        definition, _ = IndicatorDefinition.objects.update_or_create(
            code=code,
            defaults={
                "name": str(spec.name),
                "description": str(spec.description),
                "unit": spec.unit,
                "direction": spec.direction,
                "method": str(spec.method),
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
        for code, spec in specs.items():
            definition = definitions[code]
            scopes = {
                "organisation": [org_scope],
                "commune": commune_scopes,
                "both": [org_scope, *commune_scopes],
            }[spec.scopes]
            due = last_periods(spec.periodicity, today, 1 if spec.snapshot else periods)
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
