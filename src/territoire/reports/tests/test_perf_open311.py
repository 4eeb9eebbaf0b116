"""Query counts of the Open311 server (not timings): a POST costs a small, fixed number of
queries whatever the number of communes and zones; a GET requests costs the same number of
queries whatever the number of rows and photos, for every kind of filter; an id lookup too.

The benchmark (``bench/open311.py``) measures the time; these tests keep the shape.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from territoire.core.uploads import sanitise_image
from territoire.reports.models import Report
from territoire.reports.tests.conftest import (
    ALPHA_NORD,
    ALPHA_SUD,
    BETA,
    Territory,
    jpeg_bytes,
    square,
    zones,
)
from territoire.reports.tests.open311_client import BASE

pytestmark = [pytest.mark.django_db, pytest.mark.urls("territoire.reports.tests.urls_open311")]

# Reads: the key, the jurisdiction (when given), the commune of the point with its zone,
# the zones' cache version, the category with its attributes, the initial status. Writes:
# the transaction's start, the reference (the year's counter incremented, then read),
# report, history event, audit record, reports' data version, its end (in a test, a
# savepoint and its release). Sixteen at most.
POST_MAX_QUERIES = 16

_address = iter(range(1, 10_000))


def _post(client: Client, territory: Territory, point: tuple[float, float], **extra: Any) -> Any:
    # A different client address each time: the public_write rate limit is not under test.
    n = next(_address)
    return client.post(
        f"{BASE}requests.json",
        {
            "api_key": territory.raw_key,
            "service_code": "voirie",
            "lat": str(point[0]),
            "long": str(point[1]),
            "attribute[taille]": "petit",
            "description": "Un trou",
            **extra,
        },
        REMOTE_ADDR=f"10.9.{n // 250}.{n % 250 + 1}",
    )


def _count_post(client: Client, territory: Territory, point: tuple[float, float], **extra: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = _post(client, territory, point, **extra)
    assert response.status_code == 200, response.content
    count = len(ctx.captured_queries)
    assert count <= POST_MAX_QUERIES, "\n".join(q["sql"][:120] for q in ctx.captured_queries)
    return count


def test_post_costs_a_few_queries_whatever_the_territory(client: Client, territory: Territory) -> None:
    _post(client, territory, ALPHA_SUD)  # warm: zones indexed, key's last use recorded
    small = _count_post(client, territory, ALPHA_NORD)
    small_with_jurisdiction = _count_post(client, territory, BETA, jurisdiction_id="99102")
    assert small <= POST_MAX_QUERIES
    assert small_with_jurisdiction <= POST_MAX_QUERIES
    # Forty more zones (Gamma had none): the zones are indexed again once, then cost the same.
    zones(territory.gamma, *[(f"Z{i}", square(46.0 + i * 0.01, 3.0, 0.005)) for i in range(40)])
    _post(client, territory, ALPHA_SUD)
    assert _count_post(client, territory, ALPHA_NORD) == small
    assert _count_post(client, territory, BETA, jurisdiction_id="99102") == small_with_jurisdiction
    # And the point-in-polygon still finds the new zones.
    report = Report.objects.get(
        public_id=_post(client, territory, (46.2012, 3.002)).json()[0]["service_request_id"]
    )
    assert report.commune == territory.gamma
    assert report.zone is not None
    assert report.zone.name == "Z20"


@pytest.fixture
def many_reports(territory: Territory, make_report: Callable[..., Report]) -> Callable[[int], None]:
    """Add ``n`` reports over both communes, both states and two categories, half with a photo."""

    def add(n: int) -> None:
        now = timezone.now()
        for i in range(n):
            point = (ALPHA_SUD, ALPHA_NORD, BETA)[i % 3]
            photo = sanitise_image(io.BytesIO(jpeg_bytes())) if i % 2 else None
            report = make_report(
                point,
                service_code="voirie" if i % 4 else "eclairage",
                requested_at=now - timedelta(days=i % 30, minutes=i),
                photo=photo,
            )
            if i % 3 == 0:
                Report.objects.filter(pk=report.pk).update(is_open=False, closed_at=now)

    return add


LISTINGS = {
    "default": {},
    "organisation": {"jurisdiction_id": "200000001"},
    "commune": {"jurisdiction_id": "99101"},
    "status": {"status": "open"},
    "status_closed_commune": {"status": "closed", "jurisdiction_id": "99101"},
    "service_code": {"service_code": "voirie"},
    "service_codes": {"service_code": "voirie,eclairage", "status": "open"},
    "service_code_commune": {"service_code": "voirie", "jurisdiction_id": "99101", "status": "closed"},
    "dates": {
        "start_date": (timezone.now() - timedelta(days=20)).isoformat(),
        "end_date": timezone.now().isoformat(),
    },
    "paging": {"page": "2", "page_size": "5"},
}


def _count_get(client: Client, params: dict[str, str]) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{BASE}requests.json", params)
    assert response.status_code == 200, response.content
    count = len(ctx.captured_queries)
    assert count <= POST_MAX_QUERIES, "\n".join(q["sql"][:120] for q in ctx.captured_queries)
    return count, len(response.json())


def test_listing_query_count_is_constant_for_every_filter(
    client: Client, many_reports: Callable[[int], None]
) -> None:
    many_reports(6)
    few = {name: _count_get(client, params) for name, params in LISTINGS.items()}
    many_reports(30)
    many = {name: _count_get(client, params) for name, params in LISTINGS.items()}
    for name in LISTINGS:
        assert few[name][0] == many[name][0], name
        assert many[name][0] <= 5, name  # jurisdiction, [categories], page of ids, rows, photos
        assert many[name][1] >= few[name][1], name
    assert many["paging"][1] == 5
    assert many["commune"][1] > few["commune"][1]


def test_listing_order_and_paging_match_the_index_order(
    client: Client, many_reports: Callable[[int], None]
) -> None:
    many_reports(24)
    expected = list(
        Report.objects.filter(hidden=False)
        .order_by("-requested_at", "-id")
        .values_list("public_id", flat=True)
    )
    pages = []
    for page in (1, 2, 3, 4):
        response = client.get(f"{BASE}requests.json", {"page": str(page), "page_size": "7"})
        pages += [row["service_request_id"] for row in response.json()]
    assert pages == [str(p) for p in expected]
    # Several categories (merged from one LIMIT per category) keep the same order.
    merged = client.get(
        f"{BASE}requests.json", {"service_code": "voirie,eclairage", "page": "2", "page_size": "5"}
    ).json()
    assert [row["service_request_id"] for row in merged] == [str(p) for p in expected[5:10]]


def test_id_lookup_query_count_is_constant(client: Client, many_reports: Callable[[int], None]) -> None:
    many_reports(30)
    ids = [str(p) for p in Report.objects.values_list("public_id", flat=True)]
    one, found_one = _count_get(client, {"service_request_id": ids[0]})
    all_, found_all = _count_get(client, {"service_request_id": ",".join(ids)})
    scoped, found_scoped = _count_get(
        client, {"service_request_id": ",".join(ids), "jurisdiction_id": "99102"}
    )
    assert one == all_ <= 4  # the organisation, rows by public_id, photos
    assert scoped <= 4  # the commune, rows by public_id, photos
    assert (found_one, found_all) == (1, len(ids))
    assert found_scoped == Report.objects.filter(commune__insee_code="99102").count()
