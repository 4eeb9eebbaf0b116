"""Checks at the edge of the spine: values, dates and rows (``validate_rows``), and the
CSV import format (``read_csv``). Nothing here writes."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from territoire.indicators.models import (
    IndicatorDefinition,
    Source,
)
from territoire.indicators.periods import Period, period_of
from territoire.territory.models import Scope

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


def error_order(error: RowError) -> tuple[int, int]:
    """By line, then in the order of the columns in the file format."""
    columns = (*CSV_COLUMNS, "note")
    return error.line or 0, columns.index(error.column) if error.column in columns else len(columns)
