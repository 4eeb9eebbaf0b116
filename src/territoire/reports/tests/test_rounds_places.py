"""Crew rounds and places: a commune's round holds that commune's reports only, every
assigned report is either a stop or left over with its true reason (a report without a
point is placed from its BAN address or listed as "non placé"), and stops show their
address and the distance from the previous stop in km."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from territoire.reports import services
from territoire.reports.models import LeftOverReason, Report, Round
from territoire.reports.tests.ban import ECOLES_14, ban
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, BETA, Territory
from territoire.territory.models import Role

pytestmark = pytest.mark.django_db
__all__ = ["ban"]

ORG_ROUNDS = "/t/200000001/signalements/gestion/tournees/"
ALPHA_ROUNDS = "/t/99101/signalements/gestion/tournees/"
BETA_ROUNDS = "/t/99102/signalements/gestion/tournees/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def boss(territory: Territory, make_staff: Callable[..., Any]) -> Any:
    return make_staff(territory.organisation, role=Role.CHEF_PROJET)


@pytest.fixture
def alpha_agent(territory: Territory, make_staff: Callable[..., Any]) -> Any:
    return make_staff(territory.organisation, role=Role.AGENT, commune=territory.alpha)


def short_crew(territory: Territory) -> Any:
    # 40 minutes: one 30-minute report at most fits; the others are left over.
    return services.save_crew(
        organisation=territory.organisation,
        name="Équipe courte",
        depot_lat=47.0,
        depot_lon=2.0,
        shift_minutes=40,
    )


def assign(reports: list[Report], crew: Any, actor: Any) -> None:
    for report in reports:
        services.assign_crew(report, crew, actor=actor)


def plan(client: Client, url: str, crew: Any) -> Any:
    response = client.post(url, {"crew": str(crew.pk), "date": "2026-05-04"})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


def test_a_communes_round_never_shows_another_communes_reports(
    client: Client, territory: Territory, make_report: Callable[..., Report], boss: Any, alpha_agent: Any
) -> None:
    crew = short_crew(territory)
    alpha = [
        make_report(ALPHA_SUD, description="Trou Alpha sud"),
        make_report(ALPHA_NORD, description="Trou Alpha nord"),
    ]
    beta = make_report(BETA, description="Trou Bêta")
    assign([*alpha, beta], crew, boss)
    client.force_login(alpha_agent)
    sheet = plan(client, ALPHA_ROUNDS, crew)
    html = sheet.content.decode()
    planned = Round.objects.get()
    assert planned.commune == territory.alpha
    assert str(beta.public_id) not in html
    assert "Bêta" not in html
    assert {s.report_id for s in planned.stops.all()} == {r.pk for r in alpha}
    # Every link on the sheet answers (no 404 for the agent).
    for link in set(re.findall(r'href="(/t/[^"]+/gestion/[0-9a-f-]{36}/)"', html)):
        assert client.get(link).status_code == 200, link
    # The one left over is Alpha's and did not fit: the reason given is true.
    left = planned.stops.get(left_over=True)
    assert left.reason == LeftOverReason.SHIFT
    assert "ne tient pas dans la journée" in html


def test_at_the_organisations_page_a_commune_agent_plans_over_their_commune(
    client: Client, territory: Territory, make_report: Callable[..., Report], boss: Any, alpha_agent: Any
) -> None:
    assign([make_report(ALPHA_SUD), make_report(BETA, description="Trou Bêta")], territory.crew, boss)
    client.force_login(alpha_agent)
    html = plan(client, ORG_ROUNDS, territory.crew).content.decode()
    planned = Round.objects.get()
    assert planned.commune == territory.alpha
    assert planned.stops.count() == 1
    assert "Trou Bêta" not in html


def test_an_organisation_round_is_not_shown_to_a_commune_agent(
    client: Client, territory: Territory, make_report: Callable[..., Report], boss: Any, alpha_agent: Any
) -> None:
    assign([make_report(ALPHA_SUD), make_report(BETA, description="Trou Bêta")], territory.crew, boss)
    client.force_login(boss)
    sheet = plan(client, ORG_ROUNDS, territory.crew)
    assert "Trou Bêta" in sheet.content.decode()
    planned = Round.objects.get()
    assert planned.commune is None
    client.force_login(alpha_agent)
    for url in (
        f"{ORG_ROUNDS}{planned.public_id}/",
        f"{ALPHA_ROUNDS}{planned.public_id}/",
        f"{ORG_ROUNDS}{planned.public_id}/trace.geojson",
    ):
        assert client.get(url).status_code == 404, url
    assert str(planned.public_id) not in client.get(ORG_ROUNDS).content.decode()
    assert str(planned.public_id) not in client.get(ALPHA_ROUNDS).content.decode()
    # A commune's round shows at that commune's pages, not at another's.
    client.force_login(boss)
    plan(client, BETA_ROUNDS, territory.crew)
    beta_round = Round.objects.get(commune=territory.beta)
    assert client.get(f"{BETA_ROUNDS}{beta_round.public_id}/").status_code == 200
    assert client.get(f"{ALPHA_ROUNDS}{beta_round.public_id}/").status_code == 404


def test_a_report_without_a_point_is_placed_from_the_ban_or_listed_not_placed(
    client: Client, ban: Territory, make_report: Callable[..., Report], boss: Any
) -> None:
    placed = make_report(ALPHA_SUD, description="Avec repère")
    by_address = make_report(ALPHA_SUD, description="Par adresse")
    lost = make_report(ALPHA_SUD, description="Introuvable")
    # As Open311 batch reports or older reports may be: an address, no point.
    Report.objects.filter(pk=by_address.pk).update(lat=None, lon=None, address_string="14 rue des Écoles")
    Report.objects.filter(pk=lost.pk).update(lat=None, lon=None, address_string="derrière le gymnase")
    assign([placed, by_address, lost], ban.crew, boss)
    client.force_login(boss)
    html = plan(client, ORG_ROUNDS, ban.crew).content.decode()
    planned = Round.objects.get()
    stops = {s.report_id: s for s in planned.stops.all()}
    assert set(stops) == {placed.pk, by_address.pk, lost.pk}  # none dropped
    assert stops[by_address.pk].left_over is False
    by_address.refresh_from_db()
    assert (by_address.lat, by_address.lon, by_address.address_id) == (47.0052, 2.0052, ECOLES_14)
    assert stops[lost.pk].left_over is True
    assert stops[lost.pk].reason == LeftOverReason.NOT_PLACED
    assert "non placé" in html
    assert "derrière le gymnase" in html
    assert "ne tient pas dans la journée" not in html


def test_stops_show_addresses_and_distances_in_km(
    client: Client, territory: Territory, make_report: Callable[..., Report], boss: Any
) -> None:
    reports = [
        make_report(ALPHA_SUD, address_string="2 rue Haute"),
        make_report(ALPHA_NORD, address_string="5 place de l'Église"),
    ]
    assign(reports, territory.crew, boss)
    client.force_login(boss)
    html = plan(client, ORG_ROUNDS, territory.crew).content.decode()
    planned = Round.objects.get()
    assert "2 rue Haute" in html
    assert "5 place de l&#x27;Église" in html
    legs = [s.leg_m for s in planned.stops.filter(left_over=False).order_by("position")]
    assert all(leg is not None and leg > 0 for leg in legs)
    cells = re.findall(r'class="num stop-leg">([^<]+)</td>', html)
    assert cells == [f"{leg / 1000:.1f}".replace(".", ",") for leg in legs if leg is not None]
    back = re.search(r'id="return-leg">([^<]+)<', html)
    assert back is not None
    total = sum(leg for leg in legs if leg is not None)
    assert back.group(1) == f"{(planned.distance_m - total) / 1000:.1f}".replace(".", ",")
