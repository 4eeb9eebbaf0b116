"""A NUL character anywhere in a request: 400 at the edge, in the shape of the API asked.

PostgreSQL refuses NUL in text parameters: before the middleware, each of these requests
ended in a 500 on PostgreSQL (found by the Open311 fuzz test), and some still would on
a path the tests below do not name. They run in both passes of ``make test``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from django.test import Client

from territoire.core.models import AuditEvent
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db

NUL_URLS = [
    "/t/%00/",
    "/t/200099001/indicateurs/%00/",
    "/t/200099001/signalements/?categorie=%00",
    "/en/t/%00/projets/",
    "/admin/login/?next=%00",
    "/?q=x%00y",
    "/?%00=1",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_pages(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    english = url.startswith("/en/")
    assert response["Content-Language"] == ("en" if english else "fr")
    assert f'<html lang="{"en" if english else "fr"}">' in page
    assert "U+0000" in page
    assert ("Request refused" if english else "Requête refusée") in page
    assert "\x00" not in page


def test_a_page_says_where_the_nul_character_is(client: Client) -> None:
    assert "dans le champ « q »" in client.get("/?q=x%00y").content.decode()
    assert "dans le nom d’un paramètre" in client.get("/?%00=1").content.decode()
    assert "in the address of the page" in client.get("/en/t/%00/projets/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/requests.json?service_code=%00",
        "/open311/v2/services/%00.json",
        "/open311/v2/requests/%00.json",
        "/open311/v2/requests.json?jurisdiction_id=99101&start_date=2026-01-01%00",
    ],
)
def test_open311_json(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body[0]["code"] == 400
    assert "NUL" in body[0]["description"]


def test_open311_xml(client: Client) -> None:
    response = client.get("/open311/v2/services/%00.xml")
    assert response.status_code == 400
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    assert (root.findtext("error/description") or "").startswith("path:")


def test_open311_post_names_the_parameter(client: Client) -> None:
    response = client.post(
        "/open311/v2/requests.json",
        "api_key=x&service_code=voirie&description=trou%00&lat=47&long=2",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert json.loads(response.content)[0]["description"].startswith("description:")


@pytest.mark.parametrize(
    "url",
    ["/api/v1/communes?organisation=%00", "/api/v1/zones?commune=%00", "/api/v1/indicators?organisation=%00"],
)
def test_api_get(
    client: Client, organisation: Organisation, make_token: Callable[..., str], url: str
) -> None:
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {make_token(organisation)}")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_url_encoded_form_field(client: Client) -> None:
    before = AuditEvent.objects.count()
    response = client.post(
        "/admin/login/", "username=agent%00&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert AuditEvent.objects.count() == before


def test_a_multipart_form_is_left_to_its_form(client: Client) -> None:
    # Django's form fields refuse NUL themselves: the page says so, with the form.
    response = client.post("/admin/login/", {"username": "agent\x00", "password": "x"})
    assert response.status_code == 200
    assert "Le caractère nul n’est pas autorisé." in response.content.decode()


def test_a_request_without_nul_goes_through(client: Client) -> None:
    assert client.get("/open311/v2/discovery.json?q=%01").status_code == 200
