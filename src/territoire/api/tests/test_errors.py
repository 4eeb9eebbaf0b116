"""Errors are JSON, name the offending field and carry the right status; never a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db

LISTS = ["/communes", "/zones", "/organisations/200000001/projects", "/measurements"]
GETS = [
    "/organisations",
    "/organisations/200000001",
    "/communes",
    "/communes/99101",
    "/zones",
    "/organisations/200000001/axes",
    "/organisations/200000001/objectives",
    "/organisations/200000001/projects",
    "/indicators",
    "/measurements",
]


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


def test_bad_page_size_is_422_naming_the_field(client: Client, organisation: Organisation) -> None:
    for path in LISTS:
        for page_size in ["0", "501", "-3", "abc", "1.5"]:
            body = error(client.get(f"/api/v1{path}?page_size={page_size}"), 422)
            assert fields(body) == ["page_size"], (path, page_size)
            assert "page_size" in body["detail"]


def test_bad_page_is_422(client: Client, organisation: Organisation) -> None:
    for path in LISTS:
        for page in ["0", "-1", "x"]:
            assert fields(error(client.get(f"/api/v1{path}?page={page}"), 422)) == ["page"], (path, page)


def test_both_bad_paging_parameters_are_reported(client: Client, organisation: Organisation) -> None:
    body = error(client.get("/api/v1/communes?page=0&page_size=0"), 422)
    assert sorted(fields(body)) == ["page", "page_size"]


def test_a_page_far_beyond_the_end_is_empty_not_a_crash(client: Client, organisation: Organisation) -> None:
    for path in LISTS:
        response = client.get(f"/api/v1{path}?page={10**20}&page_size=500")
        assert response.status_code == 200, path
        assert response.json()["results"] == []


def test_bad_filter_value_names_the_field(client: Client, organisation: Organisation) -> None:
    body = error(client.get("/api/v1/measurements?period_from=yesterday"), 422)
    assert fields(body) == ["period_from"]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Token abc", "Bearer ", "Basic dXNlcjpwYXNz", "bearer"],
)
def test_a_bad_authorization_header_on_get_is_401(
    client: Client, organisation: Organisation, header: str
) -> None:
    for path in GETS:
        response = client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=header)
        body = error(response, 401)
        assert fields(body) == ["Authorization"], path
        assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_or_expired_token_on_get_is_401(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    revoked = make_token(organisation, write=False)
    ApiToken.objects.filter(organisation=organisation).update(revoked_at=timezone.now())
    expired = make_token(organisation, write=False, expires_at=timezone.now() - timedelta(minutes=1))
    for raw in (revoked, expired):
        body = error(client.get("/api/v1/communes", HTTP_AUTHORIZATION=f"Bearer {raw}"), 401)
        assert "token" in body["detail"]


def test_a_valid_token_on_get_is_accepted(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation, write=False)
    for path in GETS:
        assert client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200, path


def test_write_without_token_is_401(client: Client, organisation: Organisation) -> None:
    response = client.post("/api/v1/measurements", data={"measurements": []}, content_type="application/json")
    assert fields(error(response, 401)) == ["Authorization"]


def test_write_with_a_read_only_token_is_403(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation, write=False)
    row = {
        "indicator": "cyber.taux_mfa",
        "scope": "99101",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "value": 50,
    }
    response = client.post(
        "/api/v1/measurements",
        data={"measurements": [row]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    error(response, 403)


def test_write_for_an_unknown_scope_is_422_naming_the_item(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation)
    row = {
        "indicator": "cyber.taux_mfa",
        "scope": "99999",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "value": 50,
    }
    response = client.post(
        "/api/v1/measurements",
        data={"measurements": [row]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert fields(error(response, 422)) == ["measurements.0.scope"]


@pytest.mark.parametrize(("data", "content_type"), [("{not json", "application/json"), ("a=1", "text/plain")])
def test_unparsable_body_is_400(
    client: Client, organisation: Organisation, make_token: Callable[..., str], data: str, content_type: str
) -> None:
    raw = make_token(organisation)
    response = client.post(
        "/api/v1/measurements", data=data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert fields(error(response, 400)) == ["body"]


def test_missing_body_field_is_422(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation)
    response = client.post(
        "/api/v1/measurements", data={}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert fields(error(response, 422)) == ["measurements"]


def test_unknown_api_path_is_a_json_404(client: Client, db: Any) -> None:
    for path in ["/nope", "/communes/99101/extra", "/organisations/200000001/unknown", "/communes/"]:
        error(client.get(f"/api/v1{path}"), 404)
        error(client.post(f"/api/v1{path}", data={}, content_type="application/json"), 404)


def test_wrong_method_is_a_json_405(client: Client, organisation: Organisation) -> None:
    response = client.delete("/api/v1/communes")
    error(response, 405)
    assert "GET" in response["Allow"]
