"""A staff import in two steps: a preview of what the file would change, then, on
confirmation, the change itself (all or nothing).

Between the two steps the file waits server-side (``PendingImport``), keyed to the person
who sent it and their organisation; the confirmation reads it again, validates it again
(rights may have changed) and refuses to apply a stale preview: when a figure the file
touches has changed since the preview (``fingerprint``), nothing is written and a fresh
preview is shown instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from territoire.core.actions import action
from territoire.indicators.models import Measurement, MeasurementOrigin, PendingImport
from territoire.indicators.services.recording import record_figures
from territoire.indicators.services.spreadsheet import read_table
from territoire.indicators.services.storage import StoreSummary
from territoire.indicators.services.validation import CleanRow, RowError, error_order, validate_rows
from territoire.territory.models import Organisation, Scope

PENDING_LIFETIME = timedelta(days=1)
# Rows of each kind listed on the preview page (the counts are always whole).
PREVIEW_LISTED = 200

Key = tuple[int, int, date, date]


@dataclass(frozen=True)
class PreviewRow:
    row: CleanRow
    old: Decimal | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        return "unchanged" if self.old == self.row.value else "corrected"


@dataclass
class ImportPreview:
    rows: list[PreviewRow]
    fingerprint: str
    added: list[PreviewRow] = field(default_factory=list)
    corrected: list[PreviewRow] = field(default_factory=list)
    unchanged: list[PreviewRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        for preview_row in self.rows:
            getattr(self, preview_row.kind).append(preview_row)

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.corrected)


class StalePreviewError(Exception):
    """The figures changed after the preview: here is what the file would change now."""

    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        super().__init__("the figures changed since the preview")


def _key(row: CleanRow) -> Key:
    return (row.indicator.pk, row.scope.pk, row.period.start, row.period.end)


def preview_rows(rows: list[CleanRow], *, lock: bool = False) -> ImportPreview:
    """What recording ``rows`` would do to the current figures (one query)."""
    current: dict[Key, Measurement] = {}
    if rows:
        starts = [r.period.start for r in rows]
        qs = Measurement.objects.filter(
            is_current=True,
            scope_id__in={r.scope.pk for r in rows},
            indicator_id__in={r.indicator.pk for r in rows},
            period_start__gte=min(starts),
            period_start__lte=max(starts),
        ).only("id", "indicator_id", "scope_id", "period_start", "period_end", "value", "version")
        if lock:
            qs = qs.select_for_update()
        for m in qs.iterator(chunk_size=2000):
            current[(m.indicator_id, m.scope_id, m.period_start, m.period_end)] = m
    digest = hashlib.sha256()
    previewed = []
    for row in sorted(rows, key=_key):
        old = current.get(_key(row))
        digest.update(f"{_key(row)}:{old.pk if old else 0}:{old.version if old else 0};".encode())
        previewed.append(PreviewRow(row, old.value if old is not None else None))
    order = {id(r): i for i, r in enumerate(rows)}
    previewed.sort(key=lambda p: order[id(p.row)])
    return ImportPreview(previewed, digest.hexdigest())


def check_file(
    content: bytes,
    filename: str,
    *,
    may_write: Callable[[Scope], bool],
    may_see: Callable[[Scope], bool],
) -> tuple[list[CleanRow], list[RowError]]:
    """The rows of a file (CSV or XLSX) as validated for this person, or every error."""
    raw_rows, errors = read_table(content, filename)
    clean, row_errors = (
        validate_rows(raw_rows, may_write=may_write, may_see=may_see) if raw_rows else ([], [])
    )
    errors += row_errors
    return clean, sorted(errors, key=error_order)


def stage(
    *, user: Any, organisation: Organisation, filename: str, content: bytes, fingerprint: str
) -> PendingImport:
    """Keep a previewed file until it is confirmed (one per person and organisation)."""
    with action(
        "indicators.import_staged", actor=user, organisation_id=organisation.pk, versions=(), audited=False
    ):
        PendingImport.objects.filter(created_at__lt=timezone.now() - PENDING_LIFETIME).delete()
        PendingImport.objects.filter(user=user, organisation=organisation).delete()
        return PendingImport.objects.create(
            user=user,
            organisation=organisation,
            filename=filename[:200],
            content=content,
            fingerprint=fingerprint,
        )


def pending_for(user: Any, organisation: Organisation, public_id: Any) -> PendingImport | None:
    """The file this person staged for this organisation (None: another's, expired or gone)."""
    return PendingImport.objects.filter(
        public_id=public_id,
        user=user,
        organisation=organisation,
        created_at__gte=timezone.now() - PENDING_LIFETIME,
    ).first()


def discard(pending: PendingImport) -> None:
    with action("indicators.import_discarded", actor=pending.user, versions=(), audited=False):
        PendingImport.objects.filter(pk=pending.pk).delete()


def restage(pending: PendingImport, fingerprint: str) -> None:
    """A stale preview was shown again: the file waits for the new one's confirmation."""
    with action("indicators.import_staged", actor=pending.user, versions=(), audited=False):
        PendingImport.objects.filter(pk=pending.pk).update(fingerprint=fingerprint)


def apply_import(rows: list[CleanRow], *, fingerprint: str, actor: Any, source_name: str) -> StoreSummary:
    """Record the previewed rows if the figures they touch are as the preview saw them.

    Raises ``StalePreviewError`` (nothing written) otherwise. The check and the write are one
    transaction; the current figures are locked while it runs (PostgreSQL; SQLite's
    writer holds the database).
    """
    with transaction.atomic():
        now = preview_rows(rows, lock=True)
        if now.fingerprint != fingerprint:
            raise StalePreviewError(now)
        return record_figures(
            rows,
            origin=MeasurementOrigin.IMPORT,
            provenance=f"import:{source_name[:150]}",
            actor=actor,
            audit_action="indicators.import",
        )
