"""The territory home page: axes, objectives, indicator cards, scopes, cache, weight, queries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from territoire.accounts.testing import StaffClient
from territoire.roadmap.models import Axis, Objective
from territoire.roadmap.template import AXES
from territoire.roadmap.tests.helpers import count_queries, record, target
from territoire.territory.models import Commune, Organisation, Role
from territoire.territory.services import add_commune

pytestmark = pytest.mark.django_db

SIREN = "200000001"
HOME = f"/t/{SIREN}/"
FTTH = "connectivite.foyers_raccordables"
FTTH_NAME = "Taux de foyers raccordables au très haut débit"
INCIDENTS_NAME = "Incidents de sécurité déclarés"  # internal indicator of the template
ALL_CODES = [spec.code for axis in AXES for spec in axis.indicators]


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def card(page: str, name: str) -> str:
    """The HTML of the indicator card titled ``name``."""
    match = re.search(r'<li class="card">(?:(?!</li>).)*?' + re.escape(name) + r".*?</li>", page, re.S)
    assert match, f"no card for {name!r}"
    return match.group(0)


@pytest.fixture
def figures(organisation: Organisation) -> None:
    record(FTTH, SIREN, [70, 71, 72.5])
    target(FTTH, SIREN, baseline=60, goal=100, deadline=date(2099, 12, 31))


# --- Content -----------------------------------------------------------------------------


def test_home_lists_axes_and_objectives(client: Client, organisation: Organisation) -> None:
    page = html(client.get(HOME))
    assert "CC des Essais" in page
    for axis in Axis.objects.filter(organisation=organisation):
        assert f'id="axis-{axis.code}"' in page
        assert axis.name in page
    for objective in Objective.objects.filter(organisation=organisation):
        assert objective.title.replace("'", "&#x27;") in page
    # The axes come in their order.
    positions = [page.index(f'id="axis-{spec.code}"') for spec in AXES]
    assert positions == sorted(positions)


def test_indicator_card_shows_value_target_status_sparkline_and_update(
    client: Client, organisation: Organisation, figures: None
) -> None:
    page = html(client.get(HOME))
    ftth = card(page, FTTH_NAME)
    assert "72,5" in ftth  # French decimal comma
    assert "Cible : 100,0 %" in ftth
    assert re.search(r'<span class="status status-[a-z-]+">', ftth)
    assert "status-no-data" not in ftth
    assert '<svg class="sparkline"' in ftth
    assert "<polyline" in ftth
    assert f'href="/t/{SIREN}/indicateurs/{FTTH}/"' in ftth
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Mis à jour le {today}" in ftth
    assert "Dernière mise à jour" in page


def test_card_without_figures_says_so(client: Client, organisation: Organisation) -> None:
    page = html(client.get(HOME))
    latency = card(page, "Latence moyenne des sites prioritaires")
    assert "Pas encore de mesure." in latency
    assert "<svg" not in latency
    assert "status-no-data" in latency
    assert "Dernière mise à jour" not in page


def test_reached_target_shows_reached(client: Client, organisation: Organisation) -> None:
    record(FTTH, SIREN, [99, 100])
    target(FTTH, SIREN, baseline=60, goal=100, deadline=date(2099, 12, 31))
    assert "status-reached" in card(html(client.get(HOME)), FTTH_NAME)


def test_english_version(client: Client, organisation: Organisation, figures: None) -> None:
    page = html(client.get(f"/en{HOME}"))
    assert '<html lang="en">' in page
    # The indicator's English name (from the catalogue), English decimal point.
    assert "72.5" in card(page, "Share of households with access to very high-speed broadband")
    assert f'href="{HOME}"' in page  # the switch back to French
    assert f'href="/en/t/{SIREN}/indicateurs/{FTTH}/"' in page
    french = html(client.get(HOME))
    assert '<html lang="fr">' in french
    assert f'href="/en{HOME}"' in french


def test_root_shows_the_default_organisation(client: Client, organisation: Organisation) -> None:
    page = html(client.get("/"))
    assert "Feuille de route numérique — CC des Essais" in page


def test_root_without_any_territory(client: Client, db: Any) -> None:
    page = html(client.get("/"))
    assert "import-cog" in page


# --- Scopes ------------------------------------------------------------------------------


def test_home_for_a_commune(client: Client, organisation: Organisation) -> None:
    record(FTTH, "99101", [50, 55.5])
    record(FTTH, "99102", [80, 81.5])
    page = html(client.get("/t/99101/"))
    assert "Feuille de route numérique — Alpha" in page
    assert '<span aria-current="page">Alpha</span>' in page
    assert f'<a href="{HOME}">CC des Essais</a>' in page
    assert '<a href="/t/99102/">Bêta</a>' in page
    ftth = card(page, FTTH_NAME)
    assert "55,5" in ftth
    assert "81,5" not in page  # another commune's figure
    assert 'href="/t/99101/indicateurs/' in ftth
    # The roadmap is the organisation's.
    assert "Connectivité et réseaux" in page


@pytest.mark.parametrize("code", ["999999999", "00000", "99201x", "200000002"])
def test_unknown_scope_is_404(client: Client, organisation: Organisation, code: str) -> None:
    assert client.get(f"/t/{code}/").status_code == 404


def test_commune_outside_any_organisation_is_404(client: Client, organisation: Organisation) -> None:
    Commune.objects.filter(insee_code="99103").update(organisation=None)
    assert client.get("/t/99103/").status_code == 404


# --- Internal indicators -----------------------------------------------------------------


def test_internal_indicators_hidden_from_the_public(client: Client, organisation: Organisation) -> None:
    record("cyber.incidents", SIREN, [3, 2])
    page = html(client.get(HOME))
    assert INCIDENTS_NAME not in page
    assert "cyber.incidents" not in page
    assert INCIDENTS_NAME not in html(client.get("/t/99101/"))


def test_internal_indicators_shown_to_staff_of_the_scope(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    record("cyber.incidents", SIREN, [3, 2])
    client.force_login(make_staff(organisation, Role.RSSI))
    page = html(client.get(HOME))
    incidents = card(page, INCIDENTS_NAME)
    assert "interne" in incidents
    assert "cyber.incidents" in incidents
    assert INCIDENTS_NAME in html(client.get("/t/99102/"))


def test_commune_staff_sees_internal_indicators_of_their_commune_only(
    client: Client, organisation: Organisation, commune: Commune, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation, Role.AGENT, commune=commune))
    assert INCIDENTS_NAME in html(client.get("/t/99101/"))
    assert INCIDENTS_NAME not in html(client.get("/t/99102/"))
    assert INCIDENTS_NAME not in html(client.get(HOME))


def test_staff_of_another_organisation_does_not_see_internal_indicators(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    client.force_login(make_staff(other_organisation, Role.ADMINISTRATEUR))
    assert INCIDENTS_NAME not in html(client.get(HOME))
    assert INCIDENTS_NAME in html(client.get("/t/200000002/"))


def test_staff_view_never_leaks_into_the_cached_public_page(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    staff = StaffClient()  # a verified session: the password alone shows nothing internal
    staff.force_login(make_staff(organisation, Role.RSSI))
    assert INCIDENTS_NAME in html(staff.get(HOME))
    assert INCIDENTS_NAME not in html(client.get(HOME))
    assert INCIDENTS_NAME in html(staff.get(HOME))


# --- Cache -------------------------------------------------------------------------------


def test_cached_public_page_is_invalidated_when_a_figure_changes(
    client: Client, organisation: Organisation, figures: None
) -> None:
    assert "72,5" in card(html(client.get(HOME)), FTTH_NAME)
    with CaptureQueriesContext(connection) as ctx:
        client.get(HOME)
    assert len(ctx.captured_queries) == 1  # served from the cache
    summary = record(FTTH, SIREN, [70, 71, 74.25])  # a correction of the latest month
    assert summary.corrected == 1
    ftth = card(html(client.get(HOME)), FTTH_NAME)
    assert "74,2" in ftth or "74,3" in ftth
    assert "72,5" not in ftth


def test_cached_public_page_is_invalidated_for_a_new_period(
    client: Client, organisation: Organisation, figures: None
) -> None:
    html(client.get("/t/99101/"))
    record(FTTH, "99101", [64.5])
    assert "64,5" in card(html(client.get("/t/99101/")), FTTH_NAME)


def test_cached_public_page_follows_roadmap_edits(client: Client, organisation: Organisation) -> None:
    html(client.get(HOME))
    axis = Axis.objects.get(organisation=organisation, code="inclusion")
    axis.name = "Inclusion et médiation"
    axis.save()
    assert "Inclusion et médiation" in html(client.get(HOME))


# --- Weight and queries ------------------------------------------------------------------


def fill(scope_codes: list[str], codes: list[str], months: int = 24) -> None:
    for scope_code in scope_codes:
        for index, code in enumerate(codes):
            record(code, scope_code, [10 + index + k * 0.5 for k in range(months)])


def test_home_page_weighs_at_most_150_kb(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    for i in range(12):
        add_commune(organisation=organisation, insee_code=f"99{110 + i}", name=f"Commune {i}", population=500)
    fill([SIREN], ALL_CODES)
    for code in ALL_CODES:
        target(code, SIREN, baseline=5, goal=50, deadline=date(2099, 12, 31))
    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))  # internal cards too
    page = client.get(HOME).content
    assert page.count(b'<svg class="sparkline"') == len(ALL_CODES)
    assert len(page) <= 150 * 1024


def test_indicator_page_weighs_at_most_150_kb(client: Client, organisation: Organisation) -> None:
    record(FTTH, SIREN, [50 + k * 0.75 for k in range(36)])
    record(FTTH, SIREN, [50 + k * 0.75 + (1 if k % 3 == 0 else 0) for k in range(36)])  # corrections
    target(FTTH, SIREN, baseline=50, goal=100, deadline=date(2099, 12, 31))
    response = client.get(f"/t/{SIREN}/indicateurs/{FTTH}/")
    assert response.status_code == 200
    assert b"<svg" in response.content
    assert len(response.content) <= 150 * 1024


def home_queries(client: Client, path: str = HOME) -> int:
    cache.clear()

    def get() -> None:
        assert client.get(path).status_code == 200

    return count_queries(get)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "staff"])
def test_home_queries_do_not_grow_with_indicators(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], logged_in: bool
) -> None:
    if logged_in:
        client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))
    fill([SIREN], ALL_CODES[:3], months=4)
    few = home_queries(client)
    fill([SIREN], ALL_CODES[3:15], months=4)
    for code in ALL_CODES[:15]:
        target(code, SIREN, baseline=5, goal=50, deadline=date(2099, 12, 31))
    assert home_queries(client) == few


@pytest.mark.parametrize("path", [HOME, "/t/99101/"])
def test_home_queries_do_not_grow_with_communes(
    client: Client, organisation: Organisation, path: str
) -> None:
    fill([SIREN, "99101"], ALL_CODES[:3], months=4)
    few = home_queries(client, path)
    for i in range(12):
        add_commune(organisation=organisation, insee_code=f"99{110 + i}", name=f"Commune {i}", population=500)
        fill([f"99{110 + i}"], ALL_CODES[:1], months=2)
    page = client.get(path).content.decode()
    assert "Commune 11" in page
    assert home_queries(client, path) == few
