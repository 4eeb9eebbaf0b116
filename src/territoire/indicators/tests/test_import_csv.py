"""``territoire indicators import FILE.csv``: all or nothing, every error with its place."""

from __future__ import annotations

import io
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from territoire.core.models import AuditEvent
from territoire.indicators.models import IndicatorDefinition, Measurement, MeasurementOrigin
from territoire.indicators.periods import months
from territoire.indicators.services import sync_registry
from territoire.indicators.tests.helpers import ALPHA, BETA, GAMMA, INTERNAL_CODE, ORG, PUBLIC_CODE
from territoire.territory.models import Organisation


def imported() -> Any:
    """Figures as imported (aggregates of the organisation follow from them)."""
    return Measurement.objects.exclude(origin=MeasurementOrigin.AGGREGATED)


HEADER = "indicator,scope,period_start,period_end,value\n"
GOOD = (
    HEADER
    + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,61.5\n"
    + f"{PUBLIC_CODE},{BETA},2025-01-01,2025-01-31,40\n"
    + f"{INTERNAL_CODE},{ORG},2025-01-01,2025-01-31,3\n"
)


def run_import(tmp_path: Path, content: str | bytes, name: str = "figures.csv") -> tuple[str, str]:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    call_command("indicators", "import", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def import_fails(tmp_path: Path, content: str | bytes) -> tuple[str, CommandError]:
    """Run an import that must fail; return its stderr and the error."""
    path = tmp_path / "bad.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("indicators", "import", str(path), stdout=io.StringIO(), stderr=err)
    assert info.value.returncode == 2
    assert "nothing was imported" in str(info.value)
    return err.getvalue(), info.value


def current(code: str, scope: str) -> list[Measurement]:
    return list(
        Measurement.objects.filter(indicator__code=code, scope__code=scope, is_current=True).order_by(
            "period_start"
        )
    )


# --- Good files ------------------------------------------------------------------------


def test_a_good_file_imports(organisation: Organisation, tmp_path: Path) -> None:
    out, err = run_import(tmp_path, GOOD)
    assert "3 new figure(s), 0 correction(s), 0 unchanged" in out
    assert err == ""
    assert imported().count() == 3
    alpha = Measurement.objects.get(indicator__code=PUBLIC_CODE, scope__code=ALPHA)
    assert alpha.value == Decimal("61.5")
    assert alpha.version == 1
    assert alpha.is_current
    assert alpha.origin == MeasurementOrigin.IMPORT
    assert alpha.provenance == "import:figures.csv"
    assert AuditEvent.objects.filter(action="indicators.import").count() == 1


def test_reimport_is_idempotent(organisation: Organisation, tmp_path: Path) -> None:
    run_import(tmp_path, GOOD)
    out, _ = run_import(tmp_path, GOOD)
    assert "0 new figure(s), 0 correction(s), 3 unchanged" in out
    assert imported().count() == 3
    assert set(Measurement.objects.values_list("version", flat=True)) == {1}


def test_reimport_of_a_long_figure_is_idempotent(organisation: Organisation, tmp_path: Path) -> None:
    # Regression: on SQLite (15 significant digits) an 18-digit figure read back different
    # from the file, so every import recorded a "correction".
    content = HEADER + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,123456789012.345678\n"
    run_import(tmp_path, content)
    out, _ = run_import(tmp_path, content)
    assert "0 new figure(s), 0 correction(s), 1 unchanged" in out
    assert imported().get().value == Decimal("123456789012.346")


def test_a_changed_value_is_a_new_version_that_supersedes_the_old(
    organisation: Organisation, tmp_path: Path
) -> None:
    run_import(tmp_path, GOOD)
    out, _ = run_import(tmp_path, GOOD.replace(",61.5\n", ",62.25\n"))
    assert "0 new figure(s), 1 correction(s), 2 unchanged" in out
    rows = list(
        Measurement.objects.filter(indicator__code=PUBLIC_CODE, scope__code=ALPHA).order_by("version")
    )
    assert [(m.version, m.value, m.is_current) for m in rows] == [
        (1, Decimal("61.5"), False),
        (2, Decimal("62.25"), True),
    ]
    assert rows[1].supersedes == rows[0]
    assert imported().count() == 4


def test_semicolons_and_decimal_commas(organisation: Organisation, tmp_path: Path) -> None:
    content = (
        "indicator;scope;period_start;period_end;value;note\n"
        f"{PUBLIC_CODE};{ALPHA};2025-02-01;2025-02-28;61,5;relevé de l'opérateur\n"
        f"{PUBLIC_CODE};{GAMMA};2025-02-01;2025-02-28;1 234,75;\n"
    )
    out, _ = run_import(tmp_path, content)
    assert "2 new figure(s)" in out
    assert [m.value for m in current(PUBLIC_CODE, ALPHA)] == [Decimal("61.5")]
    assert current(PUBLIC_CODE, ALPHA)[0].note == "relevé de l'opérateur"
    assert [m.value for m in current(PUBLIC_CODE, GAMMA)] == [Decimal("1234.75")]


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_byte_order_mark_is_accepted(organisation: Organisation, tmp_path: Path, separator: str) -> None:
    content = GOOD.replace(",", separator).encode("utf-8-sig")
    assert content.startswith(b"\xef\xbb\xbf")
    out, _ = run_import(tmp_path, content)
    assert "3 new figure(s)" in out


def test_windows_line_endings_and_blank_lines(organisation: Organisation, tmp_path: Path) -> None:
    content = GOOD.replace("\n", "\r\n") + "\r\n\r\n"
    out, _ = run_import(tmp_path, content.encode())
    assert "3 new figure(s)" in out


def test_reads_standard_input(
    organisation: Organisation, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD.encode())))
    out = io.StringIO()
    call_command("indicators", "import", "-", stdout=out)
    assert "3 new figure(s)" in out.getvalue()
    assert Measurement.objects.filter(provenance="import:stdin").count() == 3


