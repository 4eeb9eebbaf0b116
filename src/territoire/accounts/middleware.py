"""Staff sessions: one middleware for every staff page, present and future.

After authentication (and django-otp's middleware), on every request:

1. a session whose account was disabled is flushed (Django already treats it as
   anonymous; the flush makes it final);
2. a staff session ends after the idle timeout or the absolute timeout;
3. ``/admin/`` and every view marked with :func:`~territoire.core.http.staff_page`
   refuse a session without a verified second factor when the account needs one: the
   visitor is sent to enrolment (no device yet) or to verification;
4. refused authorisations on those pages (404 or 403 for lack of rights, a visitor
   sent to the login page) are written to the audit trail.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from territoire.accounts import services
from territoire.core.http import is_staff_page

# Admin pages reachable without a second factor: signing in and out.
ADMIN_OPEN_PATHS = ("/admin/login/", "/admin/logout/")
# The idle stamp is written at most this often (one session write per minute, not per hit).
SEEN_RESOLUTION_SECONDS = 60


def _is_verified(request: HttpRequest, user: Any) -> bool:
    """Whether this session passed the second factor; the device is loaded on first ask."""
    if user.otp_device is None and not getattr(user, "_territoire_otp_checked", False):
        user._territoire_otp_checked = True
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if user.is_authenticated and persistent_id:
            device = Device.from_persistent_id(persistent_id)
            if device is not None and device.user_id == user.pk and device.confirmed:
                user.otp_device = device
            else:
                del request.session[DEVICE_ID_SESSION_KEY]
    return user.otp_device is not None


def _install_otp(request: HttpRequest, user: Any) -> Any:
    user.otp_device = None
    user.is_verified = functools.partial(_is_verified, request, user)
    return user


class LazyOTPMiddleware:
    """django-otp's OTPMiddleware, lazier: ``user.is_verified()`` loads the device only
    when asked (staff pages), so public pages seen by staff cost no extra query.

    ``user.otp_device`` is set once ``is_verified()`` has been called (or by
    ``django_otp.login``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            request.user = SimpleLazyObject(  # type: ignore[assignment]
                functools.partial(_install_otp, request, user)
            )
        return self.get_response(request)


class StaffSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self._end_dead_sessions(request)
        response = self.get_response(request)
        if getattr(request, "_territoire_protected", False):
            self._audit_refusal(request, response)
        return response

    # 1 and 2 -------------------------------------------------------------------------
    def _end_dead_sessions(self, request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None:
            return
        if not user.is_authenticated:
            if session.get(SESSION_KEY) is not None:
                # A disabled or deleted account: end the session now.
                session.flush()
            return
        if not services.is_staff_session(user):
            return
        now = int(time.time())
        auth_at = int(session.get(services.SESSION_AUTH_AT) or now)
        seen_at = int(session.get(services.SESSION_SEEN_AT) or now)
        expired = None
        if now - seen_at > services.idle_timeout_seconds():
            expired = "idle"
        elif now - auth_at > services.absolute_timeout_seconds():
            expired = "absolute"
        if expired is not None:
            services.audit_event(request, "auth.session_expired", user=user, reason=expired)
            logout(request)
            return
        if services.SESSION_AUTH_AT not in session:
            session[services.SESSION_AUTH_AT] = now
        if now - seen_at >= SEEN_RESOLUTION_SECONDS or services.SESSION_SEEN_AT not in session:
            session[services.SESSION_SEEN_AT] = now

    # 3 -------------------------------------------------------------------------------
    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        path = request.path_info
        if path.startswith("/admin/"):
            if path.startswith(ADMIN_OPEN_PATHS):
                return None
        elif not is_staff_page(view_func):
            return None
        request._territoire_protected = True  # type: ignore[attr-defined]
        user: Any = request.user
        if not user.is_authenticated or user.is_verified() or not services.mfa_required(user):
            return None
        query = urlencode({"next": request.get_full_path()})
        if services.has_confirmed_device(user):
            services.audit_event(request, "auth.mfa_required", path=path)
            return HttpResponseRedirect(f"{reverse('accounts:mfa-verify')}?{query}")
        services.audit_event(request, "auth.mfa_enrolment_required", path=path)
        return HttpResponseRedirect(f"{reverse('accounts:mfa-enrol')}?{query}")

    # 4 -------------------------------------------------------------------------------
    def _audit_refusal(self, request: HttpRequest, response: HttpResponse) -> None:
        user: Any = getattr(request, "user", None)
        if response.status_code in (403, 404):
            services.audit_event(
                request, "access.denied", path=request.path_info, status=response.status_code
            )
        elif (
            response.status_code == 302
            and user is not None
            and not user.is_authenticated
            and "/login/" in response.get("Location", "")
        ):
            services.audit_event(request, "access.login_required", path=request.path_info)
