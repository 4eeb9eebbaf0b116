"""Checks at the edge of the spine: values, dates and rows (``validate_rows``), and the
import formats (``read_csv``, ``read_xlsx`` in ``spreadsheet``). Nothing here writes.

Messages are for a person, in the active language (French message ids through gettext):
the staff pages show them as they are, the API asks for them in English.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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
OPTIONAL_COLUMNS = ("note",)
# Columns of the downloadable template that help a person fill it in; ignored on import.
INFORMATIVE_COLUMNS = ("indicator_name", "scope_name", "unit", "last_value")
# Headers a person may type in French: read as the format's own names.
COLUMN_ALIASES = {
    "indicateur": "indicator",
    "perimetre": "scope",
    "périmètre": "scope",
    "debut": "period_start",
    "début": "period_start",
    "fin": "period_end",
    "valeur": "value",
}
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def day(value: date) -> str:
    """A date in a message: 31/01/2026 in French (the English catalogue says 2026-01-31)."""
    return formats.date_format(value, pgettext("date in a message", "d/m/Y"))


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``word`` (difflib), if one is close enough to be a typo."""
    matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


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
        raise ValueError(_("un nombre est attendu, pas un booléen"))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError(_("un nombre fini est attendu"))
        raw = repr(raw)
    text = str(raw).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not text:
        raise ValueError(_("valeur vide"))
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("« %(text)s » n'est pas un nombre") % {"text": str(raw)[:40]}) from exc
    if not value.is_finite():
        raise ValueError(_("un nombre fini est attendu"))
    if abs(value) >= MAX_ABS_VALUE or abs(value := round_value(value)) >= MAX_ABS_VALUE:
        raise ValueError(_("valeur hors limites (valeur absolue inférieure à 10^13)"))
    return value


def round_value(value: Decimal) -> Decimal:
    """Six decimal places and at most 15 significant digits (see ``SIGNIFICANT``)."""
    return SIGNIFICANT.plus(value.quantize(QUANTUM)).quantize(QUANTUM)


