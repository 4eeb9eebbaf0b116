"""What the core gives every module: URL and menu discovery, marked rate limits, CSP for tiles."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from territoire.core import ratelimit
from territoire.core.context_processors import module_navigation
from territoire.core.middleware import content_security_policy, tile_origin


@pytest.fixture
def public_limit(settings: Any) -> Any:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "RATE_LIMITS": {"public_write": "2/m"}}
    with mock.patch.object(ratelimit, "time", mock.Mock(time=lambda: 1_800_000_000.0)):
        yield


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_a_marked_view_counts_its_writes_not_its_reads(public_limit: Any) -> None:
    def marked(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    view = ratelimit.rate_limited("public_write")(marked)
    middleware = ratelimit.RateLimitMiddleware(lambda request: view(request))
    factory = RequestFactory()

    def call(method: str) -> HttpResponse | None:
        request = getattr(factory, method)("/t/200000001/signalements/nouveau/", REMOTE_ADDR="198.51.100.7")
        return middleware.process_view(request, view, (), {})

    assert [call("get") for _ in range(5)] == [None] * 5
    assert [call("post") for _ in range(2)] == [None, None]
    refused = call("post")
    assert refused is not None
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_an_unmarked_view_is_not_limited(public_limit: Any) -> None:
    middleware = ratelimit.RateLimitMiddleware(_view)
    request = RequestFactory().post("/t/200000001/", REMOTE_ADDR="198.51.100.7")
    assert all(middleware.process_view(request, _view, (), {}) is None for _ in range(5))


@pytest.mark.parametrize(("suffix", "content_type"), [(".xml", "text/xml"), (".json", "application/json")])
def test_open311_posts_are_limited_with_the_open311_error_shape(
    db: Any, public_limit: Any, suffix: str, content_type: str
) -> None:
    client = Client()
    path = f"/open311/v2/requests{suffix}"
    for _ in range(2):
        client.post(path, {}, REMOTE_ADDR="198.51.100.8")
    response = client.post(path, {}, REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 429
    assert response["Content-Type"].startswith(content_type)
    assert b"429" in response.content
    assert response["Retry-After"]


def test_the_csp_allows_the_configured_tile_server_only(settings: Any) -> None:
    assert "img-src 'self' data:;" in content_security_policy()
    settings.TERRITOIRE = {**settings.TERRITOIRE, "MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png"}
    assert tile_origin() == "https://tiles.example.org"
    assert "img-src 'self' data: https://tiles.example.org;" in content_security_policy()
    settings.TERRITOIRE = {**settings.TERRITOIRE, "MAP_TILE_URL": "javascript:alert(1)"}
    assert tile_origin() == ""


def test_modules_add_menu_entries_that_resolve(client: Client, organisation: Any) -> None:
    for _label, url_name in module_navigation():
        from django.urls import reverse

        assert reverse(url_name, args=[organisation.siren])
    response = client.get(f"/t/{organisation.siren}/")
    assert response.status_code == 200
