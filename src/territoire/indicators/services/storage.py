"""Storage of figures: ``store_rows`` records validated rows as new versions (one action:
transaction, audit record, data version); targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from territoire.core import modules
from territoire.core.actions import action
from territoire.indicators.models import (
    IndicatorDefinition,
    Measurement,
    Target,
)
from territoire.indicators.services.validation import CleanRow
from territoire.territory.models import Scope


@dataclass
class StoreSummary:
    created: int = 0
    corrected: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.created + self.corrected


def store_rows(
    rows: list[CleanRow],
    *,
    origin: str,
    provenance: str | Callable[[CleanRow], str],
    actor: Any = None,
    audit_action: str = "indicators.record",
) -> StoreSummary:
    """Record validated rows in one transaction: new figures, corrections, or nothing.

    A row whose value equals the current one is left alone, so re-running an import or a
    computation is idempotent. A different value becomes version n + 1 and supersedes
    the current row, which stays in the history.
    """
    summary = StoreSummary()
    if not rows:
        return summary
    user = actor if getattr(actor, "is_authenticated", False) else None
    organisations = {r.scope.owning_organisation_id for r in rows}
    with action(
        audit_action,
        actor=user,
        actor_label="" if user else provenance if isinstance(provenance, str) else origin,
        organisation_id=next(iter(organisations)) if len(organisations) == 1 else None,
    ) as act:
        current: dict[tuple[int, int, date, date], Measurement] = {}
        scope_ids = {r.scope.pk for r in rows}
        indicator_ids = {r.indicator.pk for r in rows}
        starts = [r.period.start for r in rows]
        candidates = (
            Measurement.objects.select_for_update()
            .filter(
                is_current=True,
                scope_id__in=scope_ids,
                indicator_id__in=indicator_ids,
                period_start__gte=min(starts),
                period_start__lte=max(starts),
            )
            .only("id", "indicator_id", "scope_id", "period_start", "period_end", "value", "version")
        )
        for m in candidates.iterator(chunk_size=2000):
            current[(m.indicator_id, m.scope_id, m.period_start, m.period_end)] = m
        to_create: list[Measurement] = []
        superseded: list[int] = []
        for row in rows:
            old = current.get((row.indicator.pk, row.scope.pk, row.period.start, row.period.end))
            if old is not None and old.value == row.value:
                summary.unchanged += 1
                continue
            if old is not None:
                superseded.append(old.pk)
                summary.corrected += 1
            else:
                summary.created += 1
            to_create.append(
                Measurement(
                    indicator=row.indicator,
                    scope=row.scope,
                    period_start=row.period.start,
                    period_end=row.period.end,
                    value=row.value,
                    version=old.version + 1 if old is not None else 1,
                    supersedes_id=old.pk if old is not None else None,
                    origin=origin,
                    provenance=provenance(row) if callable(provenance) else provenance,
                    recorded_by=user,
                    note=row.note,
                )
            )
        for start in range(0, len(superseded), 500):
            Measurement.objects.filter(pk__in=superseded[start : start + 500]).update(is_current=False)
        Measurement.objects.bulk_create(to_create, batch_size=1000)
        if summary.written:
            act.changes = {"created": summary.created, "corrected": summary.corrected, "origin": origin}
        else:
            # Nothing written (every value unchanged): no audit record, no new version.
            act.audited, act.versions = False, ()
    return summary


def target_problems(indicator: IndicatorDefinition, scope: Scope, target_date: date) -> list[str]:
    """Why a target of ``indicator`` for ``scope`` may not fall on ``target_date``, as the
    modules see it (the roadmap: not after the deadline of an objective it measures)."""
    return [problem for check in modules.target_checks() for problem in check(indicator, scope, target_date)]


def set_target(
    *,
    indicator: IndicatorDefinition,
    scope: Scope,
    baseline_value: Decimal,
    baseline_date: date,
    target_value: Decimal,
    target_date: date,
    actor: Any = None,
) -> Target:
    """Set the target of an indicator for a scope (one per indicator and scope)."""
    if target_date <= baseline_date:
        raise ValueError("the target date must come after the baseline date")
    problems = target_problems(indicator, scope, target_date)
    if problems:
        raise ValidationError(problems, code="target_after_deadline")
    with action(
        "indicators.set_target",
        actor=actor,
        organisation_id=scope.owning_organisation_id,
        changes={
            "indicator": indicator.code,
            "baseline_value": str(baseline_value),
            "target_value": str(target_value),
            "target_date": target_date.isoformat(),
        },
    ) as act:
        target, _ = Target.objects.update_or_create(
            indicator=indicator,
            scope=scope,
            defaults={
                "baseline_value": baseline_value,
                "baseline_date": baseline_date,
                "target_value": target_value,
                "target_date": target_date,
            },
        )
        act.obj = target
    return target
