"""The reports part of the demo: deterministic, coherent with the services' rules."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.core.demo import DemoContext
from territoire.reports import demo, services
from territoire.reports.models import Report, ReportEvent, Round, RoundStop
from territoire.territory import demo as territory_demo
from territoire.territory.models import Commune

pytestmark = pytest.mark.django_db


def build(seed: int = 2025) -> tuple[DemoContext, str]:
    ctx = DemoContext(communes=5, months=24, seed=seed, today=date(2026, 6, 15), rng=random.Random(seed))
    territory_demo.populate(ctx)
    return ctx, demo.populate(ctx)


def test_demo_reports(settings: Any) -> None:
    ctx, summary = build()
    reports = Report.objects.filter(organisation=ctx.organisation)
    assert f"{reports.count()} reports" in summary
    assert 150 <= reports.count() <= 600
    # Spread over every commune, each report in a zone of its commune.
    assert set(reports.values_list("commune_id", flat=True)) == {c.pk for c in ctx.commune_objects}
    assert not reports.filter(zone__isnull=True).exists()
    assert all(
        r.zone is not None and r.zone.commune_id == r.commune_id for r in reports.select_related("zone")
    )
    # Histories: one submission each; every closing carries the reasoned answer.
    assert ReportEvent.objects.filter(report__in=reports, kind="submitted").count() == reports.count()
    for report in reports.filter(is_open=False).select_related("status")[:50]:
        assert report.status.requires_answer
        assert report.status_notes
        assert report.closed_at is not None
    assert reports.filter(is_open=True, due_at__lt=timezone.now()).exists()  # some overdue
    assert reports.filter(hidden=True).exists()
    planned = Round.objects.get(crew__organisation=ctx.organisation)
    assert RoundStop.objects.filter(round=planned, left_over=False).count() >= 5
    assert planned.distance_m <= planned.baseline_distance_m + 1e-6
    # The Open311 key is printed with the staff accounts, and it works.
    name, raw, label = ctx.credentials[-1]
    assert name == "open311"
    assert "Application de démonstration" in label
    assert services.authenticate_api_key(raw) == ApiToken.objects.get(name="Application de démonstration")


def test_demo_is_deterministic() -> None:
    def snapshot() -> list[tuple[Any, ...]]:
        return list(
            Report.objects.order_by("id").values_list(
                "category__service_code", "lat", "lon", "status__code", "commune__name"
            )
        )

    ctx, _summary = build(seed=7)
    first = snapshot()
    assert ctx.organisation is not None
    Commune.objects.filter(organisation=ctx.organisation).delete()
    ctx.organisation.delete()
    build(seed=7)
    assert snapshot() == first
    assert len({row[0] for row in first}) == 8
