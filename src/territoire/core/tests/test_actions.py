"""An action is one transaction: the write, its audit record and its data versions."""

from __future__ import annotations

import pytest

from territoire.core.actions import action
from territoire.core.cache import data_version
from territoire.core.models import AuditEvent, DataVersion

pytestmark = pytest.mark.django_db


def test_an_action_audits_and_bumps_its_versions() -> None:
    before = data_version("published", "reports")
    with action("test.write", actor_label="tests", versions=("published", "reports")) as act:
        obj = DataVersion.objects.create(key="test-object", version=1)
        act.obj = obj
        act.changes = {"version": [None, 1]}
    event = AuditEvent.objects.get(action="test.write")
    assert (event.object_type, event.object_id) == ("core.dataversion", str(obj.pk))
    assert event.changes == {"version": [None, 1]}
    assert event.actor_label == "tests"
    assert data_version("published", "reports") == before + 2


def _write_then_fail() -> None:
    with action("test.fails"):
        DataVersion.objects.create(key="half-written", version=1)
        raise RuntimeError("refused")


def test_a_failed_action_leaves_nothing() -> None:
    before = data_version()
    with pytest.raises(RuntimeError, match="refused"):
        _write_then_fail()
    assert not DataVersion.objects.filter(key="half-written").exists()
    assert not AuditEvent.objects.filter(action="test.fails").exists()
    assert data_version() == before


def test_an_unaudited_action_still_bumps() -> None:
    before = data_version("reports")
    with action("test.support", audited=False, versions=("reports",)):
        pass
    assert not AuditEvent.objects.filter(action="test.support").exists()
    assert data_version("reports") == before + 1
