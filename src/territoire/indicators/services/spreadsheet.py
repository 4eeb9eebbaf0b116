"""Figures from a spreadsheet (XLSX, the format a French office saves by default).

The first sheet is read like a CSV file: a header line with the format's columns, one
figure per line; lines keep their spreadsheet numbers in error messages. Date cells are
taken as dates, number cells as numbers; text cells go through the same parsing as CSV.

An XLSX file is a ZIP of XML documents: its declared uncompressed size is bounded before
anything is unpacked (a small file must not expand into gigabytes), and openpyxl parses
the XML through defusedxml (no entity expansion).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _

from territoire.indicators.services.validation import CSV_COLUMNS, RowError, read_csv, read_header

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx")


def read_table(
    data: bytes, filename: str = ""
) -> tuple[list[tuple[int | None, dict[str, Any]]], list[RowError]]:
    """Rows of an import file, CSV or XLSX (told apart by content, then by name)."""
    if is_xlsx(data, filename):
        return read_xlsx(data)
    rows, errors = read_csv(data)
    return list(rows), errors


def _unreadable() -> list[RowError]:
    return [
        RowError(
            None,
            "",
            _(
                "le fichier n'est pas un classeur XLSX lisible ; enregistrez-le au format « Classeur Excel (.xlsx) » ou « CSV UTF-8 »"
            ),
        )
    ]


def read_xlsx(data: bytes) -> tuple[list[tuple[int | None, dict[str, Any]]], list[RowError]]:
    import openpyxl  # heavy: only when a spreadsheet is sent

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                return [], [
                    RowError(None, "", _("classeur trop volumineux une fois décompressé (50 Mo au plus)"))
                ]
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        return [], _unreadable()
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return [], _unreadable()
        lines = sheet.iter_rows(values_only=True)
        first = next(lines, None)
        if first is None or not any(_text(c) for c in first):
            return [], [
                RowError(
                    1,
                    "",
                    _("le fichier est vide ; une ligne d'en-tête est attendue : %(columns)s")
                    % {"columns": ",".join(CSV_COLUMNS)},
                )
            ]
        header, errors = read_header(first)
        if errors:
            return [], errors
        # Trailing empty header cells (a sheet's formatted but empty columns) are dropped.
        while header and not header[-1]:
            header.pop()
        rows: list[tuple[int | None, dict[str, Any]]] = []
        for number, cells in enumerate(lines, start=2):
            if number > MAX_ROWS + 1:
                errors.append(RowError(number, "", _("trop de lignes (%(max)s au plus)") % {"max": MAX_ROWS}))
                break
            values = [_cell(c) for c in cells[: len(header)]]
            values += [""] * (len(header) - len(values))
            extra = [c for c in cells[len(header) :] if _text(c)]
            if not any(_text(v) for v in values) and not extra:
                continue
            if extra:
                errors.append(
                    RowError(
                        number,
                        str(len(header) + 1),
                        _("%(expected)s champs attendus, %(found)s trouvés")
                        % {"expected": len(header), "found": len(header) + len(extra)},
                    )
                )
                continue
            row = dict(zip(header, values, strict=True))
            if "scope" in row:
                row["scope"] = _code(row["scope"])
            rows.append((number, row))
    finally:
        workbook.close()
    if not rows and not errors:
        errors.append(RowError(2, "", _("aucune ligne de données")))
    return rows, errors


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _code(cell: Any) -> Any:
    """A scope code typed in a number cell loses its leading zeros: 1004 is INSEE 01004."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool) and cell >= 0:
        digits = str(cell)
        return digits.zfill(5) if len(digits) <= 5 else digits.zfill(9)
    return cell


def _cell(cell: Any) -> Any:
    """A cell as the validation reads it: dates as dates, numbers as numbers, text as text."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date | int | float):
        return cell
    if isinstance(cell, time):
        return str(cell)
    return str(cell)
