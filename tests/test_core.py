"""Cross-cutting pieces: SVG charts, the data-version cache, headers, health checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from territoire.core import charts
from territoire.core.models import AuditEvent


def test_charts_escape_labels() -> None:
    svg = charts.line_chart(
        [charts.Point(date(2025, 1, 31), 1.0), charts.Point(date(2025, 2, 28), 2.0)],
        title="<script>alert(1)</script>",
        description="a & b",
        unit="%",
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "a &amp; b" in svg
    matrix = charts.priority_matrix(
        [charts.MatrixItem('<img src=x onerror="1">', 5, 1, 1)],
        title="t",
        description="d",
        x_label="x",
        y_label="y",
        quadrant_labels=["a", "b", "c", "d"],
    )
    assert "<img" not in matrix


def test_sparkline_needs_two_points() -> None:
    assert charts.sparkline([1.0]) == ""
    assert "polyline" in charts.sparkline([1.0, 2.0, 1.5])


def test_line_chart_plots_every_point_and_the_target() -> None:
    points = [charts.Point(date(2025, m, 1), float(m)) for m in range(1, 13)]
    svg = charts.line_chart(points, title="t", description="d", target=charts.Point(date(2026, 1, 1), 20.0))
    assert svg.count('r="2.5"') == 12
    assert "stroke-dasharray" in svg


@pytest.mark.django_db
def test_security_headers_on_public_pages(client: Client) -> None:
    response = client.get("/healthz/live")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/login/", "/admin/"])
def test_the_admin_is_served_under_the_same_csp(client: Client, url: str) -> None:
    # The README promises the CSP everywhere; /admin/ used to be left out.
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


@pytest.mark.django_db
def test_health_checks(client: Client) -> None:
    assert client.get("/healthz/live").content == b"ok"
    assert client.get("/healthz/ready").json() == {"status": "ok"}


@pytest.mark.django_db
def test_audit_events_are_append_only(organisation: Any) -> None:
    event = AuditEvent.objects.filter(action="roadmap.apply_template").first()
    assert event is not None
    event.action = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


@pytest.mark.django_db
def test_scheduler_registers_the_indicator_computation() -> None:
    from territoire.core.scheduler import jobs

    registered = jobs()
    assert "indicators.compute" in registered
    assert registered["indicators.compute"].every_minutes() == 60


@pytest.mark.django_db
def test_public_page_cache_hits_cost_one_query(
    client: Client, organisation: Any, django_assert_num_queries: Any
) -> None:
    from territoire.indicators.models import IndicatorDefinition
    from territoire.indicators.periods import month_of
    from territoire.indicators.services import CleanRow, store_rows
    from territoire.territory.models import Scope

    url = "/t/200000001/"
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(1):
        again = client.get(url)
    assert again.content == first.content
    # A new figure bumps the data version: the next view shows it.
    definition = IndicatorDefinition.objects.get(code="services.taux_usage")
    scope = Scope.objects.get(code="200000001")
    store_rows(
        [CleanRow(definition, scope, month_of(date(2026, 1, 1)), Decimal("77.7"))],
        origin="manual",
        provenance="test",
    )
    assert "77,7" in client.get(url).content.decode()


@pytest.mark.django_db
def test_public_page_cache_never_keeps_errors_nor_serves_staff(
    client: Client, organisation: Any, make_staff: Any
) -> None:
    assert client.get("/t/99999/").status_code == 404
    assert client.get("/t/99999/").status_code == 404
    anonymous = client.get("/t/200000001/").content.decode()
    assert "/t/200000001/risques/" not in anonymous
    client.force_login(make_staff(organisation))
    assert "/t/200000001/risques/" in client.get("/t/200000001/").content.decode()


@pytest.mark.django_db
def test_anonymous_api_reads_are_cached_until_a_figure_changes(
    client: Client, organisation: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from territoire.indicators.models import IndicatorDefinition
    from territoire.indicators.periods import month_of
    from territoire.indicators.services import CleanRow, store_rows
    from territoire.territory.models import Scope

    url = "/api/v1/measurements?organisation=200000001"
    assert client.get(url).json()["count"] == 0
    with django_assert_num_queries(1):
        assert client.get(url).json()["count"] == 0
    definition = IndicatorDefinition.objects.get(code="services.taux_usage")
    store_rows(
        [CleanRow(definition, Scope.objects.get(code="99101"), month_of(date(2026, 1, 1)), Decimal(5))],
        origin="manual",
        provenance="test",
    )
    assert client.get(url).json()["count"] == 1
    # A token's reads are never served from the anonymous cache.
    token = make_token(organisation, write=False)
    internal = IndicatorDefinition.objects.get(code="cyber.incidents")
    store_rows(
        [CleanRow(internal, Scope.objects.get(code="99101"), month_of(date(2026, 1, 1)), Decimal(2))],
        origin="manual",
        provenance="test",
    )
    assert client.get(url).json()["count"] == 1
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()["count"] == 2
