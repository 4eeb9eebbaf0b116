"""Rate limits on public writes: 429 with Retry-After, per client address, reads untouched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.test import Client, RequestFactory

from territoire.core import ratelimit

MIDDLEWARE = "territoire.core.ratelimit.RateLimitMiddleware"
API_WRITE = "/api/v1/measurements"


class Clock:
    """Replaces ``time`` in the rate-limit module: time moves only when the test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    fake = Clock(1_800_000_000.0)  # the start of a minute (1_800_000_000 = 60 × 30_000_000)
    with mock.patch.object(ratelimit, "time", fake):
        yield fake


@pytest.fixture
def limited(settings: Any, clock: Clock) -> Clock:
    """The middleware right after SecurityHeadersMiddleware, with small limits."""
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE not in middleware:
        middleware.insert(
            middleware.index("territoire.core.middleware.SecurityHeadersMiddleware") + 1, MIDDLEWARE
        )
    settings.MIDDLEWARE = middleware
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "RATE_LIMITS": {"api_write": "3/m", "login": "2/m", "staff_write": "2/m"},
        "TRUSTED_PROXIES": ["10.0.0.0/8"],
    }
    return clock


def post_api(client: Client, ip: str = "203.0.113.1", **extra: Any) -> Any:
    return client.post(API_WRITE, data="{}", content_type="application/json", REMOTE_ADDR=ip, **extra)


def test_api_writes_over_the_limit_get_429_with_retry_after_in_json(db: Any, limited: Clock) -> None:
    client = Client()
    # Under the limit the request reaches the API (no token: 401).
    assert [post_api(client).status_code for _ in range(3)] == [401, 401, 401]
    limited.now += 15
    response = post_api(client)
    assert response.status_code == 429
    assert response["Retry-After"] == "45"  # the rest of the minute
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["errors"] == []
    assert "too many requests" in body["detail"]
    # Other write methods count in the same bucket.
    assert client.delete(API_WRITE, REMOTE_ADDR="203.0.113.1").status_code == 429


def test_each_client_address_has_its_own_counter(db: Any, limited: Clock) -> None:
    client = Client()
    for _ in range(3):
        post_api(client, ip="203.0.113.1")
    assert post_api(client, ip="203.0.113.1").status_code == 429
    assert post_api(client, ip="203.0.113.2").status_code == 401
    assert post_api(client, ip="2001:db8::1").status_code == 401


def test_reads_are_never_limited(db: Any, limited: Clock) -> None:
    client = Client()
    for _ in range(4):
        post_api(client)
    assert post_api(client).status_code == 429
    for _ in range(10):
        response = client.get("/api/v1/organisations", REMOTE_ADDR="203.0.113.1")
        assert response.status_code == 200
    assert client.get("/healthz/live", REMOTE_ADDR="203.0.113.1").status_code == 200


def test_the_window_resets_when_time_moves_on(db: Any, limited: Clock) -> None:
    client = Client()
    for _ in range(3):
        assert post_api(client).status_code == 401
    assert post_api(client).status_code == 429
    limited.now += 59.5
    retry = post_api(client)
    assert retry.status_code == 429
    assert retry["Retry-After"] == "1"  # never 0: "retry now" would be wrong half a second early
    limited.now += 0.5  # the next minute
    assert [post_api(client).status_code for _ in range(3)] == [401, 401, 401]
    assert post_api(client).status_code == 429


def test_login_is_limited_with_a_page_in_the_visitors_language(db: Any, limited: Clock) -> None:
    client = Client()
    credentials = {"username": "nobody", "password": "wrong password here"}
    for _ in range(2):
        assert client.post("/admin/login/", credentials, REMOTE_ADDR="198.51.100.7").status_code == 200
    response = client.post("/admin/login/", credentials, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) == 60
    page = response.content.decode()
    assert "<h1>Trop de demandes</h1>" in page
    assert "Réessayez dans 60 secondes." in page
    # The login form itself is a read.
    assert client.get("/admin/login/", REMOTE_ADDR="198.51.100.7").status_code == 200
    # Any path ending in /login/ shares the bucket (the accounts flows to come).
    assert ratelimit.bucket_for(_request("POST", "/comptes/login/")) == "login"


def test_staff_figure_pages_are_limited(db: Any, limited: Clock, organisation: Any) -> None:
    client = Client()
    path = "/t/99101/importer/"
    codes = [client.post(path, {}, REMOTE_ADDR="198.51.100.8").status_code for _ in range(3)]
    assert codes[:2] != [429, 429]
    assert codes[2] == 429
    english = "/en/t/99101/indicateurs/cyber.incidents/saisir/"
    assert client.post(english, {}, REMOTE_ADDR="198.51.100.8").status_code == 429


def test_a_trusted_proxy_passes_the_client_address_on(db: Any, limited: Clock) -> None:
    client = Client()
    # Behind the trusted proxy 10.0.0.5: the client is the right-most untrusted address;
    # the left part of the header (written by the client) cannot buy a fresh counter.
    for spoof in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        post_api(client, ip="10.0.0.5", HTTP_X_FORWARDED_FOR=f"{spoof}, 203.0.113.9, 10.0.0.7")
    blocked = post_api(client, ip="10.0.0.5", HTTP_X_FORWARDED_FOR="4.4.4.4, 203.0.113.9")
    assert blocked.status_code == 429
    assert post_api(client, ip="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 401
    # An untrusted peer's header is ignored: the peer itself is the client.
    for forwarded in ("5.5.5.5", "6.6.6.6", "7.7.7.7"):
        post_api(client, ip="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert post_api(client, ip="192.0.2.1", HTTP_X_FORWARDED_FOR="8.8.8.8").status_code == 429


def test_without_the_middleware_nothing_is_limited(db: Any, settings: Any, clock: Clock) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    client = Client()
    assert {post_api(client).status_code for _ in range(80)} == {401}


@pytest.mark.parametrize(
    ("text", "count", "seconds"), [("60/m", 60, 60), ("10/s", 10, 1), ("5/10s", 5, 10), ("100/h", 100, 3600)]
)
def test_parse_rate(text: str, count: int, seconds: int) -> None:
    assert ratelimit.parse_rate(text) == ratelimit.Rate(count, seconds)


@pytest.mark.parametrize("text", ["", "60", "60/x", "0/m", "a/m", "5/0s"])
def test_parse_rate_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="invalid rate"):
        ratelimit.parse_rate(text)


def _request(method: str, path: str) -> Any:
    return RequestFactory().generic(method, path)


@pytest.mark.parametrize(
    ("path", "seconds", "sentence"),
    [
        ("/t/200099001/signalements/nouveau/", 1, "Réessayez dans 1 seconde."),
        ("/en/t/200099001/signalements/nouveau/", 1, "Try again in 1 second."),
        ("/en/t/200099001/signalements/nouveau/", 30, "Try again in 30 seconds."),
    ],
)
def test_a_limited_page_answers_in_its_language(path: str, seconds: int, sentence: str) -> None:
    response = ratelimit.too_many(_request("POST", path), seconds)
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    assert sentence in response.content.decode()
    assert response["Content-Language"] == ("en" if path.startswith("/en/") else "fr")


def test_the_apis_keep_their_error_documents_when_limited() -> None:
    api = json.loads(ratelimit.too_many(_request("POST", "/api/v1/measurements"), 5).content)
    assert api["detail"].startswith("too many requests")
    open311 = json.loads(ratelimit.too_many(_request("POST", "/open311/v2/requests.json"), 5).content)
    assert open311[0]["code"] == 429
