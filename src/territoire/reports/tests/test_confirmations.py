"""One supporter, one "+1"; an address is mailed only once its owner confirmed it (issue 17 §3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from territoire.participation.models import Participant
from territoire.reports import services
from territoire.reports.models import Report, Support
from territoire.reports.tests.conftest import ALPHA_SUD, Territory

SIREN = "200000001"
LINK = re.compile(r"http://[^\s]+/signalements/confirmer/[^\s/]+/")


def _support_url(report: Report) -> str:
    return f"/t/{SIREN}/signalements/{report.public_id}/soutenir/"


def _link_in(message: Any) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(0)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_plus_one_counts_once_per_confirmed_address_not_per_cookie(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(ALPHA_SUD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_support_url(report), {"email": "voisine@example.org"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.supporters_count == 0  # not before the confirmation
    assert [m.to for m in mail.outbox] == [["voisine@example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(_path(_link_in(mail.outbox[0])))
    assert page.status_code == 200
    assert "votre soutien est confirmé" in page.content.decode()
    report.refresh_from_db()
    assert report.supporters_count == 1
    # The attack: drop the cookie (a new browser), vary the spelling (case, U+200B), again.
    for spelling in ("Voisine@Example.org", "voisine@example.org\u200b"):
        fresh = Client()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            fresh.post(_support_url(report), {"email": spelling})
        assert [m.to for m in mail.outbox] == [["voisine@example.org"]]
        assert fresh.get(_path(_link_in(mail.outbox[0]))).status_code == 200
    report.refresh_from_db()
    assert report.supporters_count == 1
    assert Support.objects.filter(report=report).count() == 1
    # No address kept for a "+1" without follow.
    assert Support.objects.get(report=report).email == ""
    assert client.get(_support_url(report)).status_code == 405


def test_anonymous_plus_one_without_an_address_is_refused(
    client: Client, territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report(ALPHA_SUD)
    response = client.post(_support_url(report), follow=True)
    assert "Indiquez votre adresse e-mail" in response.content.decode()
    report.refresh_from_db()
    assert report.supporters_count == 0


def _verified_resident(email: str) -> Any:
    user = get_user_model().objects.create_user(username=email, email=email, password="x")
    Participant.objects.create(user=user, email_verified_at=timezone.now())
    return user


def test_a_verified_resident_counts_once_whatever_the_cookies(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report(ALPHA_SUD)
    user = _verified_resident("habitante@example.org")
    for _attempt in range(2):
        browser = Client()  # a fresh browser each time: no cookie carried over
        browser.force_login(user)
        page = browser.get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()
        assert 'id="support-email"' not in page  # the account's address is used
        assert browser.post(_support_url(report), {"follow": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.supporters_count == 1
    support = Support.objects.get(report=report)
    assert support.email == "habitante@example.org"
    assert support.email_confirmed_at is not None


def test_plus_one_with_follow_mails_the_follower_only_once_confirmed(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(ALPHA_SUD)
    staff = make_staff(territory.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_support_url(report), {"email": "voisine@example.org", "follow": "1"})
    confirmation = mail.outbox[0]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_answer(report, "Intervention lundi.", actor=staff)
    assert mail.outbox == []  # not confirmed yet: not mailed
    client.get(_path(_link_in(confirmation)))
    assert Support.objects.get(report=report).email == "voisine@example.org"
    assert (
        "voisine@example.org"
        not in client.get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(report, "resolu", actor=staff, answer="Rebouché.")
    assert [m.to for m in mail.outbox] == [["voisine@example.org"]]


def test_a_reporters_address_is_mailed_only_after_confirmation(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(ALPHA_SUD, email="Auteur@Example.org\u200b", confirm_email=False)
    assert report.email == "auteur@example.org"  # the normal form is stored
    assert report.email_confirmed_at is None
    assert [m.to for m in mail.outbox] == [["auteur@example.org"]]
    confirmation = mail.outbox[0]
    assert "Confirmez votre adresse" in confirmation.subject
    mail.outbox.clear()
    staff = make_staff(territory.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(report, "pris-en-compte", actor=staff)
    assert mail.outbox == []
    page = client.get(_path(_link_in(confirmation)))
    assert page.status_code == 200
    report.refresh_from_db()
    assert report.email_confirmed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(report, "resolu", actor=staff, answer="Rebouché.")
    assert [m.to for m in mail.outbox] == [["auteur@example.org"]]


def test_an_open311_address_needs_confirmation_too(
    territory: Territory, make_report: Callable[..., Report], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(ALPHA_SUD, email="app@example.org", source="open311", confirm_email=False)
    assert report.email_confirmed_at is None
    assert [m.to for m in mail.outbox] == [["app@example.org"]]


def test_a_verified_residents_address_needs_no_new_confirmation(
    territory: Territory, make_report: Callable[..., Report], django_capture_on_commit_callbacks: Any
) -> None:
    _verified_resident("habitante@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(ALPHA_SUD, email="habitante@example.org", confirm_email=False)
    assert report.email_confirmed_at is not None
    # No confirmation link: only the acknowledgement, with the report's reference.
    assert [m.to for m in mail.outbox] == [["habitante@example.org"]]
    assert not LINK.search(mail.outbox[0].body)
    assert report.reference
    assert report.reference in mail.outbox[0].subject


def test_a_tampered_or_expired_link_is_refused(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(ALPHA_SUD)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_support_url(report), {"email": "voisine@example.org"})
    link = _path(_link_in(mail.outbox[0]))
    assert client.get(link[:-3] + "xx/").status_code == 400
    settings.TERRITOIRE = {**settings.TERRITOIRE, "REPORTS_EMAIL_TOKEN_HOURS": 0}
    response = client.get(link)
    assert response.status_code == 400
    assert "invalide ou expiré" in response.content.decode()
    report.refresh_from_db()
    assert report.supporters_count == 0
