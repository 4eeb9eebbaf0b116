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
from territoire.reports import locate
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

# api key, territory snapshot check (once per request), the transaction's start, report,
# history event, audit record, published-data version, its end: 8 in all (in a test, a
# savepoint and its release).
POST_MAX_QUERIES = 8

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
    _post(client, territory, ALPHA_SUD)  # warm: snapshot built, key's last use recorded
    small = _count_post(client, territory, ALPHA_NORD)
    small_with_jurisdiction = _count_post(client, territory, BETA, jurisdiction_id="99102")
    assert small <= POST_MAX_QUERIES
    assert small_with_jurisdiction <= POST_MAX_QUERIES
    # Forty more zones (Gamma had none): the snapshot is rebuilt once, then costs the same.
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


def test_snapshot_follows_zone_changes(client: Client, territory: Territory) -> None:
    _post(client, territory, ALPHA_SUD)
    before = locate.territory()
    assert locate.territory() is before  # nothing changed: the same snapshot
    # Bêta's zone moves onto Gamma's ground: the old point is now outside the territory.
    zones(territory.beta, ("Bourg", square(46.0, 1.0, 0.01)))
    assert locate.territory() is not before
    response = _post(client, territory, BETA)
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("lat:")


def test_snapshot_is_checked_once_per_request(territory: Territory) -> None:
    """Within a request one check (a query); outside one, or at the next request, again."""
    locate.territory()
    locate._request_started()
    try:
        with CaptureQueriesContext(connection) as ctx:
            first = locate.territory()
            assert locate.territory() is first
        assert len(ctx.captured_queries) == 1
        # The request's own change to the territory clears the snapshot (signals).
        zones(territory.gamma, ("Centre", square(46.0, 3.0, 0.01)))
        assert locate.territory() is not first
        assert any(z.name == "Centre" for z in locate.territory().zones.values())
    finally:
        locate._request_finished()
    with CaptureQueriesContext(connection) as ctx:
        locate.territory()
        locate.territory()
    assert len(ctx.captured_queries) == 2  # outside a request, every call checks
    # A zone written without signals (bulk) is seen from the next request on.
    from territoire.territory.models import Zone

    Zone.objects.bulk_create(
        [Zone(commune=territory.gamma, name="Bulk", code="bulk", geometry=square(46.1, 3.0, 0.01))]
    )
    locate._request_started()
    try:
        assert any(z.name == "Bulk" for z in locate.territory().zones.values())
    finally:
        locate._request_finished()


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
    client.get(f"{BASE}requests.json")  # warm the territory snapshot
    few = {name: _count_get(client, params) for name, params in LISTINGS.items()}
    many_reports(30)
    many = {name: _count_get(client, params) for name, params in LISTINGS.items()}
    for name in LISTINGS:
        assert few[name][0] == many[name][0], name
        assert many[name][0] <= 5, name  # snapshot, [categories], page of ids, rows, photos
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
    client.get(f"{BASE}requests.json")  # warm the territory snapshot
    one, found_one = _count_get(client, {"service_request_id": ids[0]})
    all_, found_all = _count_get(client, {"service_request_id": ",".join(ids)})
    scoped, found_scoped = _count_get(
        client, {"service_request_id": ",".join(ids), "jurisdiction_id": "99102"}
    )
    assert one == all_ == scoped <= 3  # snapshot, rows by public_id, photos
    assert (found_one, found_all) == (1, len(ids))
    assert found_scoped == Report.objects.filter(commune__insee_code="99102").count()


def test_listing_uses_an_ordered_index_without_sort_on_sqlite(
    territory: Territory, many_reports: Callable[[int], None]
) -> None:
    """The page-of-ids queries read an index in the listing's order (no temp B-tree sort)."""
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    from django.test import Client as FreshClient

    many_reports(3)
    client = FreshClient()
    client.get(f"{BASE}requests.json")
    for params in LISTINGS.values():
        if "," in params.get("service_code", ""):
            continue  # the union sorts at most n_categories × page_size rows, by design
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"{BASE}requests.json", params)
        page_query = next(
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith('SELECT "reports_report"."id" AS "id" FROM')
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + page_query)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING INDEX reports_pub_" in plan, (params, plan)
        assert "TEMP B-TREE" not in plan, (params, plan)


