"""Page and fragment caching invalidated by a database-held version counter.

Reading the version costs one indexed query; a change anywhere in the modules whose
manifest says ``publishes`` (the territory, indicators and roadmap) bumps it (signals, and explicitly after bulk writes), so a cached page is never served
after the figure it shows has changed, whichever worker renders it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from territoire.core.models import DataVersion

_KEY = "published"
# Versions a page depends on. The spine's data ("published": the modules whose manifest
# says ``publishes``) is under every page; a busy module counts its own writes under its
# own key (``Manifest.data_versions``, e.g. "reports"), so that a new resident report
# does not empty the cache of the dashboards, only of the pages that list reports.
DEFAULT_VERSIONS: tuple[str, ...] = (_KEY,)


def data_version(*keys: str) -> int:
    """The sum of the named counters (default: the spine's); any bump of one changes it.

    Counters only grow, so the sum is a version of everything the page depends on.
    ``data_version("*")`` covers every counter (the API's cache, which serves every module).
    """
    keys = keys or DEFAULT_VERSIONS
    # Raw SQL: this runs on every cached page view, where the ORM's query building
    # would cost more than the query itself.
    with connection.cursor() as cursor:
        if keys == ("*",):
            cursor.execute("SELECT COALESCE(SUM(version), 0) FROM core_dataversion")
        else:
            placeholders = ", ".join(["%s"] * len(keys))
            cursor.execute(
                f"SELECT COALESCE(SUM(version), 0) FROM core_dataversion WHERE key IN ({placeholders})",  # noqa: S608 (placeholders only)
                list(keys),
            )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def bump_data_version(key: str = _KEY) -> None:
    """Mark the data under ``key`` as changed (default: the spine's published data).

    Call it in the transaction that writes the data (``core.actions.action`` does), or
    after the write in autocommit: the new version then becomes visible to other
    connections at the same instant as the data. A reader takes the version before it
    reads anything else, so it can cache fresh data under an old version (a key nobody
    asks for again) but never old data under the new one: one bump is enough.
    """
    if DataVersion.objects.filter(key=key).update(version=F("version") + 1):
        return
    _row, created = DataVersion.objects.get_or_create(key=key, defaults={"version": 1})
    if not created:  # another connection created it meanwhile
        DataVersion.objects.filter(key=key).update(version=F("version") + 1)


def serve_cached(
    request: HttpRequest, respond: Callable[[], HttpResponse], versions: tuple[str, ...] = DEFAULT_VERSIONS
) -> HttpResponse:
    """Serve ``request`` from the cache at the current data version, or respond and keep it.

    The key is the path, query string and language, taken before any work, so a hit
    costs one query. Only plain 200 responses are kept (no cookie, no CSRF token); an
    error (a 404 for an unknown scope) is never cached.
    """
    # Hashed: a path may be long or hold characters no cache backend takes in a key.
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    scope = "+".join(versions)
    key = f"territoire:{scope}:{data_version(*versions)}:page:{get_language()}:{path}"
    hit = cache.get(key)
    if hit is not None:
        content, content_type = hit
        return HttpResponse(content, content_type=content_type)
    response = respond()
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    ):
        cache.set(key, (response.content, response["Content-Type"]), 600)
    return response


def public_page(
    view: Callable[..., HttpResponse] | None = None, *, versions: tuple[str, ...] = DEFAULT_VERSIONS
) -> Any:
    """Serve anonymous GETs of a public page from the cache (staff always see it live).

    ``public_page(view)`` depends on the spine's data; a module's page that also shows its
    own data names its counter too: ``public_page(view, versions=("published", "reports"))``.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET" or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            return serve_cached(request, lambda: view(request, *args, **kwargs), versions)

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