def test_a_missing_file(organisation: Organisation, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        call_command("indicators", "import", str(tmp_path / "nope.csv"), stderr=io.StringIO())
    assert info.value.returncode == 2
    assert "nope.csv" in str(info.value)


# --- Bad input: all or nothing, each error with its line and column --------------------

A = f"{PUBLIC_CODE},{ALPHA}"
JAN = "2025-01-01,2025-01-31"

BAD_FILES: list[tuple[str, str | bytes, list[tuple[int, str, str]]]] = [
    (
        "unknown indicator",
        HEADER + f"nope.unknown,{ALPHA},{JAN},1\n",
        [(2, "indicator", "indicateur inconnu « nope.unknown »")],
    ),
    (
        "unknown scope",
        HEADER + f"{PUBLIC_CODE},99999,{JAN},1\n",
        [(2, "scope", "périmètre inconnu « 99999 »")],
    ),
    (
        "non-numeric value",
        HEADER + f"{A},{JAN},beaucoup\n",
        [(2, "value", "« beaucoup » n'est pas un nombre")],
    ),
    ("empty value", HEADER + f"{A},{JAN},\n", [(2, "value", "valeur vide")]),
    ("NaN", HEADER + f"{A},{JAN},NaN\n", [(2, "value", "nombre fini")]),
    ("infinity", HEADER + f"{A},{JAN},inf\n", [(2, "value", "nombre fini")]),
    ("-Infinity", HEADER + f"{A},{JAN},-Infinity\n", [(2, "value", "nombre fini")]),
    ("huge value", HEADER + f"{A},{JAN},1e20\n", [(2, "value", "hors limites")]),
    (
        "end before start",
        HEADER + f"{A},2025-01-31,2025-01-01,1\n",
        [(2, "period_end", "la période se termine (01/01/2025) avant de commencer (31/01/2025)")],
    ),
    ("bad date format", HEADER + f"{A},2025/01/01,2025-01-31,1\n", [(2, "period_start", "JJ/MM/AAAA")]),
    ("impossible date", HEADER + f"{A},2025-02-01,2025-02-30,1\n", [(2, "period_end", "JJ/MM/AAAA")]),
    (
        "impossible French date",
        HEADER + f"{A},01/02/2025,30/02/2025,1\n",
        [(2, "period_end", "« 30/02/2025 »")],
    ),
    (
        "period not a calendar month",
        HEADER + f"{A},2025-01-01,2025-01-15,1\n",
        [(2, "period_end", "doit aller du 01/01/2025 au 31/01/2025")],
    ),
    (
        "period starting mid-month",
        HEADER + f"{A},2025-01-15,2025-02-14,1\n",
        [(2, "period_start", "périodicité mensuelle")],
    ),
    (
        "duplicate rows",
        HEADER + f"{A},{JAN},1\n{PUBLIC_CODE},{BETA},{JAN},2\n{A},{JAN},3\n",
        [(4, "indicator", "doublon de la ligne 2")],
    ),
    (
        "missing header column",
        "indicator,scope,period_start,period_end\n" + f"{A},{JAN}\n",
        [(1, "value", "colonne absente")],
    ),
    (
        "two missing header columns",
        "indicator,scope,value\n" + f"{A},1\n",
        [(1, "period_start", "colonne absente"), (1, "period_end", "colonne absente")],
    ),
    ("too few fields", HEADER + f"{A},{JAN}\n", [(2, "value", "5 champs attendus, 4 trouvés")]),
    ("too many fields", HEADER + f"{A},{JAN},1,2\n", [(2, "6", "5 champs attendus, 6 trouvés")]),
    (
        "not UTF-8",
        (HEADER.rstrip("\n") + ",note\n" + f"{A},{JAN},1,relev\xe9\n").encode("latin-1"),
        [(2, "note", "pas un texte UTF-8")],
    ),
    ("empty file", "", [(1, "", "vide")]),
    ("blank file", "\n \n", [(1, "", "vide")]),
    ("header only", HEADER, [(2, "", "aucune ligne de données")]),
    ("unterminated quote", HEADER + f'{A},{JAN},"1\n', [(2, "", "mal formé")]),
]


def assert_reported(stderr: str, errors: list[tuple[int, str, str]]) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == len(errors), stderr
    for (line, column, fragment), text in zip(errors, lines, strict=True):
        where = f"line {line}, column {column!r}: " if column else f"line {line}: "
        assert where in text, text
        assert fragment in text, text


def test_bad_input_is_refused_with_line_and_column(organisation: Organisation, tmp_path: Path) -> None:
    # One case after the other on the same territory (a territory costs more than an import).
    run_import(tmp_path, GOOD)
    existing = Measurement.objects.count()
    for case, content, errors in BAD_FILES:
        stderr, error = import_fails(tmp_path, content)
        try:
            assert_reported(stderr, errors)
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from exc
        assert f"{len(errors)} error(s)" in str(error), case
        assert Measurement.objects.count() == existing, case


def test_a_computed_indicator_cannot_be_imported(organisation: Organisation, tmp_path: Path) -> None:
    sync_registry()
    assert IndicatorDefinition.objects.get(code="roadmap.portfolio_progress").source == "computed"
    stderr, _ = import_fails(tmp_path, HEADER + f"roadmap.portfolio_progress,{ORG},{JAN},50\n")
    assert_reported(stderr, [(2, "indicator", "est calculé par le module roadmap")])
    assert not Measurement.objects.exists()


def test_every_error_of_a_file_is_reported(organisation: Organisation, tmp_path: Path) -> None:
    content = (
        HEADER
        + f"{A},{JAN},1\n"  # good
        + f"nope.unknown,{ALPHA},{JAN},1\n"  # line 3
        + f"{PUBLIC_CODE},99999,2025-02-01,2025-01-01,abc\n"  # line 4: three errors
        + f"{A},{JAN},2\n"  # line 5: duplicate of line 2
        + f"{A},{JAN}\n"  # line 6: field count
    )
    stderr, error = import_fails(tmp_path, content)
    assert "6 error(s)" in str(error)
    found = re.findall(r"line (\d+), column '(\w+)'", stderr)
    assert found == [
        ("3", "indicator"),
        ("4", "scope"),
        ("4", "period_end"),
        ("4", "value"),
        ("5", "indicator"),
        ("6", "value"),
    ]
    assert "doublon de la ligne 2" in stderr
    assert not Measurement.objects.exists()


LAST_ROWS = [
    f"{PUBLIC_CODE},{GAMMA},2025-12-01,2025-12-31,oops\n",  # bad value
    f"{PUBLIC_CODE},{GAMMA},2025-12-01,2025-12-31\n",  # short row
    f"{PUBLIC_CODE},00000,2025-12-01,2025-12-31,1\n",  # unknown scope
    f"{PUBLIC_CODE},{ALPHA},2023-01-01,2023-01-31,5\n",  # duplicate of line 2
]


def test_nothing_is_written_when_only_the_last_row_is_bad(organisation: Organisation, tmp_path: Path) -> None:
    run_import(tmp_path, GOOD)
    before = list(Measurement.objects.order_by("pk").values_list("pk", "value", "version", "is_current"))
    # Forty new figures and a correction of an existing one, then one bad line (line 43).
    body = "".join(
        f"{PUBLIC_CODE},{scope},{p.start},{p.end},{i}\n"
        for scope in (ALPHA, BETA)
        for i, p in enumerate(months(date(2023, 1, 1), 20))
    )
    for last_row in LAST_ROWS:
        content = HEADER + body + f"{PUBLIC_CODE},{ALPHA},{JAN},99\n" + last_row
        stderr, _ = import_fails(tmp_path, content)
        assert stderr.startswith(f"{tmp_path / 'bad.csv'}: line 43, "), stderr
        after = list(Measurement.objects.order_by("pk").values_list("pk", "value", "version", "is_current"))
        assert after == before, last_row


def test_errors_are_reported_in_line_order(organisation: Organisation, tmp_path: Path) -> None:
    content = HEADER + f"{A},{JAN},x\n" + f"{A},2025-02-01,2025-02-28,y\n" + "a,b\n"
    stderr, _ = import_fails(tmp_path, content)
    assert [int(n) for n in re.findall(r"line (\d+)", stderr)] == [2, 3, 4]
