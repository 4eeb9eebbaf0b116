"""An indicator's page tells one story: provenance in words, a source that agrees with the
rows, the baseline against the history, the communes side by side, periods by name,
a recomputation told apart from a correction."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from territoire.indicators import selectors
from territoire.indicators.models import IndicatorDefinition, Measurement, MeasurementOrigin
from territoire.indicators.periods import month_of
from territoire.indicators.services import CleanRow, record_figures, set_target
from territoire.indicators.tests.helpers import ALPHA, BETA, GAMMA, INTERNAL_CODE, ORG, PUBLIC_CODE, monthly
from territoire.indicators.wording import period_label
from territoire.territory.models import Commune, Organisation, Role, Scope

Record = Callable[..., Any]
ScopeOf = Callable[[str], Scope]
START = date(2024, 10, 1)


def page(scope: str, code: str) -> str:
    return f"/t/{scope}/indicateurs/{code}/"


def record_communes(
    definition: IndicatorDefinition, figures: dict[str, list[float]], actor: Any = None
) -> None:
    """Record monthly figures from START for communes, as staff do (the aggregate follows)."""
    rows = [
        CleanRow(definition, Scope.objects.get(code=code), month_of(day), Decimal(str(v)))
        for code, values in figures.items()
        for day, v in monthly(START, values).items()
    ]
    record_figures(rows, origin=MeasurementOrigin.MANUAL, provenance="saisie:test", actor=actor)


@pytest.fixture
def aggregated(public_indicator: IndicatorDefinition) -> IndicatorDefinition:
    """Alpha, Bêta and Gamma (10 000, 3 000 and 1 000 people), three months each."""
    record_communes(public_indicator, {ALPHA: [60, 61, 62], BETA: [40, 41, 42], GAMMA: [20, 21, 22]})
    return public_indicator


def test_provenance_in_words_not_codes(client: Client, aggregated: IndicatorDefinition) -> None:
    html = client.get(page(ORG, PUBLIC_CODE)).content.decode()
    assert "Calculé automatiquement : moyenne des 3 communes pondérée par la population" in html
    assert "aggregated:" not in html
    assert "population_weighted_mean" not in html
    commune = client.get(page(ALPHA, PUBLIC_CODE)).content.decode()
    assert "Saisi par un agent" in commune
    assert "saisie:test" not in commune


def test_the_source_agrees_with_the_rows(client: Client, aggregated: IndicatorDefinition) -> None:
    """The page said "Source : saisie manuelle" while every row was an aggregate."""
    html = client.get(page(ORG, PUBLIC_CODE)).content.decode()
    source = html.split("<dt>Source</dt><dd>")[1].split("</dd>")[0]
    assert source == "Calculé automatiquement : moyenne des communes pondérée par la population"
    assert "saisie manuelle" not in source


def test_the_page_says_why_the_baseline_differs_from_the_history(
    client: Client, aggregated: IndicatorDefinition, scope_of: ScopeOf
) -> None:
    org_scope = scope_of(ORG)
    first = Measurement.objects.get(scope=org_scope, is_current=True, period_start=START)
    set_target(
        indicator=aggregated,
        scope=org_scope,
        baseline_value=first.value + Decimal("4.5"),
        baseline_date=date(2024, 10, 31),
        target_value=Decimal(100),
        target_date=date(2030, 12, 31),
    )
    html = client.get(page(ORG, PUBLIC_CODE)).content.decode()
    assert "la mesure enregistrée depuis pour octobre 2024 est de" in html
    # The same baseline as the history: no note.
    set_target(
        indicator=aggregated,
        scope=org_scope,
        baseline_value=first.value,
        baseline_date=date(2024, 10, 31),
        target_value=Decimal(100),
        target_date=date(2030, 12, 31),
    )
    assert "la mesure enregistrée depuis" not in client.get(page(ORG, PUBLIC_CODE)).content.decode()


def test_the_communes_side_by_side(client: Client, aggregated: IndicatorDefinition) -> None:
    html = client.get(page(ORG, PUBLIC_CODE)).content.decode()
    table = html.split("Les communes côte à côte")[1].split("</table>")[0]
    assert (
        '<div class="table-scroll" tabindex="0" role="region"'
        in html.split("Les communes côte à côte")[1][:200]
    )
    for month in ("octobre 2024", "novembre 2024", "décembre 2024"):
        assert f">{month}</th>" in table
    alpha = table.split(">Alpha</th>")[1].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in alpha.split("</td>")[:-1]]
    assert re.fullmatch(r"10\D000", cells[0])
    assert cells[1:] == ["60,0", "61,0", "62,0"]
    assert ">Bêta</th>" in table
    assert ">Gamma</th>" in table
    # A commune's own page has no such table.
    assert "Les communes côte à côte" not in client.get(page(ALPHA, PUBLIC_CODE)).content.decode()


def test_a_commune_without_a_published_figure_shows_a_dash(
    client: Client, public_indicator: IndicatorDefinition
) -> None:
    record_communes(public_indicator, {ALPHA: [60, 61, 62], BETA: [40, 41, 42]})
    table = client.get(page(ORG, PUBLIC_CODE)).content.decode().split("Les communes côte à côte")[1]
    gamma = table.split(">Gamma</th>")[1].split("</tr>")[0]
    assert gamma.count(">—<") == 3
    assert "Calculé automatiquement : moyenne de 2 communes sur 3 pondérée par la population" in table


def test_an_internal_indicator_shows_its_communes_to_members_only(
    client: Client,
    internal_indicator: IndicatorDefinition,
    organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    record_communes(internal_indicator, {ALPHA: [1, 2, 3], BETA: [4, 5, 6], GAMMA: [7, 8, 9]})
    assert client.get(page(ORG, INTERNAL_CODE)).status_code == 404
    client.force_login(make_staff(organisation, Role.AGENT))
    table = client.get(page(ORG, INTERNAL_CODE)).content.decode().split("Les communes côte à côte")[1]
    for name in ("Alpha", "Bêta", "Gamma"):
        assert f">{name}</th>" in table.split("</table>")[0]


def test_commune_figures_leave_out_the_communes_a_member_may_not_see(
    internal_indicator: IndicatorDefinition, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    record_communes(internal_indicator, {ALPHA: [1, 2, 3], BETA: [4, 5, 6]})
    agent = make_staff(organisation, Role.AGENT, commune=Commune.objects.get(insee_code=ALPHA))
    periods = [(p.start, p.end) for p in (month_of(START),)]
    rows = selectors.commune_figures(internal_indicator, organisation, periods, agent)
    assert [(r.name, r.values) for r in rows] == [("Alpha", [Decimal(1)])]


def test_a_recomputation_is_not_shown_as_a_correction(
    client: Client,
    aggregated: IndicatorDefinition,
    organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    # Alpha's October is corrected by a person: the organisation's October is recomputed.
    record_communes(aggregated, {ALPHA: [65]}, actor=make_staff(organisation))
    org_page = client.get(page(ORG, PUBLIC_CODE)).content.decode()
    assert "dont 0 corrigée(s) par une personne et 1 recalculée(s) automatiquement" in org_page
    superseded = org_page.split('<tr class="superseded">')[1].split("</tr>")[0]
    assert "recalculée automatiquement" in superseded
    assert "corrigée par une personne" not in superseded
    commune_page = client.get(page(ALPHA, PUBLIC_CODE)).content.decode()
    assert "dont 1 corrigée(s) par une personne et 0 recalculée(s) automatiquement" in commune_page


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), "2025"),
        (date(2025, 7, 1), date(2025, 9, 30), "T3 2025"),
        (date(2026, 1, 1), date(2026, 1, 31), "janvier 2026"),
        (date(2026, 1, 1), date(2026, 1, 15), "01/01/2026 – 15/01/2026"),
    ],
)
def test_periods_by_name(start: date, end: date, label: str) -> None:
    """A yearly figure read « janvier 2026 »."""
    assert period_label(start, end) == label


def test_the_organisation_page_queries_stay_bounded(
    client: Client,
    aggregated: IndicatorDefinition,
    django_assert_max_num_queries: Any,
) -> None:
    client.get(page(ORG, PUBLIC_CODE))  # warm up
    cache.clear()
    with django_assert_max_num_queries(14):
        assert client.get(page(ORG, PUBLIC_CODE)).status_code == 200
    # Twenty more months and communes' figures: the same bound.
    record_communes(aggregated, {ALPHA: list(range(20)), BETA: list(range(20)), GAMMA: list(range(20))})
    cache.clear()
    with django_assert_max_num_queries(14):
        assert client.get(page(ORG, PUBLIC_CODE)).status_code == 200
