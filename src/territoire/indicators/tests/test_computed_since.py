"""A computed indicator has no figure before its module had data: yearly zeros back to
2015 read as ten years of inaction (``Manifest.data_since``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from territoire.indicators.models import Measurement
from territoire.indicators.services import compute_all
from territoire.participation.models import Consultation
from territoire.territory.models import Organisation

CODE = "participation.consultations_per_year"
TODAY = dt.date(2026, 6, 15)


def years(organisation: Organisation) -> list[int]:
    return sorted(
        {
            m.period_start.year
            for m in Measurement.objects.filter(indicator__code=CODE, scope__organisation=organisation)
        }
    )


def test_no_figure_before_the_module_had_data(organisation: Organisation) -> None:
    compute_all(today=TODAY, periods=12, organisations=[organisation], modules=["participation"])
    assert years(organisation) == []
    opens = dt.datetime(2024, 3, 1, 9, tzinfo=timezone.get_current_timezone())
    Consultation.objects.create(
        organisation=organisation,
        title="Avenir du centre-bourg",
        opens_at=opens,
        closes_at=opens + dt.timedelta(days=20),
        published_at=opens,
    )
    summary = compute_all(today=TODAY, periods=12, organisations=[organisation], modules=["participation"])
    assert years(organisation) == [2024, 2025, 2026]
    assert summary.skipped > 0
    figures = dict(
        Measurement.objects.filter(indicator__code=CODE, scope__organisation=organisation).values_list(
            "period_start__year", "value"
        )
    )
    assert figures == {2024: 1, 2025: 0, 2026: 0}


@pytest.mark.parametrize("label", ["participation", "reports"])
def test_the_modules_declare_when_their_data_begin(label: str) -> None:
    from territoire.core import modules

    assert modules.data_since(label) is not None
