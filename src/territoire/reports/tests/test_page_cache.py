"""The report form and a report's page are cached for visitors without a session, and each
visitor's copy carries their own CSRF token, which the form's POST accepts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from territoire.reports.models import Report
from territoire.reports.tests.conftest import Territory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_report_form_is_kept_and_each_visitor_posts_with_their_own_token(
    territory: Territory, django_assert_max_num_queries: Callable[..., object]
) -> None:
    url = reverse("reports-new", args=[territory.organisation.siren])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get(url)
    assert first_page.status_code == 200
    with django_assert_max_num_queries(2):  # the versions and the cache
        second_page = second.get(url)
    first_token = TOKEN.search(first_page.content.decode())
    second_token = TOKEN.search(second_page.content.decode())
    assert first_token
    assert second_token
    assert settings.CSRF_COOKIE_NAME in second_page.cookies  # their own cookie, set with the copy
    post = {
        "csrfmiddlewaretoken": second_token.group(1),
        "service_code": "voirie",
        "description": "Un trou devant l'école",
        "lat": "47.005",
        "long": "2.005",
        "attribute[taille]": "petit",
    }
    answer = second.post(url, post)
    assert answer.status_code != 403
    # The first visitor's token is no use with the second visitor's cookie.
    stolen = Client(enforce_csrf_checks=True)
    stolen.cookies[settings.CSRF_COOKIE_NAME] = second_page.cookies[settings.CSRF_COOKIE_NAME].value
    refused = stolen.post(url, {**post, "csrfmiddlewaretoken": first_token.group(1)})
    assert refused.status_code == 403


def test_a_visitor_with_a_session_sees_the_page_live(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report(description="Avant")
    url = reverse("reports-detail", args=[territory.organisation.siren, report.public_id])
    assert "Avant" in Client().get(url).content.decode()
    Report.objects.filter(pk=report.pk).update(description="Après")  # no version bump: a cached copy stays
    assert "Avant" in Client().get(url).content.decode()
    own = Client()
    own.cookies[settings.SESSION_COOKIE_NAME] = "someone"
    assert "Après" in own.get(url).content.decode()
