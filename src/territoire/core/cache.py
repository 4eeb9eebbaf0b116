"""Page and fragment caching invalidated by a database-held version counter.

Reading the version costs one indexed query; a change anywhere in the modules whose
manifest says ``publishes`` (the territory, indicators and roadmap) bumps it (signals, and explicitly after bulk writes), so a cached page is never served
after the figure it shows has changed, whichever worker renders it.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from territoire import __version__
from territoire.core.models import DataVersion

_KEY = "published"
# Versions a page depends on. The spine's data ("published": the modules whose manifest
# says ``publishes``) is under every page; a busy module counts its own writes under its
# own key (``Manifest.data_versions``, e.g. "reports"), so that a new resident report
# does not empty the cache of the dashboards, only of the pages that list reports.
DEFAULT_VERSIONS: tuple[str, ...] = (_KEY,)
DEFAULT_LAG_SECONDS = 10
DEFAULT_VERSION_SECONDS = 1
DEFAULT_TIMEOUT = 600
# Pages each process keeps in memory before the shared cache (a few MB).
LOCAL_PAGES = 256


def data_version(*keys: str) -> int:
    """The sum of the named counters (default: the spine's); any bump of one changes it.

    Counters only grow, so the sum is a version of everything the page depends on.
    ``data_version("*")`` covers every counter (the API's cache, which serves every module).
    """
    keys = keys or DEFAULT_VERSIONS
    if keys == ("*",):
        return sum(_versions(None).values())
    return sum(_versions(keys).values())


def _versions(keys: tuple[str, ...] | None) -> dict[str, int]:
    """The named counters (all of them for ``None``), in one query.

    A process reads them at most once per ``PAGE_CACHE_VERSION_SECONDS`` (1 s by default):
    a cached page then costs no query at all, and a changed figure reaches every visitor
    within that second (``bench/README.md`` has the figures).
    """
    now = time.monotonic()
    memo = _read_versions.get(keys)
    if memo is not None and now - memo[1] < version_seconds():
        return memo[0]
    # Raw SQL: this runs on every cached page view, where the ORM's query building
    # would cost more than the query itself.
    with connection.cursor() as cursor:
        if keys is None:
            cursor.execute("SELECT key, version FROM core_dataversion")
        else:
            placeholders = ", ".join(["%s"] * len(keys))
            cursor.execute(
                f"SELECT key, version FROM core_dataversion WHERE key IN ({placeholders})",  # noqa: S608 (placeholders only)
                list(keys),
            )
        counters = {key: int(version) for key, version in cursor.fetchall()}
    if not connection.in_atomic_block:  # inside a transaction, they may yet roll back
        _read_versions[keys] = (counters, now)
    return counters


# The counters as this process last read them, and when (time.monotonic()).
_read_versions: dict[tuple[str, ...] | None, tuple[dict[str, int], float]] = {}


def version_seconds() -> float:
    """How long a process trusts the counters it read (``PAGE_CACHE_VERSION_SECONDS``)."""
    return float(settings.TERRITOIRE.get("PAGE_CACHE_VERSION_SECONDS", DEFAULT_VERSION_SECONDS))


def bump_data_version(key: str = _KEY) -> None:
    """Mark the data under ``key`` as changed (default: the spine's published data).

    Call it in the transaction that writes the data (``core.actions.action`` does), or
    after the write in autocommit: the new version then becomes visible to other
    connections at the same instant as the data. A reader takes the version before it
    reads anything else, so it can cache fresh data under an old version (a key nobody
    asks for again) but never old data under the new one: one bump is enough.
    """
    _read_versions.clear()  # this process sees its own writes at once
    if DataVersion.objects.filter(key=key).update(version=F("version") + 1):
        return
    _row, created = DataVersion.objects.get_or_create(key=key, defaults={"version": 1})
    if not created:  # another connection created it meanwhile
        DataVersion.objects.filter(key=key).update(version=F("version") + 1)


# The CSRF token of a form is the visitor's own: a page is kept with a mark in its place,
# and each visitor's token is written into the copy they are served.
_CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(")')
_CSRF_MARK = b"__territoire_csrf_token__"


def lag_seconds() -> float:
    """How long a page may lag behind a busy module's counter (``PAGE_CACHE_LAG_SECONDS``)."""
    return float(settings.TERRITOIRE.get("PAGE_CACHE_LAG_SECONDS", DEFAULT_LAG_SECONDS))


def personal(request: HttpRequest) -> bool:
    """Whether the request carries a cookie of its own (a session, flash messages…).

    Such a visitor may be shown something of theirs (a message after filing a report, a
    pending photo); their pages stay live. A CSRF or language cookie is not personal.
    """
    shared = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return any(name not in shared for name in request.COOKIES)


def serve_cached(
    request: HttpRequest,
    respond: Callable[[], HttpResponse],
    versions: tuple[str, ...] = DEFAULT_VERSIONS,
    timeout: int = DEFAULT_TIMEOUT,
) -> HttpResponse:
    """Serve ``request`` from the cache at the current data versions, or respond and keep it.

    The key is the path, query string, language and the spine's version, taken before any
    work, so a hit costs one query for the versions and one cache read. The spine's figures
    are never served stale. A busy module's own counter (``Manifest.data_versions``, e.g.
    "reports") may be ahead of a kept page by at most ``PAGE_CACHE_LAG_SECONDS``: a storm of
    reports then renders each page once per lag, not once per report, and only one worker
    renders it while the others serve the kept copy. The visitor who wrote has a session
    cookie and sees live pages (``personal``).

    Only plain 200 responses are kept (no cookie set, no session written); an error (a 404
    for an unknown scope) is never cached. A form's CSRF token is the visitor's own.
    """
    # Hashed: a path may be long or hold characters no cache backend takes in a key.
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    if versions == ("*",):  # the API: every counter, none stale
        strict, busy = sum(_versions(None).values()), 0
    else:
        counters = _versions(versions)
        strict = sum(counters.get(key, 0) for key in versions if key == _KEY)
        busy = sum(counters.get(key, 0) for key in versions if key != _KEY)
    key = f"territoire:{'+'.join(versions)}:{strict}:page:{_release()}:{get_language()}:{path}"
    now = time.time()
    lag = lag_seconds()

    def fresh(entry: Kept) -> bool:
        return entry.busy == busy or now - entry.rendered_at < lag

    kept = _local.get(key, now)
    if kept is None or not fresh(kept):
        shared = cache.get(key)
        if isinstance(shared, Kept):
            kept = shared
            _local.put(key, shared)
    # One worker renders the new copy; the others serve the kept one meanwhile.
    if kept is not None and (fresh(kept) or not cache.add(f"{key}:rendering", 1, timeout=max(lag, 5))):
        return _served(request, kept)
    try:
        response = respond()
    finally:
        if kept is not None:
            cache.delete(f"{key}:rendering")
    session = getattr(request, "session", None)
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (session is not None and session.modified)
    ):
        content = _CSRF_VALUE.sub(rb"\1" + _CSRF_MARK + rb"\2", response.content)
        entry = Kept(content, response["Content-Type"], busy, now, now + timeout)
        cache.set(key, entry, timeout)
        _local.put(key, entry)
    return response


class Kept(NamedTuple):
    """A kept page: its bytes, the busy modules' counter it was made at, when, until when."""

    content: bytes
    content_type: str
    busy: int
    rendered_at: float
    expires_at: float


class _LocalPages:
    """This process's copies of the last pages served, before the shared cache.

    A hit then costs the versions' query and no read of the shared cache (a query of its
    own with the database cache; ``bench/README.md`` has the figures). The copies are keyed
    exactly as in the shared cache, versions included, so they are never staler than it.
    """

    def __init__(self, size: int | None = None) -> None:
        self.size = size  # None: ``PAGE_CACHE_LOCAL_PAGES``
        self.entries: OrderedDict[str, Kept] = OrderedDict()
        self.lock = threading.Lock()

    def capacity(self) -> int:
        if self.size is not None:
            return self.size
        return int(settings.TERRITOIRE.get("PAGE_CACHE_LOCAL_PAGES", LOCAL_PAGES))

    def get(self, key: str, now: float) -> Kept | None:
        if not self.capacity():
            return None
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= now:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Kept) -> None:
        size = self.capacity()
        if not size:
            return
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_local = _LocalPages()


def clear_local() -> None:
    """Forget this process's copies and counters (tests: a rollback brings former versions back)."""
    _local.clear()
    _read_versions.clear()


def _release() -> str:
    """The release and Territoire's settings: an upgrade or a changed setting (a map's tiles)
    starts from an empty page cache rather than serve pages made by the former one."""
    return hashlib.sha256(f"{__version__}{settings.TERRITOIRE!r}".encode()).hexdigest()[:12]


def _served(request: HttpRequest, kept: Kept) -> HttpResponse:
    content = kept.content
    if _CSRF_MARK in content:
        # get_token() has the CSRF middleware set the cookie when the visitor has none.
        content = content.replace(_CSRF_MARK, get_token(request).encode())
    return HttpResponse(content, content_type=kept.content_type)


def public_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    versions: tuple[str, ...] = DEFAULT_VERSIONS,
    timeout: int = DEFAULT_TIMEOUT,
) -> Any:
    """Serve anonymous GETs of a public page from the cache (staff always see it live).

    ``public_page(view)`` depends on the spine's data; a module's page that also shows its
    own data names its counter too: ``public_page(view, versions=("published", "reports"))``.
    Visitors with a session or flash messages (``personal``) see it live.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET" or request.user.is_authenticated or personal(request):
                return view(request, *args, **kwargs)
            return serve_cached(request, lambda: view(request, *args, **kwargs), versions, timeout)

        return wrapper

    return decorate(view) if view is not None else decorate


class PublicApiCacheMiddleware:
    """The same cache for anonymous reads of the JSON API (a token's reads stay live)."""

    prefix = "/api/v1/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
            and request.path.startswith(self.prefix)
            and "HTTP_AUTHORIZATION" not in request.META
        ):
            return serve_cached(request, lambda: self.get_response(request), ("*",))
        return self.get_response(request)
