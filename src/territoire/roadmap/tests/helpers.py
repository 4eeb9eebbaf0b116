"""Helpers for the roadmap tests: record figures and targets, create projects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from territoire.indicators.models import IndicatorDefinition, MeasurementOrigin
from territoire.indicators.periods import last_periods
from territoire.indicators.services import CleanRow, StoreSummary, set_target, store_rows
from territoire.roadmap.models import Axis, Objective, Project, ProjectStatus
from territoire.territory.models import Organisation, Scope


def record(
    code: str, scope_code: str, values: Sequence[float | str], *, today: date | None = None
) -> StoreSummary:
    """Record ``values`` as the last monthly figures of ``code`` for ``scope_code`` (oldest first)."""
    periods = last_periods("monthly", today or timezone.localdate(), len(values))
    definition = IndicatorDefinition.objects.get(code=code)
    scope = Scope.objects.get(code=scope_code)
    rows = [
        CleanRow(definition, scope, period, Decimal(str(value)))
        for period, value in zip(periods, values, strict=True)
    ]
    return store_rows(rows, origin=MeasurementOrigin.MANUAL, provenance="test")


def target(code: str, scope_code: str, *, baseline: float, goal: float, deadline: date) -> None:
    """Set a target; the objectives its indicator measures get ``deadline`` as theirs (a
    target may not fall after its objective's deadline)."""
    scope = Scope.objects.get(code=scope_code)
    Objective.objects.filter(
        organisation_id=scope.owning_organisation_id, indicators__code=code, deadline__lt=deadline
    ).update(deadline=deadline)
    set_target(
        indicator=IndicatorDefinition.objects.get(code=code),
        scope=scope,
        baseline_value=Decimal(str(baseline)),
        baseline_date=date(2024, 1, 31),
        target_value=Decimal(str(goal)),
        target_date=deadline,
    )


def make_project(organisation: Organisation, title: str, **fields: Any) -> Project:
    defaults: dict[str, Any] = {
        "axis": Axis.objects.get(organisation=organisation, code=fields.pop("axis_code", "services")),
        "value_score": 3,
        "complexity_score": 3,
        "cost": Decimal(10_000),
        "target_year": 2026,
        "target_quarter": 2,
        "status": ProjectStatus.PLANNED,
    }
    defaults.update(fields)
    return Project.objects.create(organisation=organisation, title=title, **defaults)


def count_queries(action: Callable[[], Any]) -> int:
    """Queries of ``action`` done in full (the public page cache is emptied first)."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)
