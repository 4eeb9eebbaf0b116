"""The audit trail is append-only: a recorded event is never saved again nor deleted."""

from __future__ import annotations

import pytest

from territoire.core import audit
from territoire.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_audit_event_cannot_be_changed_or_deleted() -> None:
    event = audit.record("test.write", actor_label="tests", changes={"a": 1})
    event.action = "test.rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.write"


def test_a_new_audit_event_is_saved() -> None:
    event = AuditEvent(action="test.write", actor_label="tests")
    event.save()
    assert AuditEvent.objects.filter(pk=event.pk, action="test.write").exists()
