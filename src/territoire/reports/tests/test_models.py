"""Invariants held by the database (constraints), whatever the code path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from territoire.reports.models import Report, ReportEvent, ReportStatus, Round, RoundStop, Support
from territoire.reports.tests.conftest import Territory

pytestmark = pytest.mark.django_db


def refused(action: Callable[[], Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def test_coordinates_in_range(make_report: Callable[..., Report]) -> None:
    report = make_report()
    refused(lambda: Report.objects.filter(pk=report.pk).update(lat=95))
    refused(lambda: Report.objects.filter(pk=report.pk).update(lon=None))  # both or neither
    Report.objects.filter(pk=report.pk).update(lat=None, lon=None)


def test_one_initial_and_one_duplicate_status(territory: Territory) -> None:
    org = territory.organisation
    refused(
        lambda: ReportStatus.objects.create(
            organisation=org, code="x", label="X", open311_state="open", is_initial=True
        )
    )
    refused(
        lambda: ReportStatus.objects.create(
            organisation=org, code="y", label="Y", open311_state="closed", is_duplicate=True
        )
    )
    refused(
        lambda: ReportStatus.objects.create(organisation=org, code="nouveau", label="N", open311_state="open")
    )
    refused(
        lambda: ReportStatus.objects.filter(organisation=org, is_initial=True).update(open311_state="closed")
    )


def test_one_support_per_fingerprint(make_report: Callable[..., Report]) -> None:
    report = make_report()
    Support.objects.create(report=report, fingerprint="a" * 64)
    refused(lambda: Support.objects.create(report=report, fingerprint="a" * 64))


def test_not_its_own_duplicate(make_report: Callable[..., Report]) -> None:
    report = make_report()
    refused(lambda: Report.objects.filter(pk=report.pk).update(duplicate_of=report.pk))


def test_round_stop_has_a_position_or_is_left_over(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    planned = Round.objects.create(
        crew=territory.crew, date=date(2026, 6, 2), shift_minutes=420, distance_m=0, baseline_distance_m=0
    )
    report = make_report()
    refused(lambda: RoundStop.objects.create(round=planned, report=report))
    refused(lambda: RoundStop.objects.create(round=planned, report=report, position=1, left_over=True))
    RoundStop.objects.create(round=planned, report=report, position=1)
    refused(lambda: RoundStop.objects.create(round=planned, report=report, left_over=True))


def test_history_is_append_only(make_report: Callable[..., Report]) -> None:
    event = ReportEvent.objects.get(report=make_report())
    event.message = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert ReportEvent.objects.get(pk=event.pk).message == ""


def test_history_goes_with_its_report(make_report: Callable[..., Report]) -> None:
    report = make_report()
    assert ReportEvent.objects.filter(report=report).exists()
    report.delete()  # the cascade removes the history: no row is deleted one by one
    assert not ReportEvent.objects.filter(report_id=report.pk).exists()
