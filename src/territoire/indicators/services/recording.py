"""Figures recorded by a person or an integration (staff form, CSV import, API): stored,
then the organisation's aggregates refreshed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction

from territoire.indicators.models import (
    MeasurementOrigin,
)
from territoire.indicators.services.aggregation import aggregate_to_organisation
from territoire.indicators.services.spreadsheet import read_table
from territoire.indicators.services.storage import StoreSummary, store_rows
from territoire.indicators.services.validation import (
    CleanRow,
    MeasurementInputError,
    error_order,
    read_csv,
    validate_rows,
)
from territoire.territory.models import Organisation, Scope


def record_figures(
    rows: list[CleanRow],
    *,
    origin: str,
    provenance: str,
    actor: Any = None,
    audit_action: str = "indicators.record",
) -> StoreSummary:
    """Store figures recorded by a person or an integration, then refresh the aggregates.

    The organisation figure of every period touched by a commune figure is recombined,
    so a late import of old commune figures does not leave the organisation's stale.
    """
    with transaction.atomic():
        summary = store_rows(
            rows, origin=origin, provenance=provenance, actor=actor, audit_action=audit_action
        )
        touched: dict[int, date] = {}
        for row in rows:
            commune = row.scope.commune
            if commune is not None and commune.organisation_id is not None:
                org_id = commune.organisation_id
                touched[org_id] = min(touched.get(org_id, row.period.start), row.period.start)
        for organisation in Organisation.objects.filter(pk__in=list(touched)):
            aggregate_to_organisation(organisation, since=touched[organisation.pk])
    return summary


def import_csv(
    data: bytes | str,
    *,
    actor: Any = None,
    source_name: str = "CSV",
    may_write: Callable[[Scope], bool] | None = None,
) -> StoreSummary:
    """All or nothing: every error is reported (line and column) and nothing is written.

    ``data`` is CSV text, or the bytes of a CSV or XLSX file.
    """
    raw_rows, errors = read_table(data, source_name) if isinstance(data, bytes) else read_csv(data)
    clean, row_errors = validate_rows(raw_rows, may_write=may_write) if raw_rows else ([], [])
    errors += row_errors
    if errors:
        raise MeasurementInputError(sorted(errors, key=error_order))
    return record_figures(
        clean,
        origin=MeasurementOrigin.IMPORT,
        provenance=f"import:{source_name[:150]}",
        actor=actor,
        audit_action="indicators.import",
    )
