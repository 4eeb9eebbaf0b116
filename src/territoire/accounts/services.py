"""Accounts: who must prove a second factor, staff pages, session timestamps, audit.

The rule for the second factor (TOTP, django-otp) is decided here only:

- every member of staff (any membership: every role, élus included, reads internal
  data) and every superuser must have a verified second factor on the admin and on
  every staff page, with recovery codes;
- anyone else who has chosen to enrol a device must use it too (a device that could be
  skipped would protect nothing).

Staff pages are marked with :func:`territoire.core.http.staff_page` (in ``urls.py`` or on
the view): the accounts middleware then protects them, as it protects ``/admin/``.
Everywhere else (internal figures, their downloads, dashboards' internal cards),
``territory.access`` grants no staff right to a session without the second factor.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from territoire.core import audit
from territoire.core.http import client_ip
from territoire.territory.models import Membership

RECOVERY_CODE_COUNT = 10
SESSION_AUTH_AT = "territoire.auth_at"
SESSION_SEEN_AT = "territoire.seen_at"


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def has_staff_rights(user: Any) -> bool:
    """A superuser or a member of staff (any role: every one reads internal data).

    The account's own rows, not territory.access, which grants nothing to a session that
    has not passed the second factor yet: the very question asked here.
    """
    if not _active(user):
        return False
    return bool(user.is_superuser) or Membership.objects.filter(user=user).exists()


def has_confirmed_device(user: Any) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def mfa_required(user: Any) -> bool:
    """True when ``user`` may use the admin and staff pages only with a verified second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    return has_staff_rights(user) or has_confirmed_device(user)


def second_factor_ok(user: Any) -> bool:
    """False when ``user`` needs a verified second factor and this session has none."""
    if not getattr(user, "is_authenticated", False):
        return True
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return True
    return not mfa_required(user)


def is_staff_session(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.is_superuser))


def pending_totp_device(user: Any) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def issue_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` new single-use ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=str(_recovery_name()), confirmed=True)
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _recovery_name() -> str:
    return "recovery"


def _recovery_code() -> str:
    # 10 characters of an unambiguous alphabet: about 50 bits each, single use.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def audit_event(
    request: HttpRequest | None, action: str, *, user: Any = None, label: str = "", **changes: Any
) -> None:
    """Write a security event (failed login, refused authorisation...) to the audit trail."""
    actor = user if user is not None else getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    audit.record(
        action,
        actor=actor,
        actor_label=label[:200],
        changes=changes,
        ip_address=client_ip(request),
    )


def idle_timeout_seconds() -> int:
    return int(settings.TERRITOIRE.get("STAFF_IDLE_TIMEOUT_MINUTES", 30)) * 60


def absolute_timeout_seconds() -> int:
    return int(settings.TERRITOIRE.get("STAFF_ABSOLUTE_TIMEOUT_HOURS", 10)) * 3600
