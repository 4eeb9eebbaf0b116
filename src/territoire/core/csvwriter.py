"""The one CSV writer of the platform: cells a spreadsheet would run as a formula are made inert.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula (CSV injection: ``=HYPERLINK(...)`` in a username that
lands in the audit trail's export). Such text cells get a leading apostrophe, which the
spreadsheet shows as text (OWASP's advice). Numbers are left as they are, whether given as
numbers or as the text of a plain number (``-3.5``, ``-3,5``), so figures stay figures.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it, never as a formula."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    """A file-like object that hands back what is written (for streaming responses)."""

    def write(self, value: str) -> str:
        return value


class SafeWriter:
    """``csv.writer``'s interface, with every cell through ``safe_cell``."""

    def __init__(self, stream: Any = None, **options: Any) -> None:
        self._writer = csv.writer(stream if stream is not None else _Echo(), **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter``'s interface, with every cell through ``safe_cell``."""

    def __init__(self, stream: Any = None, fieldnames: Sequence[str] = (), **options: Any) -> None:
        self.fieldnames = list(fieldnames)
        self._writer = csv.DictWriter(
            stream if stream is not None else _Echo(), fieldnames=self.fieldnames, **options
        )

    def writeheader(self) -> Any:
        return self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._writer.writerow({k: safe_cell(v) for k, v in row.items()})


def stream_rows(header: Sequence[str], rows: Iterable[Iterable[Any]], **options: Any) -> Iterator[str]:
    """Lines of a CSV file, written one row at a time (for a ``StreamingHttpResponse``)."""
    writer = SafeWriter(**options)
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
