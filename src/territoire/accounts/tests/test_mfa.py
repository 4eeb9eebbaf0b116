"""The second factor: required on the admin and staff pages for every member of staff (élus
included: they read internal data); enrolment, verification and recovery codes with real
TOTP codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from territoire.accounts import services
from territoire.accounts.testing import StaffClient, totp_device, totp_now
from territoire.core.models import AuditEvent
from territoire.territory import access
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"
STAFF_PAGES = [
    "/admin/",
    f"/t/{SIREN}/risques/",
    f"/en/t/{SIREN}/risques/",
    f"/t/{SIREN}/importer/",
    "/t/99101/indicateurs/services.taux_usage/saisir/",
    "/espace/",
]
ENROL = "/compte/double-authentification/activer/"
VERIFY = "/compte/double-authentification/verifier/"
STAFF_ROLES = [role.value for role in Role]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_without_a_second_factor_are_sent_to_enrolment(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any], role: str, page: str
) -> None:
    client.force_login(make_staff(organisation, role), verified=False)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ENROL}?next=")
    # The same session, once verified, gets through (where the role may go at all).
    user = get_user_model().objects.get(username=response.wsgi_request.user.username)
    client.force_login(user)
    writes = role in access.WRITE_MEASUREMENT_ROLES
    # A read-only member is told in words that figures are not theirs to record (403).
    refused = "/saisir/" in page or "/importer/" in page
    assert client.get(page).status_code == (200 if writes or not refused else 403)
    assert AuditEvent.objects.filter(action="auth.mfa_enrolment_required").exists()


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_superuser_without_a_second_factor_is_refused(
    client: StaffClient, organisation: Organisation, page: str
) -> None:
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(root, verified=False)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)


def test_an_enrolled_member_is_sent_to_verification(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.CHEF_PROJET)
    totp_device(user)
    client.force_login(user, verified=False)
    response = client.get(f"/t/{SIREN}/risques/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Ft%2F{SIREN}%2Frisques%2F"
    event = AuditEvent.objects.get(action="auth.mfa_required")
    assert event.actor == user
    assert event.ip_address == "127.0.0.1"
    # Enrolling a second device is not a way round the first one.
    assert client.get(ENROL)["Location"].startswith(VERIFY)


def test_a_read_only_elu_needs_the_second_factor_too(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    # An élu reads everything internal (residents' unpublished texts included).
    elu = make_staff(organisation, Role.ELU)
    assert services.mfa_required(elu)
    client.force_login(elu, verified=False)
    assert client.get(f"/t/{SIREN}/risques/")["Location"].startswith(ENROL)
    client.force_login(elu)
    assert client.get(f"/t/{SIREN}/risques/").status_code == 200


def test_an_account_without_membership_is_not_forced(client: StaffClient, db: Any) -> None:
    resident = get_user_model().objects.create_user("habitant", "h@example.org", "x" * 16)
    assert not services.mfa_required(resident)


def test_an_elu_who_enrolled_must_use_the_device(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    elu = make_staff(organisation, Role.ELU)
    totp_device(elu)
    client.force_login(elu, verified=False)
    assert client.get(f"/t/{SIREN}/risques/")["Location"].startswith(VERIFY)


def test_public_pages_do_not_ask_for_the_second_factor(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR), verified=False)
    assert client.get(f"/t/{SIREN}/").status_code == 200
    assert client.get("/admin/login/").status_code == 200


def test_enrolment_then_staff_pages(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.AGENT)
    client.force_login(user, verified=False)
    target = f"/t/{SIREN}/risques/"
    page = client.get(f"{ENROL}?next={target}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "<script" not in html
    assert "style=" not in html
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.config_url in html.replace("&amp;", "&")

    wrong = client.post(ENROL, {"otp_token": "000000" if totp_now(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "otp_token" in wrong.context["form"].errors
    assert client.get(target).status_code == 302
    assert AuditEvent.objects.filter(action="auth.mfa_failed", actor=user).exists()
    # A failure throttles the device (django-otp): wait out the delay, here by resetting it.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()

    done = client.post(ENROL, {"otp_token": totp_now(device), "next": target})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == services.RECOVERY_CODE_COUNT == len(set(codes))
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(target).status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled", actor=user).exists()


def test_verification_with_the_application_code(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.CHEF_PROJET)
    device = totp_device(user)
    client.force_login(user, verified=False)
    target = f"/t/{SIREN}/importer/"
    assert client.post(VERIFY, {"otp_token": "abcdef", "next": target}).status_code == 200
    assert client.get(target).status_code == 302
    # Right after a failure the device is throttled: even the right code is refused.
    assert client.post(VERIFY, {"otp_token": totp_now(device), "next": target}).status_code == 200
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(VERIFY, {"otp_token": totp_now(device), "next": target})
    assert response.status_code == 302
    assert response["Location"] == target
    assert client.get(target).status_code == 200


def test_verification_never_redirects_off_site(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.CHEF_PROJET)
    device = totp_device(user)
    client.force_login(user, verified=False)
    response = client.post(VERIFY, {"otp_token": totp_now(device), "next": "https://evil.example/"})
    assert response["Location"] == "/espace/"


def test_a_recovery_code_works_once(organisation: Organisation, make_staff: Callable[..., Any]) -> None:
    user = make_staff(organisation, Role.ADMINISTRATEUR)
    totp_device(user)
    codes = services.issue_recovery_codes(user)
    target = f"/t/{SIREN}/risques/"

    first = StaffClient()
    first.force_login(user, verified=False)
    assert first.post(VERIFY, {"otp_token": codes[0], "next": target})["Location"] == target
    assert first.get(target).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()

    second = StaffClient()
    second.force_login(user, verified=False)
    assert second.post(VERIFY, {"otp_token": codes[0], "next": target}).status_code == 200
    assert second.get(target).status_code == 302
    StaticDevice.objects.get(user=user).throttle_reset()
    assert second.post(VERIFY, {"otp_token": codes[1], "next": target}).status_code == 302


def test_renewing_recovery_codes_revokes_the_old_ones(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.ADMINISTRATEUR)
    old = services.issue_recovery_codes(user)
    client.force_login(user)
    response = client.post("/compte/double-authentification/codes-de-secours/")
    assert response.status_code == 200
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(new)


def test_recovery_code_format() -> None:
    code = services._recovery_code()
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)


def test_the_admin_site_itself_requires_the_second_factor(
    rf: Any, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    from django.contrib import admin

    from territoire.accounts.admin_site import TerritoireAdminSite

    assert isinstance(
        admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, TerritoireAdminSite
    )
    user = make_staff(organisation, Role.CHEF_PROJET)
    request = rf.get("/admin/")
    request.user = user
    user.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    user.is_verified = lambda: True
    assert admin.site.has_permission(request)
    elu = make_staff(organisation, Role.ELU)
    elu.is_verified = lambda: False
    request.user = elu
    assert not admin.site.has_permission(request)
