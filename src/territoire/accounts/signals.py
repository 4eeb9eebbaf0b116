"""Receivers: stamp the sign-in time, audit failed logins and lockouts."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from territoire.accounts.services import SESSION_AUTH_AT, SESSION_SEEN_AT, audit_event


@receiver(user_logged_in, dispatch_uid="territoire.accounts.logged_in")
def stamp_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_AUTH_AT] = now
        request.session[SESSION_SEEN_AT] = now


@receiver(user_login_failed, dispatch_uid="territoire.accounts.login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")
    audit_event(request, "auth.login_failed", label=username or "?", username=username)


@receiver(user_locked_out, dispatch_uid="territoire.accounts.locked_out")
def audit_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    audit_event(request, "auth.locked_out", label=username or "?", username=username or "")
