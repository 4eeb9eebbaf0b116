"""Staff sessions: idle and absolute timeouts, disabled accounts, refused access audited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from territoire.accounts import services
from territoire.accounts.testing import StaffClient
from territoire.core.models import AuditEvent
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db

RISKS = "/t/200000001/risques/"


def _stamp(client: StaffClient, **stamps: int) -> None:
    session = client.session
    for key, value in stamps.items():
        session[key] = value
    session.save()


@pytest.fixture
def signed_in(client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]) -> Any:
    user = make_staff(organisation, Role.CHEF_PROJET)
    client.force_login(user)
    assert client.get(RISKS).status_code == 200
    return user


def test_an_active_session_stays_open(client: StaffClient, signed_in: Any) -> None:
    now = int(time.time())
    idle = services.idle_timeout_seconds()
    _stamp(client, **{services.SESSION_AUTH_AT: now - 3600, services.SESSION_SEEN_AT: now - idle + 120})
    assert client.get(RISKS).status_code == 200
    assert client.session[services.SESSION_SEEN_AT] >= now


def test_idle_timeout_ends_the_session(client: StaffClient, signed_in: Any) -> None:
    now = int(time.time())
    _stamp(client, **{services.SESSION_SEEN_AT: now - services.idle_timeout_seconds() - 60})
    response = client.get(RISKS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert AuditEvent.objects.get(action="auth.session_expired").changes == {"reason": "idle"}
    assert client.get(RISKS).status_code == 302


def test_absolute_timeout_ends_the_session(client: StaffClient, signed_in: Any) -> None:
    now = int(time.time())
    _stamp(
        client,
        **{
            services.SESSION_AUTH_AT: now - services.absolute_timeout_seconds() - 60,
            services.SESSION_SEEN_AT: now,
        },
    )
    assert client.get(RISKS).status_code == 302
    assert AuditEvent.objects.get(action="auth.session_expired").changes == {"reason": "absolute"}


def test_timeouts_default_to_30_minutes_and_10_hours() -> None:
    assert services.idle_timeout_seconds() == 30 * 60
    assert services.absolute_timeout_seconds() == 10 * 3600


def test_a_disabled_account_is_signed_out_at_once(client: StaffClient, signed_in: Any) -> None:
    signed_in.is_active = False
    signed_in.save(update_fields=["is_active"])
    response = client.get(RISKS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert response.wsgi_request.user.is_anonymous
    assert "_auth_user_id" not in client.session
    # Enabling it again does not revive the old session.
    signed_in.is_active = True
    signed_in.save(update_fields=["is_active"])
    assert client.get(RISKS).status_code == 302


def test_refused_access_to_a_staff_page_is_audited(
    client: StaffClient,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    stranger = make_staff(other_organisation, Role.ADMINISTRATEUR)
    client.force_login(stranger)
    assert client.get(RISKS).status_code == 404
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor == stranger
    assert event.changes == {"path": RISKS, "status": 404}
    assert event.ip_address == "127.0.0.1"


def test_anonymous_sent_to_login_from_a_staff_page_is_audited(
    client: StaffClient, organisation: Organisation
) -> None:
    assert client.get(RISKS).status_code == 302
    event = AuditEvent.objects.get(action="access.login_required")
    assert event.actor is None
    assert event.changes == {"path": RISKS}


def test_public_pages_write_no_audit_event(client: StaffClient, organisation: Organisation) -> None:
    before = AuditEvent.objects.count()
    assert client.get("/t/200000001/").status_code == 200
    assert client.get("/t/200000001/inconnu/").status_code == 404
    assert AuditEvent.objects.count() == before
