"""The two indicators the roadmap computes: portfolio progress and budget consumed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from territoire.indicators import registry
from territoire.indicators.models import IndicatorDefinition, Measurement, MeasurementOrigin, Source
from territoire.indicators.periods import month_of
from territoire.indicators.services import compute_all
from territoire.roadmap.indicators import budget_consumed, portfolio_progress
from territoire.roadmap.models import ProjectStatus
from territoire.roadmap.tests.helpers import make_project
from territoire.territory.models import Organisation, Scope

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)
PERIOD = month_of(TODAY)


@pytest.fixture
def portfolio(organisation: Organisation) -> None:
    make_project(organisation, "A", cost=Decimal(100_000), spent=Decimal(40_000), progress=50)
    make_project(
        organisation,
        "B",
        cost=Decimal(300_000),
        spent=Decimal(20_000),
        progress=10,
        status=ProjectStatus.SUSPENDED,
    )
    make_project(
        organisation, "C", cost=Decimal(0), spent=Decimal(5_000), progress=100, status=ProjectStatus.DONE
    )
    # Cancelled: left out of both, however large.
    make_project(
        organisation,
        "D",
        cost=Decimal(1_000_000),
        spent=Decimal(900_000),
        progress=0,
        status=ProjectStatus.CANCELLED,
    )


def org_scope(organisation: Organisation) -> Scope:
    return Scope.objects.get(organisation=organisation)


def test_portfolio_progress_is_weighted_by_cost(organisation: Organisation, portfolio: None) -> None:
    # (100 000 × 50 + 300 000 × 10 + 0 × 100) ÷ (100 000 + 300 000) = 20
    assert portfolio_progress(org_scope(organisation), PERIOD) == Decimal(20)


def test_budget_consumed(organisation: Organisation, portfolio: None) -> None:
    # (40 000 + 20 000 + 5 000) × 100 ÷ 400 000 = 16.25
    assert budget_consumed(org_scope(organisation), PERIOD) == Decimal("16.25")


def test_cancelled_projects_change_nothing(organisation: Organisation, portfolio: None) -> None:
    before = (
        portfolio_progress(org_scope(organisation), PERIOD),
        budget_consumed(org_scope(organisation), PERIOD),
    )
    make_project(
        organisation,
        "E",
        cost=Decimal(50_000),
        spent=Decimal(50_000),
        progress=100,
        status=ProjectStatus.CANCELLED,
    )
    after = (
        portfolio_progress(org_scope(organisation), PERIOD),
        budget_consumed(org_scope(organisation), PERIOD),
    )
    assert after == before


def test_simple_mean_when_no_cost_is_known(organisation: Organisation) -> None:
    make_project(organisation, "A", cost=Decimal(0), progress=30)
    make_project(organisation, "B", cost=Decimal(0), progress=60)
    make_project(organisation, "C", cost=Decimal(0), progress=100, status=ProjectStatus.CANCELLED)
    assert portfolio_progress(org_scope(organisation), PERIOD) == Decimal(45)
    assert budget_consumed(org_scope(organisation), PERIOD) is None


def test_no_value_without_projects(organisation: Organisation) -> None:
    make_project(organisation, "Abandonné", cost=Decimal(1000), progress=50, status=ProjectStatus.CANCELLED)
    assert portfolio_progress(org_scope(organisation), PERIOD) is None
    assert budget_consumed(org_scope(organisation), PERIOD) is None


def test_other_organisations_projects_do_not_count(
    organisation: Organisation, other_organisation: Organisation, portfolio: None
) -> None:
    make_project(other_organisation, "X", cost=Decimal(1_000_000), spent=Decimal(1_000_000), progress=100)
    assert portfolio_progress(org_scope(organisation), PERIOD) == Decimal(20)
    assert budget_consumed(org_scope(other_organisation), PERIOD) == Decimal(100)


def test_registered_with_the_spine() -> None:
    registered = registry.registered()
    for code in ("roadmap.portfolio_progress", "roadmap.budget_consumed"):
        spec = registered[code]
        assert spec.module == "roadmap"
        assert spec.snapshot
        assert spec.scopes == "organisation"
        assert spec.unit == "%"
        assert str(spec.method)


def test_compute_all_records_both_for_the_current_period(organisation: Organisation, portfolio: None) -> None:
    compute_all(today=TODAY, periods=3, organisations=[organisation])
    scope = org_scope(organisation)
    values = {
        m.indicator.code: m
        for m in Measurement.objects.filter(
            scope=scope, indicator__code__startswith="roadmap."
        ).select_related("indicator")
    }
    assert set(values) == {"roadmap.portfolio_progress", "roadmap.budget_consumed"}
    progress = values["roadmap.portfolio_progress"]
    assert progress.value == Decimal(20)
    # A snapshot: the current month only, whatever the number of periods asked.
    assert (progress.period_start, progress.period_end) == (PERIOD.start, PERIOD.end)
    assert progress.origin == MeasurementOrigin.COMPUTED
    assert progress.provenance == "computed:roadmap.portfolio_progress@v1"
    assert values["roadmap.budget_consumed"].value == Decimal("16.25")
    definition = IndicatorDefinition.objects.get(code="roadmap.portfolio_progress")
    assert definition.source == Source.COMPUTED
    assert definition.module == "roadmap"


def test_compute_all_is_idempotent_and_corrects_on_change(
    organisation: Organisation, portfolio: None
) -> None:
    compute_all(today=TODAY, organisations=[organisation])
    again = compute_all(today=TODAY, organisations=[organisation])
    assert again.stored.written == 0
    project = organisation.projects.get(title="A")
    project.progress = 90
    project.save()
    compute_all(today=TODAY, organisations=[organisation])
    history = Measurement.objects.filter(
        scope=org_scope(organisation), indicator__code="roadmap.portfolio_progress"
    ).order_by("version")
    # (100 000 × 90 + 300 000 × 10) ÷ 400 000 = 30; the former 20 stays in the history.
    assert [(m.value, m.is_current) for m in history] == [(Decimal(20), False), (Decimal(30), True)]
