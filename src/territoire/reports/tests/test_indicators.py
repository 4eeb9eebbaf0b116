"""The reports indicators, against values computed by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from territoire.indicators.periods import Period
from territoire.indicators.registry import registered
from territoire.reports import indicators, selectors, services
from territoire.reports.models import Report, Round
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, BETA, Territory
from territoire.territory.models import Scope

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=PARIS)


@pytest.fixture
def march(territory: Territory, make_report: Callable[..., Report], make_staff: Any) -> dict[str, Scope]:
    """Alpha: 5 potholes closed after 1, 2, 3, 4 and 10 days (SLA 7) + 1 street light; Bêta: 1 light.

    Left out: a February report, a hidden one, a duplicate.
    """
    staff = make_staff(territory.organisation)
    for delay in (1, 2, 3, 4, 10):
        report = make_report(ALPHA_SUD, requested_at=at(1))
        services.change_status(
            report, "resolu", actor=staff, answer="Fait.", at=at(1) + timedelta(days=delay)
        )
    make_report(ALPHA_NORD, service_code="eclairage", requested_at=at(20))
    make_report(BETA, service_code="eclairage", requested_at=at(2))
    make_report(ALPHA_SUD, requested_at=at(27, month=2))
    services.hide_report(make_report(ALPHA_SUD, requested_at=at(5)), "Injurieux", actor=staff)
    duplicate = make_report(ALPHA_SUD, requested_at=at(6))
    target = make_report(ALPHA_NORD, service_code="eclairage", requested_at=at(20, 11))
    Report.objects.filter(pk=target.pk).update(hidden=True)  # keep the figures above simple
    services.merge_duplicate(duplicate, target, actor=staff)
    return {
        "alpha": Scope.objects.get(code="99101"),
        "beta": Scope.objects.get(code="99102"),
        "gamma": Scope.objects.get(code="99103"),
        "org": Scope.objects.get(code="200000001"),
    }


def test_registered_with_method_text() -> None:
    codes = {
        "reports.per_1000_inhabitants",
        "reports.median_processing_days",
        "reports.closed_within_sla",
        "reports.top_irritant_share",
        "reports.round_distance_saved",
    }
    specs = registered()
    assert codes <= set(specs)
    assert all(len(str(specs[c].method)) > 60 for c in codes)


def test_reports_per_1000_inhabitants(march: dict[str, Scope]) -> None:
    assert indicators.per_1000_inhabitants(march["alpha"], MARCH) == Decimal("0.60")  # 6 / 10,000
    assert indicators.per_1000_inhabitants(march["beta"], MARCH) == Decimal("0.33")  # 1 / 3,000
    assert indicators.per_1000_inhabitants(march["gamma"], MARCH) == Decimal("0.00")
    assert indicators.per_1000_inhabitants(march["org"], MARCH) == Decimal("0.50")  # 7 / 14,000


def test_median_processing_days(march: dict[str, Scope]) -> None:
    assert indicators.median_processing_days(march["alpha"], MARCH) == Decimal("3.0")
    assert indicators.median_processing_days(march["org"], MARCH) == Decimal("3.0")
    assert indicators.median_processing_days(march["beta"], MARCH) is None  # fewer than 5 closed


def test_closed_within_sla(march: dict[str, Scope]) -> None:
    assert indicators.closed_within_sla(march["alpha"], MARCH) == Decimal("80.0")  # 4 of 5 within 7 days
    assert indicators.closed_within_sla(march["beta"], MARCH) is None


def test_top_irritant_share(march: dict[str, Scope]) -> None:
    assert indicators.top_irritant_share(march["alpha"], MARCH) == Decimal("83.3")  # 5 of 6
    assert indicators.top_irritant_share(march["org"], MARCH) == Decimal("71.4")  # 5 of 7
    assert indicators.top_irritant_share(march["beta"], MARCH) is None


def test_per_category_delays_and_irritants_by_zone(march: dict[str, Scope], territory: Territory) -> None:
    start, end = at(1, 0), at(1, 0, month=4)
    delays = {d.service_code: d for d in selectors.processing_delays([territory.alpha.pk], start, end)}
    assert delays["voirie"].closed == 5
    assert delays["voirie"].median_days == 3
    assert delays["voirie"].within_sla_percent == 80
    zones = selectors.recurring_irritants([territory.alpha.pk, territory.beta.pk], start, end, min_count=5)
    by_zone = {z.zone: z for z in zones}
    assert by_zone["Sud"].top == [("Nid-de-poule", 5, 100.0)]
    assert by_zone["Nord"].suppressed
    assert by_zone["Nord"].top == []
    assert by_zone["Bourg"].suppressed


def test_round_distance_saved(territory: Territory) -> None:
    def plan(day: int, planned: float, baseline: float) -> None:
        Round.objects.create(
            crew=territory.crew,
            date=date(2026, 3, day),
            shift_minutes=420,
            distance_m=planned,
            baseline_distance_m=baseline,
        )

    org = Scope.objects.get(code="200000001")
    assert indicators.round_distance_saved(org, MARCH) is None
    plan(10, 1000, 1200)
    plan(10, 900, 1000)  # replanned the same day: the latest plan counts
    plan(11, 500, 1000)
    Round.objects.create(
        crew=territory.crew, date=date(2026, 4, 1), shift_minutes=420, distance_m=1, baseline_distance_m=1000
    )
    assert indicators.round_distance_saved(org, MARCH) == Decimal("30.0")  # 1 − 1,400 / 2,000