def parse_date(raw: Any) -> date:
    """A date written the French way (31/01/2026) or ISO 8601 (2026-01-31); a spreadsheet's
    date cell as it is."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    french = FRENCH_DATE.match(text)
    try:
        if french:
            return date(int(french[3]), int(french[2]), int(french[1]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(
        _("« %(text)s » n'est pas une date (JJ/MM/AAAA, par exemple 31/01/2026)") % {"text": text[:40]}
    )


def validate_rows(
    rows: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    may_write: Callable[[Scope], bool] | None = None,
    may_see: Callable[[Scope], bool] | None = None,
    allow_computed: bool = False,
    position: str | None = None,
) -> tuple[list[CleanRow], list[RowError]]:
    """Check rows of (indicator, scope, period_start, period_end, value[, note]).

    Returns the clean rows and every error found (not just the first), each with its
    line (or item index) and column. Two queries whatever the number of rows (a third
    to suggest the nearest code when one is unknown).
    ``position`` names a row in messages (``"measurements.{}"`` for the API's items).

    A scope ``may_write`` refuses reads as unknown (nothing is told about other tenants),
    unless ``may_see`` says the caller knows it (a commune of their own organisation):
    then the message says that they may not record figures there.
    """
    position = position or _("la ligne {}")
    materialised = list(rows)
    # A NUL character is refused below; PostgreSQL would reject it even in a lookup.
    codes = {c for _n, r in materialised if "\x00" not in (c := str(r.get("indicator", "")).strip())}
    scope_codes = {c for _n, r in materialised if "\x00" not in (c := str(r.get("scope", "")).strip())}
    indicators = {i.code: i for i in IndicatorDefinition.objects.filter(code__in=codes)}
    scopes = {
        s.code: s
        for s in Scope.objects.filter(code__in=scope_codes).select_related("organisation", "commune")
    }
    known_codes: list[str] | None = None
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, int, date, date], int | None] = {}
    for line, row in materialised:
        row_errors: list[RowError] = [
            RowError(line, column, _("contient un caractère NUL"))
            for column in ("indicator", "scope", "period_start", "period_end", "value", "note")
            if "\x00" in str(row.get(column, "") or "")
        ]
        if row_errors:
            errors.extend(row_errors)
            continue
        scope_code = str(row.get("scope", "") or "").strip()
        scope = scopes.get(scope_code)
        unknown_scope = _("périmètre inconnu « %(code)s » (un code INSEE ou un SIREN est attendu)") % {
            "code": scope_code[:20]
        }
        if not scope_code:
            row_errors.append(RowError(line, "scope", _("code de périmètre manquant (code INSEE ou SIREN)")))
        elif scope is None:
            row_errors.append(RowError(line, "scope", unknown_scope))
        elif may_write is not None and not may_write(scope):
            if may_see is not None and may_see(scope):
                message = _("vous n'avez pas le droit d'enregistrer des valeurs pour %(scope)s") % {
                    "scope": f"{scope.name} ({scope.code})"
                }
            else:
                # Outside the caller's reach reads as unknown: no hint about other tenants.
                message = unknown_scope
            row_errors.append(RowError(line, "scope", message))
            scope = None
        code = str(row.get("indicator", "") or "").strip()
        indicator = indicators.get(code)
        # Another organisation's own indicator is unknown here, as its scopes are.
        if (
            indicator is not None
            and scope is not None
            and indicator.organisation_id not in (None, scope.owning_organisation_id)
        ):
            indicator = None
        if not code:
            row_errors.append(RowError(line, "indicator", _("code d'indicateur manquant")))
        elif indicator is None:
            if known_codes is None:
                known_codes = _codes_to_suggest(
                    s for s in scopes.values() if may_write is None or may_write(s)
                )
            message = _("indicateur inconnu « %(code)s »") % {"code": code[:100]}
            if suggestion := closest(code, known_codes):
                message += " " + _("(vouliez-vous dire « %(code)s » ?)") % {"code": suggestion}
            row_errors.append(RowError(line, "indicator", message))
        elif indicator.source == Source.COMPUTED and not allow_computed:
            row_errors.append(
                RowError(
                    line,
                    "indicator",
                    _("%(code)s est calculé par le module %(module)s : il ne peut pas être importé")
                    % {"code": code, "module": indicator.module},
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
                    _("la période se termine (%(end)s) avant de commencer (%(start)s)")
                    % {"end": day(dates["period_end"]), "start": day(dates["period_start"])},
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
                        _(
                            "%(code)s a une périodicité %(periodicity)s : la période doit aller "
                            "du %(start)s au %(end)s, pas du %(given_start)s au %(given_end)s"
                        )
                        % {
                            "code": indicator.code,
                            "periodicity": indicator.get_periodicity_display(),
                            "start": day(expected.start),
                            "end": day(expected.end),
                            "given_start": day(dates["period_start"]),
                            "given_end": day(dates["period_end"]),
                        },
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
            where = position.format(first) if first is not None else _("un élément précédent")
            errors.append(
                RowError(
                    line,
                    "indicator",
                    _("doublon de %(where)s (même indicateur, même périmètre, même période)")
                    % {"where": where},
                )
            )
            continue
        seen[key] = line
        clean.append(
            CleanRow(indicator, scope, Period(dates["period_start"], dates["period_end"]), value, note, line)
        )
    return clean, errors


def _codes_to_suggest(scopes: Iterable[Scope]) -> list[str]:
    """Codes a suggestion may name: the shared catalogue and the rows' organisations' own."""
    organisations = {s.owning_organisation_id for s in scopes}
    return list(
        IndicatorDefinition.objects.filter(
            Q(organisation__isnull=True) | Q(organisation_id__in=organisations)
        ).values_list("code", flat=True)
    )


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
        return [], [
            RowError(
                1,
                "",
                _("le fichier est vide ; une ligne d'en-tête est attendue : %(columns)s")
                % {"columns": ",".join(CSV_COLUMNS)},
            )
        ]
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        return [], [RowError(1, "", _("en-tête CSV mal formé (%(error)s)") % {"error": exc})]
    header, header_errors = read_header(header)
    if header_errors:
        return [], header_errors
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
                errors.append(
                    RowError(
                        line,
                        where,
                        _("%(expected)s champs attendus, %(found)s trouvés")
                        % {"expected": len(header), "found": len(record)},
                    )
                )
                continue
            rows.append((line, dict(zip(header, record, strict=True))))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "", _("CSV mal formé (%(error)s)") % {"error": exc}))
    if not rows and not errors:
        errors.append(RowError(2, "", _("aucune ligne de données")))
    return rows, errors


def read_header(cells: Iterable[Any]) -> tuple[list[str], list[RowError]]:
    """The columns of a file's first line, by the format's names (French aliases read as
    them); a missing or unknown column is an error that names the nearest expected one."""
    header = []
    for cell in cells:
        name = str(cell if cell is not None else "").strip().lower()
        header.append(COLUMN_ALIASES.get(name, name))
    known = (*CSV_COLUMNS, *OPTIONAL_COLUMNS, *INFORMATIVE_COLUMNS)
    unknown = [h for h in header if h and h not in known]
    missing = [c for c in CSV_COLUMNS if c not in header]
    errors: list[RowError] = []
    explained: set[str] = set()
    for column in missing:
        typo = closest(column, [u for u in unknown if u not in explained])
        if typo is not None:
            explained.add(typo)
            message = _(
                "colonne absente de l'en-tête : le fichier a une colonne « %(found)s », renommez-la « %(column)s »"
            ) % {"found": typo, "column": column}
        else:
            message = _("colonne absente de l'en-tête")
        errors.append(RowError(1, column, message))
    for name in unknown:
        if name in explained:
            continue
        suggestion = closest(name, known)
        message = (
            _("colonne inconnue (vouliez-vous dire « %(column)s » ?)") % {"column": suggestion}
            if suggestion
            else _("colonne inconnue ; colonnes attendues : %(columns)s")
            % {"columns": ", ".join((*CSV_COLUMNS, *OPTIONAL_COLUMNS))}
        )
        errors.append(RowError(1, name[:40], message))
    return header, errors


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
        _(
            "le fichier n'est pas un texte UTF-8 (l'octet %(byte)s ne peut pas être lu) : "
            "enregistrez-le au format « CSV UTF-8 »"
        )
        % {"byte": offset + 1},
    )


def error_order(error: RowError) -> tuple[int, int]:
    """By line, then in the order of the columns in the file format."""
    columns = (*CSV_COLUMNS, *OPTIONAL_COLUMNS)
    return error.line or 0, columns.index(error.column) if error.column in columns else len(columns)
