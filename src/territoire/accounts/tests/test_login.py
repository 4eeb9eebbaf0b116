"""Signing in: Argon2, a new session, failed logins audited, lockout and its end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from territoire.accounts.testing import StaffClient
from territoire.core.models import AuditEvent
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"


def _login(client: StaffClient, username: str, password: str, next_url: str = "/admin/") -> Any:
    return client.post(f"{LOGIN}?next={next_url}", {"username": username, "password": password})


def test_argon2_hashes_new_passwords_and_old_hashes_still_verify(settings: Any) -> None:
    settings.PASSWORD_HASHERS = django_settings.PASSWORD_HASHERS.__class__(
        __import__("territoire.settings", fromlist=["PASSWORD_HASHERS"]).PASSWORD_HASHERS
    )
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert make_password(PASSWORD).startswith("argon2$")
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    upgraded: list[str] = []
    assert check_password(PASSWORD, old, setter=upgraded.append)
    assert upgraded  # the hash is upgraded to Argon2 on the next successful sign-in


def test_staff_password_rules(settings: Any) -> None:
    from django.contrib.auth.password_validation import get_password_validators, validate_password
    from django.core.exceptions import ValidationError

    validators = get_password_validators(settings.AUTH_PASSWORD_VALIDATORS)
    for weak in ("short1!", "password1234"):
        with pytest.raises(ValidationError):
            validate_password(weak, password_validators=validators)
    validate_password("un pont sur la Loire en hiver", password_validators=validators)


def test_sign_in_starts_a_new_session_and_leads_to_enrolment(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.CHEF_PROJET)
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    client.cookies[django_settings.SESSION_COOKIE_NAME] = before
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after
    assert after != before
    # The write-right member has no device yet: the admin sends them to enrolment.
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith("/compte/double-authentification/activer/")


def test_a_failed_login_is_audited(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation)
    response = _login(client, user.username, "wrong password here")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_label == user.username
    assert event.ip_address == "127.0.0.1"
    assert "wrong" not in str(event.changes)


def test_lockout_after_the_limit_then_unlock_after_the_window(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any], settings: Any
) -> None:
    user = make_staff(organisation)
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        assert _login(client, user.username, "not the password").status_code == 200
    locked = _login(client, user.username, "not the password")
    assert locked.status_code == 429
    # Locked: even the right password is refused, with a page in French.
    refused = _login(client, user.username, PASSWORD)
    assert refused.status_code == 429
    assert "Connexion bloquée" in refused.content.decode()
    assert AuditEvent.objects.filter(action="auth.locked_out", actor_label=user.username).exists()
    # Another account from the same address is not locked.
    other = make_staff(organisation)
    assert _login(client, other.username, PASSWORD).status_code == 302
    client.logout()

    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    with (
        mock.patch("axes.handlers.proxy.now", return_value=later),
        mock.patch("axes.attempts.now", return_value=later),
    ):
        assert _login(client, user.username, PASSWORD).status_code == 302


def test_the_audited_address_is_the_clients_behind_a_trusted_proxy(settings: Any) -> None:
    from django.test import RequestFactory

    from territoire.core.http import client_ip

    settings.TERRITOIRE = {**settings.TERRITOIRE, "TRUSTED_PROXIES": ["10.0.0.0/8"]}
    factory = RequestFactory()
    behind = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert client_ip(behind) == "198.51.100.4"
    direct = factory.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert client_ip(direct) == "203.0.113.9"
    assert client_ip(factory.get("/", REMOTE_ADDR="")) is None
    assert client_ip(None) is None
