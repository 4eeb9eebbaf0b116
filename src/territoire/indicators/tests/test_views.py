"""The indicator page and its CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from territoire.indicators.models import Aggregate, Direction, IndicatorDefinition, MeasurementOrigin
from territoire.indicators.periods import Period
from territoire.indicators.services import CleanRow, set_target, store_rows
from territoire.indicators.tests.helpers import (
    ALPHA,
    BETA,
    DELTA,
    GAMMA,
    INTERNAL_CODE,
    ORG,
    OTHER_ORG,
    PUBLIC_CODE,
    monthly,
)
from territoire.indicators.views.public import EXPORT_FIELDS
from territoire.territory.models import Organisation, Role, Scope

Record = Callable[..., Any]
ScopeOf = Callable[[str], Scope]
START = date(2021, 1, 1)


def page(scope: str, code: str, suffix: str = "/") -> str:
    return f"/t/{scope}/indicateurs/{code}{suffix}"


@pytest.fixture
def history(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf, record: Record, make_staff: Callable[..., Any]
) -> Scope:
    """Alpha: 12 monthly figures from 50 to 72 (+2 a month), March corrected by a staff member."""
    alpha = scope_of(ALPHA)
    record(public_indicator, alpha, monthly(START, [50 + 2 * k for k in range(12)]))
    recorder = make_staff(Organisation.objects.get(siren=ORG))
    store_rows(
        [CleanRow(public_indicator, alpha, Period(date(2021, 3, 1), date(2021, 3, 31)), Decimal("54.5"))],
        origin=MeasurementOrigin.MANUAL,
        provenance="saisie:99101",
        actor=recorder,
    )
    set_target(
        indicator=public_indicator,
        scope=alpha,
        baseline_value=Decimal(50),
        baseline_date=date(2020, 12, 31),
        target_value=Decimal(70),
        target_date=date(2099, 12, 31),
    )
    return alpha


# --- The page ----------------------------------------------------------------------------


def test_the_page_shows_the_figure_target_status_method_table_and_chart(
    client: Client, history: Scope, public_indicator: IndicatorDefinition
) -> None:
    response = client.get(page(ALPHA, PUBLIC_CODE))
    assert response.status_code == 200
    html = response.content.decode()
    assert public_indicator.name in html
    # Latest value (December 2021: 72) and the target (70 by 2099, from 50).
    assert "<strong>72,0 %</strong>" in html
    assert "(décembre 2021)" in html
    assert "70,0 % au 31/12/2099" in html
    assert "50,0 % au 31/12/2020" in html
    # 72 ≥ 70: reached.
    assert 'class="status status-reached">Atteint<' in html
    assert "100 % du chemin parcouru" in html
    assert public_indicator.method in html
    # Every version, the superseded one marked as such: 12 months + 1 correction.
    assert "Toutes les mesures (13), dont 1 corrigée(s) par une personne et 0 recalculée(s)" in html
    assert html.count('<tr class="superseded">') == 1
    superseded = html.split('<tr class="superseded">')[1].split("</tr>")[0]
    assert "mars 2021" in superseded
    assert ">54,0<" in superseded
    assert "corrigée par une personne" in superseded
    assert ">54,5<" in html  # the correction, current
    # The chart: inline SVG with an accessible title and description.
    assert '<svg class="chart"' in html
    assert f'<title id="chart-title">Historique : {public_indicator.name}</title>' in html
    assert "Valeurs de janvier 2021 à décembre 2021" in html
    # Downloads.
    assert page(ALPHA, PUBLIC_CODE, ".csv") in html
    assert page(ALPHA, PUBLIC_CODE, ".json") in html


def test_off_track_status_on_a_flat_series(
    client: Client, public_indicator: IndicatorDefinition, scope_of: ScopeOf, record: Record
) -> None:
    beta = scope_of(BETA)
    record(public_indicator, beta, monthly(START, [40] * 6))
    set_target(
        indicator=public_indicator,
        scope=beta,
        baseline_value=Decimal(40),
        baseline_date=date(2020, 12, 31),
        target_value=Decimal(80),
        target_date=date(2099, 12, 31),
    )
    html = client.get(page(BETA, PUBLIC_CODE)).content.decode()
    assert 'class="status status-off-track">En retard<' in html
    assert "0 % du chemin parcouru" in html


def test_a_page_without_figures_or_target(client: Client, public_indicator: IndicatorDefinition) -> None:
    response = client.get(page(GAMMA, PUBLIC_CODE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "aucune mesure" in html
    assert "aucune cible fixée pour ce périmètre" in html
    assert "Aucune mesure." in html
    assert '<svg class="chart"' not in html


def test_the_page_in_english(client: Client, history: Scope) -> None:
    response = client.get("/en" + page(ALPHA, PUBLIC_CODE))
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()


def test_the_page_of_the_organisation(
    client: Client, history: Scope, public_indicator: IndicatorDefinition
) -> None:
    response = client.get(page(ORG, PUBLIC_CODE))
    assert response.status_code == 200
    assert public_indicator.name in response.content.decode()


# --- Downloads ----------------------------------------------------------------------------


def test_csv_download(client: Client, history: Scope) -> None:
    response = client.get(page(ALPHA, PUBLIC_CODE, ".csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{PUBLIC_CODE}-{ALPHA}.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(EXPORT_FIELDS)
    assert len(rows) == 13
    march = [r for r in rows if r["period_start"] == "2021-03-01"]
    assert [(r["value"], r["version"], r["is_current"]) for r in march] == [
        ("54", "1", "False"),
        ("54.5", "2", "True"),
    ]
    assert rows[0] == {
        **rows[0],
        "indicator": PUBLIC_CODE,
        "scope": ALPHA,
        "period_end": "2021-01-31",
        "value": "50",
        "unit": "%",
        "origin": "manual",
        "provenance": "test",
    }
    # No personal data: not the recorder's username, name or e-mail.
    assert "staff1" not in text
    assert "@example.org" not in text
    assert "Agent1" not in text


def test_json_download(client: Client, history: Scope, public_indicator: IndicatorDefinition) -> None:
    response = client.get(page(ALPHA, PUBLIC_CODE, ".json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    payload = json.loads(response.content)
    assert payload["indicator"]["code"] == PUBLIC_CODE
    assert payload["indicator"]["method"] == public_indicator.method
    assert payload["scope"] == {"code": ALPHA, "kind": "commune", "name": "Alpha"}
    measurements = payload["measurements"]
    assert len(measurements) == 13
    assert measurements[0]["value"] == "50"
    assert {m["version"] for m in measurements if m["period_start"] == "2021-03-01"} == {1, 2}
    text = response.content.decode()
    assert "staff1" not in text
    assert "@example.org" not in text


# --- Who may see an internal indicator ----------------------------------------------------


@pytest.fixture
def internal_figures(
    internal_indicator: IndicatorDefinition,
    scope_of: ScopeOf,
    record: Record,
    other_organisation: Organisation,
) -> None:
    for code in (ALPHA, BETA, ORG):
        record(internal_indicator, scope_of(code), monthly(START, [3, 1]))


SUFFIXES = ["/", ".csv", ".json"]


def statuses(client: Client, code: str, scopes: tuple[str, ...]) -> set[int]:
    """The answers to the page and both downloads of ``code`` for each scope."""
    return {client.get(page(scope, code, suffix)).status_code for scope in scopes for suffix in SUFFIXES}


def test_an_internal_indicator_is_hidden_from_anonymous_visitors(
    client: Client, internal_figures: None
) -> None:
    assert statuses(client, INTERNAL_CODE, (ORG, ALPHA, BETA)) == {404}
    assert statuses(client, PUBLIC_CODE, (ORG, ALPHA, BETA)) == {200}


def test_an_internal_indicator_is_hidden_from_staff_of_another_organisation(
    client: Client, internal_figures: None, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(Organisation.objects.get(siren=OTHER_ORG), Role.ADMINISTRATEUR))
    assert statuses(client, INTERNAL_CODE, (ORG, ALPHA)) == {404}
    assert statuses(client, INTERNAL_CODE, (DELTA,)) == {200}  # their own territory


def test_an_internal_indicator_is_shown_to_staff_of_its_scope(
    client: Client, internal_figures: None, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(Organisation.objects.get(siren=ORG), Role.AGENT))
    assert statuses(client, INTERNAL_CODE, (ORG, ALPHA, BETA)) == {200}


def test_internal_indicator_page_marks_it_internal(
    client: Client, internal_figures: None, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(Organisation.objects.get(siren=ORG)))
    html = client.get(page(ORG, INTERNAL_CODE)).content.decode()
    assert '<span class="badge-internal">interne</span>' in html


def test_commune_staff_see_the_internal_figures_of_their_commune_only(
    client: Client, internal_figures: None, make_staff: Callable[..., Any], scope_of: ScopeOf
) -> None:
    organisation = Organisation.objects.get(siren=ORG)
    beta = scope_of(BETA)
    assert beta.commune is not None
    client.force_login(make_staff(organisation, Role.AGENT, commune=beta.commune))
    assert statuses(client, INTERNAL_CODE, (BETA,)) == {200}
    assert statuses(client, INTERNAL_CODE, (ALPHA, ORG)) == {404}


def test_a_superuser_sees_internal_indicators(
    client: Client, internal_figures: None, django_user_model: Any
) -> None:
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    assert client.get(page(ALPHA, INTERNAL_CODE)).status_code == 200


def test_unknown_indicator_or_scope_is_404(
    client: Client, public_indicator: IndicatorDefinition, other_organisation: Organisation
) -> None:
    assert statuses(client, "nope.unknown", (ALPHA,)) == {404}
    assert statuses(client, PUBLIC_CODE, ("99999", "123456789")) == {404}
    # An indicator of another organisation's own catalogue is not found here.
    IndicatorDefinition.objects.create(
        code="voisine.specifique",
        name="Spécifique",
        unit="u",
        direction=Direction.HIGHER_IS_BETTER,
        method="m",
        aggregate=Aggregate.NONE,
        organisation=other_organisation,
    )
    assert statuses(client, "voisine.specifique", (ALPHA, ORG)) == {404}
    assert statuses(client, "voisine.specifique", (DELTA, OTHER_ORG)) == {200}


# --- Query count --------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return len(context.captured_queries)


@pytest.mark.parametrize("staff", [False, True])
def test_the_page_query_count_does_not_grow_with_the_history(
    client: Client,
    public_indicator: IndicatorDefinition,
    scope_of: ScopeOf,
    record: Record,
    make_staff: Callable[..., Any],
    staff: bool,
) -> None:
    alpha, beta = scope_of(ALPHA), scope_of(BETA)
    record(public_indicator, alpha, monthly(START, list(range(12))))
    record(public_indicator, beta, monthly(START, list(range(48))))
    # Corrections on both, so that superseded rows are in the table too.
    record(public_indicator, alpha, monthly(START, [100, 101]))
    record(public_indicator, beta, monthly(START, [100] * 20))
    for scope in (alpha, beta):
        set_target(
            indicator=public_indicator,
            scope=scope,
            baseline_value=Decimal(0),
            baseline_date=date(2020, 12, 31),
            target_value=Decimal(100),
            target_date=date(2099, 12, 31),
        )
    if staff:
        client.force_login(make_staff(Organisation.objects.get(siren=ORG)))
    client.get(page(GAMMA, PUBLIC_CODE))  # warm up (session, translations, ...)
    small = _queries(client, page(ALPHA, PUBLIC_CODE))
    large = _queries(client, page(BETA, PUBLIC_CODE))
    assert small == large
    # Staff: one more, the second factor's device (internal data need a verified session);
    # two for the roadmap's links (objectives with their axis, their projects).
    assert large <= 10 + staff
    for suffix in (".csv", ".json"):
        assert _queries(client, page(ALPHA, PUBLIC_CODE, suffix)) == _queries(
            client, page(BETA, PUBLIC_CODE, suffix)
        )


@pytest.mark.django_db
def test_csv_download_makes_formulas_inert(
    client: Client, history: Scope, public_indicator: IndicatorDefinition
) -> None:
    # A provenance is text an integration chooses: a spreadsheet must not run it.
    store_rows(
        [CleanRow(public_indicator, history, Period(date(2021, 4, 1), date(2021, 4, 30)), Decimal("60"))],
        origin=MeasurementOrigin.IMPORT,
        provenance='=HYPERLINK("http://x.example","clic")',
    )
    text = b"".join(client.get(page(ALPHA, PUBLIC_CODE, ".csv")).streaming_content).decode()  # type: ignore[attr-defined]
    provenances = {r["provenance"] for r in csv.DictReader(io.StringIO(text))}
    assert '\'=HYPERLINK("http://x.example","clic")' in provenances
    assert not any(p.startswith("=") for p in provenances)
