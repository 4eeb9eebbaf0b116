"""Oversize bodies and too many fields: each API's own error document, a page for a person.

Django refuses them while reading the request (``RequestDataTooBig``,
``TooManyFieldsSent``) and used to answer with its HTML 400 page, even to an API client.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from django.test import Client, override_settings

from territoire.territory.models import Organisation

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("small_limits"),
]

MANY = "&".join(f"f{i}=1" for i in range(30))
BIG = "x" * 5000


@pytest.fixture
def small_limits() -> object:
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000, DATA_UPLOAD_MAX_NUMBER_FIELDS=20) as limits:
        yield limits


def test_api_oversize_json_body(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation, write=True)
    body = json.dumps({"measurements": [], "padding": BIG})
    response = client.post(
        "/api/v1/measurements", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
    assert response.json()["errors"] == []


def test_api_too_many_query_parameters(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    response = client.get(f"/api/v1/communes?{MANY}", HTTP_AUTHORIZATION=f"Bearer {make_token(organisation)}")
    assert response.status_code == 400
    assert response.json()["detail"] == "too many fields in the request"


def test_open311_too_many_fields_json(client: Client) -> None:
    response = client.post(
        "/open311/v2/requests.json", MANY, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert json.loads(response.content) == [{"code": 400, "description": "too many fields in the request"}]


def test_open311_oversize_body_xml(client: Client) -> None:
    response = client.post(
        "/open311/v2/requests.xml", f"description={BIG}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    root = ET.fromstring(response.content)
    assert root.findtext("error/code") == "413"
    assert "too large" in (root.findtext("error/description") or "")


@pytest.mark.parametrize(("url", "language"), [("/", "fr"), ("/en/", "en")])
def test_a_page_gets_a_small_page_in_its_language(client: Client, url: str, language: str) -> None:
    response = client.get(f"{url}?{MANY}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Language"] == language
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert ("Request refused" if language == "en" else "Requête refusée") in page
    assert "Content-Security-Policy" in response.headers


def test_an_oversize_form_on_a_page(client: Client) -> None:
    response = client.post(
        "/admin/login/", f"username={BIG}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.content.decode()


def test_other_bad_requests_keep_djangos_answer(client: Client) -> None:
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400
