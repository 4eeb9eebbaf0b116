"""Query counts of the reports module's lists: the same for N rows and for 2N.

Crew rounds (the rounds page, a round's sheet and its trace), a report's file and public
page (history), statistics, zone outlines and Open311's lists are requested once with N
rows and once with 2N and must run the same number of queries: a query per row (an
N + 1) shows up as a difference. The cache is emptied before each measure, so both are
misses, and each measure follows a first request, so one-time look-ups are not counted.
The triage queue and the public list have theirs in ``test_staff_reports`` and
``test_web_reports``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from territoire.reports import services
from territoire.reports.models import Crew, Report, Round, RoundStop, ServiceCategory
from territoire.reports.services import AttributeSpec
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, BETA, Territory, square, zones
from territoire.territory.models import Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"
POINTS = [ALPHA_SUD, ALPHA_NORD, BETA]


def queries(client: Client, url: str) -> list[str]:
    """The SQL of one GET of ``url`` (a cache miss, after a first request), answered 200."""
    cache.clear()
    assert client.get(url).status_code == 200, url
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


def measure_twice(client: Client, url: str, add_rows: Callable[[int], object], n: int) -> None:
    """Build ``n`` rows, measure; build ``n`` more, measure again: the counts are equal."""
    add_rows(n)
    small = queries(client, url)
    add_rows(n)
    large = queries(client, url)
    assert len(large) == len(small), "\n".join(["queries at N:", *small, "", "queries at 2N:", *large])


@pytest.fixture
def agent(territory: Territory, make_staff: Callable[..., Any], client: Client) -> Any:
    user = make_staff(territory.organisation, role=Role.AGENT)
    client.force_login(user)
    return user


def add_crews(territory: Territory, n: int) -> list[Crew]:
    start = Crew.objects.count()
    return [
        services.save_crew(
            organisation=territory.organisation,
            name=f"Équipe {start + i}",
            depot_lat=47.0,
            depot_lon=2.0,
            categories=[territory.voirie],
        )
        for i in range(n)
    ]


def add_rounds(crews: list[Crew], n: int) -> None:
    start = Round.objects.count()
    for i in range(n):
        Round.objects.create(
            crew=crews[i % len(crews)],
            date=dt.date(2026, 5, 1) + dt.timedelta(days=start + i),
            shift_minutes=420,
            distance_m=1000,
            baseline_distance_m=1200,
        )


def add_stops(planned: Round, make_report: Callable[..., Report], n: int) -> None:
    start = planned.stops.count()
    for i in range(n):
        report = make_report(POINTS[i % 3], description=f"Arrêt {start + i}")
        RoundStop.objects.create(round=planned, report=report, position=start + i + 1, service_minutes=30)
    # One left over, each time, as the planner may leave.
    RoundStop.objects.create(round=planned, report=make_report(BETA), left_over=True)


# --------------------------------------------------------------------------- rounds


def test_rounds_page(client: Client, territory: Territory, agent: Any) -> None:
    def add(n: int) -> None:
        add_rounds([territory.crew, *add_crews(territory, n)], n)

    measure_twice(client, reverse("reports-rounds", args=[SIREN]), add, 4)


@pytest.mark.parametrize("name", ["reports-round", "reports-round-geojson"])
def test_round_sheet_and_trace(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any, name: str
) -> None:
    # No stored trace: the trace is drawn from the stops, the case that reads them all.
    planned = Round.objects.create(
        crew=territory.crew,
        date=dt.date(2026, 5, 4),
        shift_minutes=420,
        distance_m=1000,
        baseline_distance_m=1200,
    )
    url = reverse(name, args=[SIREN, planned.public_id])
    measure_twice(client, url, lambda n: add_stops(planned, make_report, n), 4)


# --------------------------------------------------------------------------- a report's history


def add_messages(report: Report, actor: Any, n: int) -> None:
    for i in range(n):
        services.add_answer(report, f"Réponse {i}", actor=actor, notify=False)
        services.add_answer(report, f"Note {i}", actor=actor, public=False, notify=False)


def test_report_file_for_staff(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report()
    url = reverse("reports-manage", args=[SIREN, report.public_id])
    measure_twice(client, url, lambda n: add_messages(report, agent, n), 3)


def test_public_report_page(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report()
    url = reverse("reports-detail", args=[SIREN, report.public_id])
    # Measured for a visitor (``client`` is the agent who writes the answers).
    measure_twice(Client(), url, lambda n: add_messages(report, agent, n), 3)


# --------------------------------------------------------------------------- figures and maps


def test_statistics_page(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    actor = make_staff(territory.organisation, role=Role.AGENT)

    def add(n: int) -> None:
        for i in range(n):
            report = make_report(POINTS[i % 3], service_code=("voirie", "eclairage")[i % 2])
            if i % 2:
                services.change_status(report, "resolu", actor=actor, answer="Fait.")

    measure_twice(client, reverse("reports-stats", args=[SIREN]), add, 6)


def test_zone_outlines(client: Client, territory: Territory) -> None:
    added = {"n": 0}

    def add(n: int) -> None:
        # Gamma's zones, replaced as a whole by each import: n, then 2n.
        added["n"] += n
        zones(
            territory.gamma,
            *((f"Zone {i}", square(46.9 - 0.02 * i, 2.04, 0.01)) for i in range(added["n"])),
        )

    measure_twice(client, reverse("reports-zones", args=[SIREN]), add, 3)


# --------------------------------------------------------------------------- Open311


def test_open311_service_list(client: Client, territory: Territory) -> None:
    def add(n: int) -> None:
        start = ServiceCategory.objects.filter(organisation=territory.organisation).count()
        for i in range(n):
            services.save_category(
                organisation=territory.organisation,
                service_code=f"cat{start + i}",
                name=f"Catégorie {start + i}",
                attributes=[AttributeSpec("note", "Précisions", "text")],
                position=10 + start + i,
            )

    for fmt in ("json", "xml"):
        measure_twice(client, f"/open311/v2/services.{fmt}", add, 3)


def test_open311_request_list(
    client: Client, territory: Territory, make_report: Callable[..., Report]
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            make_report(POINTS[i % 3], service_code=("voirie", "eclairage")[i % 2])

    for fmt in ("json", "xml"):
        measure_twice(client, f"/open311/v2/requests.{fmt}", add, 4)
