"""Second factor: enrol a TOTP application, verify a code, renew the recovery codes.

Plain HTML forms: no JavaScript, nothing inline (the QR code is an SVG drawn on the
server, with presentation attributes only), nothing fetched from a third party.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token

from territoire.accounts import services


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code à usage unique"),
        max_length=16,
        help_text=gettext_lazy("Le code à 6 chiffres de votre application, ou un code de secours."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def token(self) -> str:
        return str(self.cleaned_data["otp_token"]).strip().replace(" ", "")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    # Signing in without a destination lands on the staff home, made for the person.
    return reverse("staff-home")


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    # Our own markup, drawn from our own data: an <svg> with a <path>, no script or style.
    return svg.replace("<svg ", '<svg role="img" class="qr-code" ', 1)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    next_url = _next_url(request)
    if services.has_confirmed_device(user) and not user.is_verified():
        # A device already exists: enrolling another needs the first one.
        return redirect(_to("accounts:mfa-verify", next_url))
    device = services.pending_totp_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.token()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            codes = services.issue_recovery_codes(user)
            services.audit_event(request, "auth.mfa_enrolled", device=device.persistent_id)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})
        services.audit_event(request, "auth.mfa_failed", step="enrolment")
        form.add_error("otp_token", _("Ce code n'est pas valide. Vérifiez l'heure de votre téléphone."))
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 (generated here, see _qr_svg)
        "secret": _base32(device.bin_key),
        "config_url": device.config_url,
    }
    return render(request, "accounts/enrol.html", context)


def _base32(key: bytes) -> str:
    raw = b32encode(key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _to(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    next_url = _next_url(request)
    if not services.has_confirmed_device(user):
        return redirect(_to("accounts:mfa-enrol", next_url))
    if user.is_verified():
        return redirect(next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.token())
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        services.audit_event(request, "auth.mfa_failed", step="verification")
        form.add_error("otp_token", _("Ce code n'est pas valide."))
    return render(request, "accounts/verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Renew the recovery codes (the old ones stop working); needs a verified session."""
    user: Any = request.user
    if not user.is_verified():
        return redirect(_to("accounts:mfa-verify", request.path))
    if request.method == "POST":
        codes = services.issue_recovery_codes(user)
        services.audit_event(request, "auth.recovery_codes_renewed")
        return render(
            request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("staff-home")}
        )
    return render(request, "accounts/renew_codes.html", {})
