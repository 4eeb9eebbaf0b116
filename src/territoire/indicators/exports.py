"""Open-data files of the spine for spreadsheets: the French variant of an indicator's CSV
and the bulk file of every public indicator.

The machine CSV (comma, point, ISO dates, codes) stays as it is for programs. The
spreadsheet variant is what a French spreadsheet opens cleanly by double-click: a UTF-8
byte-order mark (or accents turn into « Ã© »), « ; » between cells (the comma is the decimal
separator), decimal commas, dd/mm/yyyy dates, French column names; every row carries the
indicator's name, unit, baseline and target so that a filtered or pasted row still says
what it is. Cells go through ``core.csvwriter`` (formulas made inert); rows are streamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from territoire.core.csvwriter import SafeWriter
from territoire.indicators import wording
from territoire.indicators.models import IndicatorDefinition, Measurement, Target, Visibility
from territoire.territory.models import Organisation, Scope

BOM = "\ufeff"


def french_number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f").replace(".", ",")


def french_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def spreadsheet_header() -> list[str]:
    return [
        _("Indicateur"),
        _("Code"),
        _("Unité"),
        _("Périmètre"),
        _("Code du périmètre"),
        _("Période"),
        _("Début"),
        _("Fin"),
        _("Valeur"),
        _("Valeur de référence"),
        _("Date de référence"),
        _("Cible"),
        _("Échéance de la cible"),
        _("Provenance"),
    ]


def _row(m: Measurement, definition: IndicatorDefinition, scope: Scope, target: Target | None) -> list[str]:
    return [
        definition.name,
        definition.code,
        definition.unit,
        scope.name,
        scope.code,
        wording.period_label(m.period_start, m.period_end),
        french_date(m.period_start),
        french_date(m.period_end),
        french_number(m.value),
        french_number(target.baseline_value) if target else "",
        french_date(target.baseline_date) if target else "",
        french_number(target.target_value) if target else "",
        french_date(target.target_date) if target else "",
        wording.provenance(m),
    ]


def spreadsheet_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """The lines of a spreadsheet CSV: BOM, French header, « ; » between cells."""
    writer = SafeWriter(delimiter=";")
    yield BOM + writer.writerow(spreadsheet_header())
    for row in rows:
        yield writer.writerow(row)


def indicator_rows(definition: IndicatorDefinition, scope: Scope) -> Iterator[list[str]]:
    """The current figures of one indicator for one scope, oldest first."""
    target = Target.objects.filter(indicator=definition, scope=scope).first()
    for m in (
        Measurement.objects.filter(indicator=definition, scope=scope, is_current=True)
        .order_by("period_start")
        .iterator(chunk_size=1000)
    ):
        m.indicator = definition
        yield _row(m, definition, scope, target)


def bulk_measurements(organisation: Organisation) -> Iterator[Measurement]:
    """The current figures of every public indicator of the organisation and its communes."""
    return (
        Measurement.objects.filter(is_current=True, indicator__visibility=Visibility.PUBLIC)
        .filter(Q(scope__organisation=organisation) | Q(scope__commune__organisation=organisation))
        .filter(Q(indicator__organisation__isnull=True) | Q(indicator__organisation=organisation))
        .select_related("indicator", "scope__organisation", "scope__commune")
        .order_by("indicator__code", "scope__code", "period_start")
        .iterator(chunk_size=2000)
    )


def _targets(organisation: Organisation) -> dict[tuple[int, int], Target]:
    return {
        (t.indicator_id, t.scope_id): t
        for t in Target.objects.filter(
            Q(scope__organisation=organisation) | Q(scope__commune__organisation=organisation)
        )
    }


def bulk_spreadsheet_rows(organisation: Organisation) -> Iterator[list[str]]:
    targets = _targets(organisation)
    for m in bulk_measurements(organisation):
        yield _row(m, m.indicator, m.scope, targets.get((m.indicator_id, m.scope_id)))


BULK_FIELDS = (
    "indicator",
    "name",
    "unit",
    "scope",
    "scope_name",
    "period_start",
    "period_end",
    "value",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "origin",
    "provenance",
)


def bulk_machine_rows(organisation: Organisation) -> Iterator[list[object]]:
    """The same figures for programs: codes, ISO dates, decimal points."""
    targets = _targets(organisation)
    for m in bulk_measurements(organisation):
        target = targets.get((m.indicator_id, m.scope_id))
        yield [
            m.indicator.code,
            m.indicator.name,
            m.indicator.unit,
            m.scope.code,
            m.scope.name,
            m.period_start.isoformat(),
            m.period_end.isoformat(),
            format(m.value.normalize(), "f"),
            format(target.baseline_value.normalize(), "f") if target else "",
            target.baseline_date.isoformat() if target else "",
            format(target.target_value.normalize(), "f") if target else "",
            target.target_date.isoformat() if target else "",
            m.origin,
            m.provenance,
        ]
