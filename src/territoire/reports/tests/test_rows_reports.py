"""The intake's rows through ``core.rows``: what ``save()`` would store, ids given later."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from territoire.core import audit, rows
from territoire.core.models import AuditEvent
from territoire.core.tests.test_rows import columns
from territoire.reports.models import EventKind, Report, ReportEvent, ReportStatus
from territoire.reports.tests.conftest import Territory

pytestmark = pytest.mark.django_db

GENERATED = ("public_id", "created_at", "updated_at")


def test_a_report_with_every_kind_of_field(territory: Territory, make_report: Callable[..., Report]) -> None:
    """Foreign keys, floats, JSON, booleans, dates, text: stored as save() stores them."""
    model = make_report(email="resident@example.org", address_string="3 rue des Lilas")
    model.crew = territory.crew
    model.save()
    fields = {
        f.attname: getattr(model, f.attname)
        for f in Report._meta.concrete_fields
        if not f.primary_key and f.name not in GENERATED
    }
    copy = rows.insert(Report(**fields))
    expected, got = columns(model), columns(copy)
    assert got.pop("public_id") != expected.pop("public_id")
    for name in ("created_at", "updated_at"):
        assert got.pop(name) >= expected.pop(name)
    assert got == expected
    assert got["attributes"] == {"taille": "petit"}
    assert got["crew_id"] == territory.crew.pk


def test_a_prepared_row_takes_an_id_known_later(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    status = ReportStatus.objects.get(organisation=territory.organisation, code="nouveau")
    event = rows.prepare(ReportEvent(kind=EventKind.SUBMITTED, to_status=status))
    record = audit.prepare("reports.submitted", obj=Report(), organisation_id=territory.organisation.pk)
    event.set("report", report)  # by the field's name: the related object
    record.set("object_id", str(report.pk))  # by the column's attribute
    event.execute()
    record.execute()
    assert ReportEvent.objects.get(pk=event.instance.pk).report_id == report.pk
    stored = AuditEvent.objects.get(pk=record.instance.pk)
    assert (stored.object_type, stored.object_id) == ("reports.report", str(report.pk))


def test_a_submission_writes_its_event_and_audit_record_with_the_report(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    event = ReportEvent.objects.get(report=report)
    assert (event.kind, event.to_status, event.from_status, event.actor) == (
        EventKind.SUBMITTED,
        report.status,
        None,
        None,
    )
    assert event.data == {"source": report.source}
    record = AuditEvent.objects.get(action="reports.submitted", object_id=str(report.pk))
    assert record.object_type == "reports.report"
    assert record.organisation_id == territory.organisation.pk
    assert record.changes == {"category": "voirie", "commune": "99101"}