def _version() -> Any:
    with connection.cursor() as cursor:
        cursor.execute(locate.FINGERPRINT_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


def test_every_write_to_a_watched_table_bumps_the_snapshot_version(territory: Territory) -> None:
    """Whoever writes: raw SQL, ``update()`` (no signal), a delete; each table, each kind."""
    from territoire.reports.models import Open311ApiKey

    assert set(locate.watched_tables()) == {
        "territory_organisation",
        "territory_commune",
        "territory_zone",
        "reports_servicecategory",
        "reports_serviceattribute",
        "reports_reportstatus",
        "reports_open311apikey",
    }
    for table, columns in locate.watched_tables().items():
        column = columns[0] if columns else "id"  # an UPDATE of a column that counts
        before = _version()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = {column} WHERE id = (SELECT MIN(id) FROM {table})")  # noqa: S608
        assert _version() != before, table
    before = _version()
    zones(territory.gamma, ("Neuve", square(46.0, 3.0, 0.01)))
    assert _version() != before
    before = _version()
    from territoire.territory.models import Zone

    Zone.objects.filter(name="Neuve").delete()
    assert _version() != before
    # A key's use (its last_used_at) is not a change of the snapshot; its revocation is.
    before = _version()
    Open311ApiKey.objects.filter(pk=territory.api_key.pk).update(last_used_at=timezone.now())
    assert _version() == before
    Open311ApiKey.objects.filter(pk=territory.api_key.pk).update(revoked_at=timezone.now())
    assert _version() != before


def test_a_rolled_back_change_restores_the_version_with_the_data(territory: Territory) -> None:
    from django.db import transaction

    before = _version()
    inside: list[Any] = []

    def change_then_fail() -> None:
        with transaction.atomic():
            zones(territory.gamma, ("Éphémère", square(46.0, 3.0, 0.01)))
            inside.append(_version())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert inside[0] != before
    assert _version() == before


@pytest.mark.django_db(transaction=True)
def test_triggers_come_back_after_migrate_and_a_missing_version_starts_anew() -> None:
    """A migration that rebuilds a table on SQLite drops its triggers: ``migrate`` puts them
    back, and bumps the version (the table may have changed meanwhile)."""
    from django.core.management import call_command

    from territoire.core.models import DataVersion
    from territoire.territory.models import Organisation

    Organisation.objects.bulk_create([Organisation(siren="999999981", name="Une", kind="COM", slug="une")])
    first = _version()
    assert first is not None
    assert first > 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute('DROP TRIGGER "tv_reports_territory_territory_organisation_insert"')
        else:
            cursor.execute(
                'DROP TRIGGER "tv_reports_territory_territory_organisation" ON territory_organisation'
            )
    Organisation.objects.bulk_create([Organisation(siren="999999982", name="Deux", kind="COM", slug="deux")])
    assert _version() == first  # unseen: the trigger is gone
    call_command("migrate", verbosity=0)
    assert _version() == first + 1
    Organisation.objects.bulk_create(
        [Organisation(siren="999999983", name="Trois", kind="COM", slug="trois")]
    )
    assert _version() == first + 2
    # A missing version (a flushed database) starts again at a random value at the next write.
    DataVersion.objects.filter(key=locate.SNAPSHOT_VERSION_KEY).delete()
    call_command("migrate", verbosity=0)
    assert _version() is None
    Organisation.objects.filter(slug="trois").delete()
    assert _version() is not None


def _index_columns(table: str) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table).values()
    return sorted(tuple(c["columns"]) for c in constraints if c["index"] and not c["primary_key"])


def test_a_report_event_is_indexed_by_report_only_among_the_columns_it_always_fills() -> None:
    """Every report writes an event: each index on events is a page written per report.

    The history of one report is read by its report index; nothing reads events across
    reports by date (migration 0007 dropped that index). The actor and the previous
    status, empty on a resident's submission, have partial indexes (no entry written).
    """
    columns = _index_columns("reports_reportevent")
    assert ("report_id",) in columns
    assert ("created_at",) not in columns
    assert len(columns) == 4, columns  # report, to_status (a status's deletion), 2 partial
