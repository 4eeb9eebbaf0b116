"""403, 404 and 500 pages: in the site's chrome and the address's language, with DEBUG off;
the 500 page is made without the database."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client, override_settings

from territoire.territory.models import Organisation

CHROME = ('<link rel="stylesheet" href="/static/territoire/site.css">', 'class="site-footer"')


def assert_chrome(html: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    for part in CHROME:
        assert part in html
    prefix = "/en" if language == "en" else ""
    # The legal pages are linked from the error pages too (without a territory).
    assert f'href="{prefix}/mentions-legales/"' in html
    assert f'href="{prefix}/accessibilite/"' in html


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_404_in_the_site_chrome_and_language(organisation: Organisation) -> None:
    client = Client()
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_chrome(html, "fr")
    assert "Page introuvable" in html
    assert "Not Found" not in html
    english = client.get("/en/nowhere/")
    assert english.status_code == 404
    assert_chrome(english.content.decode(), "en")
    # An unknown territory is a 404 page too, not Django's bare one.
    assert "Page introuvable" in client.get("/t/999999999/").content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_404_under_the_api_is_the_api_error_document() -> None:
    response = Client().get("/api/v1/nulle-part/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_pages_urls")
def test_500_needs_no_database() -> None:
    # No django_db mark: any query would fail the test ("Database access not allowed").
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_chrome(html, "fr")
    assert "Erreur du serveur" in html
    english = client.get("/en/boom/")
    assert english.status_code == 500
    assert english["Content-Language"] == "en"
    assert_chrome(english.content.decode(), "en")


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_pages_urls")
def test_500_when_the_database_is_down() -> None:
    client = Client(raise_request_exception=False)
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("server closed the connection")
    ):
        response = client.get("/boom/")
    assert response.status_code == 500
    assert "Erreur du serveur" in response.content.decode()


@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_pages_urls")
def test_500_under_the_api_is_the_api_error_document() -> None:
    response = Client(raise_request_exception=False).get("/api/v1/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_pages_urls")
def test_403_says_what_was_refused_in_the_site_chrome(db: Any) -> None:
    client = Client()
    response = client.get("/interdit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_chrome(html, "fr")
    assert "Accès refusé" in html
    assert "Seuls les administrateurs de la collectivité peuvent faire cela." in html
    english = client.get("/en/interdit/")
    assert english.status_code == 403
    assert_chrome(english.content.decode(), "en")
