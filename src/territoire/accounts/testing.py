"""Test helpers: sign staff in with a verified second factor, compute TOTP codes.

Staff with write rights cannot reach the admin or a staff page without a verified
second factor; tests of other features log in as a member would after enrolment.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device(user: Any) -> TOTPDevice:
    """The user's confirmed TOTP device (created if need be), as after enrolment."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return device


def totp_now(device: TOTPDevice) -> str:
    """The code the user's authenticator application shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def verify_second_factor(client: Client, user: Any) -> None:
    """Mark the client's session as having passed the second factor (as django_otp.login does)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()


class StaffClient(Client):
    """A test client whose ``force_login`` also passes the second factor.

    ``verified=False`` gives a session that has only the password (the accounts tests).
    """

    def force_login(self, user: Any, backend: str | None = None, *, verified: bool = True) -> None:
        super().force_login(user, backend)
        if verified:
            verify_second_factor(self, user)
