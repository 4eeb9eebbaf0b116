"""The page cache: versions, the lag behind a busy module, one renderer, visitors' own tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.template import engines
from django.test import RequestFactory, override_settings

from territoire.core import cache as page_cache
from territoire.core.cache import bump_data_version, personal, serve_cached
from territoire.core.models import DataVersion

pytestmark = pytest.mark.django_db

VERSIONS = ("published", "busy")


class Counter:
    """A view that says how many times it rendered."""

    def __init__(self) -> None:
        self.renders = 0

    def __call__(self) -> HttpResponse:
        self.renders += 1
        return HttpResponse(f"render {self.renders}")


def get(path: str = "/page/", **cookies: str) -> HttpRequest:
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    return request


def lag(seconds: float) -> override_settings:
    return override_settings(TERRITOIRE={**settings.TERRITOIRE, "PAGE_CACHE_LAG_SECONDS": seconds})


def test_a_kept_page_is_served_until_a_counter_moves() -> None:
    view = Counter()
    assert serve_cached(get(), view, VERSIONS).content == b"render 1"
    assert serve_cached(get(), view, VERSIONS).content == b"render 1"
    bump_data_version("busy")
    assert serve_cached(get(), view, VERSIONS).content == b"render 2"
    bump_data_version("published")
    assert serve_cached(get(), view, VERSIONS).content == b"render 3"


def test_a_busy_module_may_lead_by_the_lag_and_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(page_cache.time, "time", lambda: clock[0])
    view = Counter()
    with lag(10):
        serve_cached(get(), view, VERSIONS)
        bump_data_version("busy")
        clock[0] += 9
        assert serve_cached(get(), view, VERSIONS).content == b"render 1"  # within the lag
        clock[0] += 2
        assert serve_cached(get(), view, VERSIONS).content == b"render 2"  # past it


def test_the_spine_never_lags() -> None:
    view = Counter()
    with lag(3600):
        serve_cached(get(), view, VERSIONS)
        bump_data_version("published")
        assert serve_cached(get(), view, VERSIONS).content == b"render 2"


def test_one_worker_renders_while_the_others_serve_the_kept_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(page_cache.time, "time", lambda: clock[0])
    view = Counter()
    with lag(10):
        serve_cached(get(), view, VERSIONS)
        bump_data_version("busy")
        clock[0] += 60

        def meanwhile() -> HttpResponse:
            # Another worker asks while this one renders: it gets the kept copy.
            assert serve_cached(get(), view, VERSIONS).content == b"render 1"
            return view()

        assert serve_cached(get(), meanwhile, VERSIONS).content == b"render 2"
        assert view.renders == 2
        assert serve_cached(get(), view, VERSIONS).content == b"render 2"


def test_errors_cookies_and_written_sessions_are_not_kept() -> None:
    def not_found() -> HttpResponse:
        return HttpResponse("no", status=404)

    def with_cookie() -> HttpResponse:
        response = HttpResponse("mine")
        response.set_cookie("x", "1")
        return response

    for respond in (not_found, with_cookie):
        serve_cached(get("/p/"), respond, VERSIONS)
        assert serve_cached(get("/p/"), Counter(), VERSIONS).content == b"render 1"


def test_a_session_or_message_cookie_is_personal_a_csrf_cookie_is_not() -> None:
    assert not personal(get())
    assert not personal(get(**{settings.CSRF_COOKIE_NAME: "x", settings.LANGUAGE_COOKIE_NAME: "en"}))
    assert personal(get(**{settings.SESSION_COOKIE_NAME: "x"}))
    assert personal(get(messages="x"))


FORM = engines["django"].from_string('<form method="post">{% csrf_token %}</form>')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_each_visitor_gets_their_own_csrf_token_in_a_kept_form() -> None:
    def form(request: HttpRequest) -> Callable[[], HttpResponse]:
        return lambda: HttpResponse(FORM.render({}, request))

    first = get()
    first_page = serve_cached(first, form(first), VERSIONS).content.decode()
    second = get()
    second_page = serve_cached(second, Counter(), VERSIONS).content.decode()  # from the cache
    assert "render" not in second_page
    first_token = TOKEN.search(first_page)
    second_token = TOKEN.search(second_page)
    assert first_token
    assert second_token
    # The second visitor's token unmasks to their own secret, not the first visitor's.
    assert _unmask_cipher_token(second_token.group(1)) == second.META["CSRF_COOKIE"]
    assert second.META["CSRF_COOKIE"] != first.META["CSRF_COOKIE"]
    assert second.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # the middleware sets their cookie
    # A visitor who already has a cookie keeps it.
    third = get(**{settings.CSRF_COOKIE_NAME: "k" * 32})
    third.META["CSRF_COOKIE"] = "k" * 32  # as the CSRF middleware reads it
    third_page = serve_cached(third, Counter(), VERSIONS).content.decode()
    third_token = TOKEN.search(third_page)
    assert third_token
    assert _unmask_cipher_token(third_token.group(1)) == "k" * 32


def test_a_process_copy_is_never_staler_than_the_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    view = Counter()
    worker_a, worker_b = page_cache._LocalPages(8), page_cache._LocalPages(8)
    monkeypatch.setattr(page_cache, "_local", worker_a)
    serve_cached(get(), view, VERSIONS)
    bump_data_version("busy")
    monkeypatch.setattr(page_cache, "_local", worker_b)
    assert serve_cached(get(), view, VERSIONS).content == b"render 2"
    # Worker A's own copy is behind the counter: it takes worker B's from the shared cache.
    monkeypatch.setattr(page_cache, "_local", worker_a)
    assert serve_cached(get(), view, VERSIONS).content == b"render 2"
    assert view.renders == 2


def test_a_copy_lives_no_longer_than_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(page_cache.time, "time", lambda: clock[0])
    view = Counter()
    serve_cached(get(), view, VERSIONS, timeout=60)
    clock[0] += 59
    assert serve_cached(get(), view, VERSIONS, timeout=60).content == b"render 1"
    clock[0] += 2
    assert serve_cached(get(), view, VERSIONS, timeout=60).content == b"render 2"


def test_the_process_keeps_a_bounded_number_of_pages() -> None:
    pages = page_cache._LocalPages(2)
    entry = page_cache.Kept(b"", "text/html", 0, 0.0, float("inf"))
    for key in ("a", "b", "c"):
        pages.put(key, entry)
    assert list(pages.entries) == ["b", "c"]


@pytest.mark.django_db(transaction=True)  # outside a transaction, as a web worker reads
def test_a_process_trusts_the_versions_it_read_for_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    bump_data_version("published")
    with override_settings(TERRITOIRE={**settings.TERRITOIRE, "PAGE_CACHE_VERSION_SECONDS": 1}):
        before = page_cache._versions(("published",))
        # Another process's write: this one sees it once the second is over.
        DataVersion.objects.filter(key="published").update(version=F("version") + 5)
        assert page_cache._versions(("published",)) == before
        clock[0] += 1.5
        assert page_cache._versions(("published",))["published"] == before["published"] + 5
        # Its own writes, at once.
        bump_data_version("published")
        assert page_cache._versions(("published",))["published"] == before["published"] + 6


def test_versions_read_inside_a_transaction_are_not_trusted_later() -> None:
    with override_settings(TERRITOIRE={**settings.TERRITOIRE, "PAGE_CACHE_VERSION_SECONDS": 60}):
        page_cache._versions(("published",))  # the test runs inside a transaction
        assert ("published",) not in page_cache._read_versions


def test_the_process_copy_serves_without_the_shared_cache() -> None:
    view = Counter()
    with override_settings(TERRITOIRE={**settings.TERRITOIRE, "PAGE_CACHE_LOCAL_PAGES": 8}):
        serve_cached(get(), view, VERSIONS)
        cache.clear()  # the shared cache forgets it; this process still holds its copy
        assert serve_cached(get(), view, VERSIONS).content == b"render 1"
    # Without copies per process (the tests' setting), the shared cache is all there is.
    cache.clear()
    assert serve_cached(get(), view, VERSIONS).content == b"render 2"
