"""Downloads that open where people open them: an indicator's CSV for a French spreadsheet
(BOM, « ; », decimal commas, name, unit, baseline and target on every row) and one bulk
file of every public indicator (for a spreadsheet and for programs)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from territoire.indicators.exports import BULK_FIELDS
from territoire.indicators.models import IndicatorDefinition, MeasurementOrigin
from territoire.indicators.services import aggregate_to_organisation, set_target
from territoire.indicators.tests.helpers import ALPHA, BETA, DELTA, INTERNAL_CODE, ORG, PUBLIC_CODE, monthly
from territoire.territory.models import Organisation, Scope

Record = Callable[..., Any]
ScopeOf = Callable[[str], Scope]
START = date(2025, 1, 1)


def body(response: Any) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def figures(public_indicator: IndicatorDefinition, scope_of: ScopeOf, record: Record) -> Scope:
    alpha = scope_of(ALPHA)
    record(public_indicator, alpha, monthly(START, [50, 51.25, -3.5]))
    set_target(
        indicator=public_indicator,
        scope=alpha,
        baseline_value=Decimal("48.5"),
        baseline_date=date(2024, 12, 31),
        target_value=Decimal(100),
        target_date=date(2026, 12, 31),
    )
    return alpha


def test_an_indicators_spreadsheet_csv(
    client: Client, figures: Scope, public_indicator: IndicatorDefinition
) -> None:
    response = client.get(f"/t/{ALPHA}/indicateurs/{PUBLIC_CODE}/tableur.csv")
    raw = body(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{PUBLIC_CODE}-{ALPHA}-tableur.csv"' in response["Content-Disposition"]
    # A byte-order mark, so that a spreadsheet reads UTF-8 (accents) without asking.
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Indicateur", "Code", "Unité"]
    assert "Valeur de référence" in rows[0]
    assert len(rows) == 4
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row == {
        **row,
        "Indicateur": public_indicator.name,
        "Code": PUBLIC_CODE,
        "Unité": "%",
        "Périmètre": "Alpha",
        "Période": "janvier 2025",
        "Début": "01/01/2025",
        "Fin": "31/01/2025",
        "Valeur": "50",
        "Valeur de référence": "48,5",
        "Date de référence": "31/12/2024",
        "Cible": "100",
        "Échéance de la cible": "31/12/2026",
        "Provenance": "Saisi par un agent",
    }
    values = [dict(zip(rows[0], r, strict=True))["Valeur"] for r in rows[1:]]
    # Decimal commas; a negative figure stays a number (not made text by the formula guard).
    assert values == ["50", "51,25", "-3,5"]


def test_the_machine_csv_is_unchanged(client: Client, figures: Scope) -> None:
    raw = body(client.get(f"/t/{ALPHA}/indicateurs/{PUBLIC_CODE}.csv"))
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode().splitlines()[0].startswith("indicator,scope,period_start")
    assert ",51.25," in raw.decode()


def test_the_indicator_page_links_both(client: Client, figures: Scope) -> None:
    html = client.get(f"/t/{ALPHA}/indicateurs/{PUBLIC_CODE}/").content.decode()
    assert f'href="/t/{ALPHA}/indicateurs/{PUBLIC_CODE}/tableur.csv"' in html
    assert f'href="/t/{ALPHA}/indicateurs/{PUBLIC_CODE}.csv"' in html


def test_an_internal_indicators_spreadsheet_is_hidden(
    client: Client, internal_indicator: IndicatorDefinition
) -> None:
    assert client.get(f"/t/{ALPHA}/indicateurs/{INTERNAL_CODE}/tableur.csv").status_code == 404


@pytest.fixture
def territory(
    figures: Scope,
    public_indicator: IndicatorDefinition,
    internal_indicator: IndicatorDefinition,
    other_organisation: Organisation,
    scope_of: ScopeOf,
    record: Record,
) -> None:
    record(public_indicator, scope_of(BETA), monthly(START, [30, 31]))
    record(internal_indicator, scope_of(ALPHA), monthly(START, [7]))
    record(public_indicator, scope_of(DELTA), monthly(START, [99]))  # another organisation
    record(
        public_indicator, scope_of(ALPHA), monthly(START, [50.5]), origin=MeasurementOrigin.MANUAL
    )  # a correction: only the current value goes out
    aggregate_to_organisation(Organisation.objects.get(siren=ORG))


def test_the_bulk_spreadsheet_file(
    client: Client, territory: None, public_indicator: IndicatorDefinition
) -> None:
    response = client.get(f"/t/{ORG}/indicateurs-tableur.csv")
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert f'filename="indicateurs-{ORG}-tableur.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    scopes = {(r["Code"], r["Code du périmètre"]) for r in rows}
    # The organisation's figures (the aggregate) and every commune's; no internal indicator,
    # no other organisation's commune.
    assert (PUBLIC_CODE, ALPHA) in scopes
    assert (PUBLIC_CODE, BETA) in scopes
    assert (PUBLIC_CODE, ORG) in scopes
    assert not any(code == INTERNAL_CODE for code, _scope in scopes)
    assert not any(scope == DELTA for _code, scope in scopes)
    alpha = [r for r in rows if r["Code du périmètre"] == ALPHA]
    assert [r["Valeur"] for r in alpha] == ["50,5", "51,25", "-3,5"]
    assert {r["Cible"] for r in alpha} == {"100"}
    assert {r["Indicateur"] for r in alpha} == {public_indicator.name}


def test_the_bulk_machine_file(client: Client, territory: None) -> None:
    raw = body(client.get(f"/t/{ALPHA}/indicateurs.csv"))
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert list(rows[0]) == list(BULK_FIELDS)
    alpha = [r for r in rows if r["scope"] == ALPHA]
    assert [r["value"] for r in alpha] == ["50.5", "51.25", "-3.5"]
    assert alpha[0]["baseline_value"] == "48.5"
    assert alpha[0]["target_date"] == "2026-12-31"
    assert not any(r["indicator"] == INTERNAL_CODE for r in rows)


def test_the_bulk_file_streams_in_bounded_queries(
    client: Client,
    territory: None,
    public_indicator: IndicatorDefinition,
    scope_of: ScopeOf,
    record: Record,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(8):
        few = body(client.get(f"/t/{ORG}/indicateurs-tableur.csv"))
    record(public_indicator, scope_of(BETA), monthly(date(2020, 1, 1), list(range(60))))
    with django_assert_max_num_queries(8):
        many = body(client.get(f"/t/{ORG}/indicateurs-tableur.csv"))
    assert many.count(b"\n") > few.count(b"\n") + 50


def test_the_home_links_the_bulk_files(client: Client, organisation: Organisation) -> None:
    html = client.get(f"/t/{ORG}/").content.decode()
    assert f'href="/t/{ORG}/indicateurs-tableur.csv"' in html
    assert f'href="/t/{ORG}/indicateurs.csv"' in html
