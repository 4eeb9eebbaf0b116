"""Every CSV the platform writes is inert in a spreadsheet: no cell starts a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from territoire.core.csvwriter import _PLAIN_NUMBER, SafeDictWriter, SafeWriter, safe_cell, stream_rows


@pytest.mark.parametrize(
    "formula",
    ['=HYPERLINK("http://x","clic")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1", "-cmd|' /C calc'!A0"],
)
def test_a_formula_becomes_text(formula: str) -> None:
    assert safe_cell(formula) == "'" + formula


@pytest.mark.parametrize("value", [-3.5, Decimal("-2"), 0, "-3.5", "-3,5", "+12", "1e-3", "texte", "", None])
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


@given(st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=5), min_size=1, max_size=5))
def test_no_written_cell_starts_a_formula(rows: list[list[str]]) -> None:
    out = io.StringIO()
    SafeWriter(out).writerows(rows)
    for row in csv.reader(io.StringIO(out.getvalue(), newline="")):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _PLAIN_NUMBER.fullmatch(cell)


def test_dict_writer_and_streaming() -> None:
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=["user", "n"])
    writer.writeheader()
    writer.writerow({"user": "=HYPERLINK(1)", "n": -1})
    assert out.getvalue().splitlines() == ["user,n", "'=HYPERLINK(1),-1"]
    assert "".join(stream_rows(["a"], [["@x"]])).splitlines() == ["a", "'@x"]
