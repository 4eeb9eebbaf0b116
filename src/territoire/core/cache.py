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
from django.db import connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

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


def bump_data_version(key: str = _KEY, cursor: CursorWrapper | None = None) -> None:
    """Mark the data under ``key`` as changed (default: the spine's published data).

    Call it in the transaction that writes the data (or after the write, in autocommit):
    the new version then becomes visible to other connections at the same instant as the
    data. A reader takes the version before it reads anything else, so it can cache fresh
    data under an old version (a key nobody asks for again) but never old data under the
    new one: one bump is enough.
    """
    # Raw SQL: this runs on every write of a busy module (each Open311 POST), which may
    # hand in the cursor of its other statements.
    if cursor is None:
        with connection.cursor() as own:
            return bump_data_version(key, own)
    cursor.execute("UPDATE core_dataversion SET version = version + 1 WHERE key = %s", [key])
    if cursor.rowcount:
        return
    from territoire.core.models import DataVersion

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


# --- Versions kept by the database itself -------------------------------------------------
#
# A counter bumped by triggers changes on every write to its tables, whoever writes: the
# ORM, ``update()`` and ``bulk_create`` (which send no signal), raw SQL, another process,
# a data migration. A cache of those tables then costs one indexed read per check.
# A missing row starts at a random value, not at 1: after a flush (tests) or a restore, a
# counter that restarted could otherwise meet the version of a snapshot of other data.

_SQLITE_BUMP = (
    "INSERT INTO core_dataversion (key, version) VALUES ('{key}', abs(random() % 2147483647) + 1)"
    " ON CONFLICT (key) DO UPDATE SET version = version + 1"
)
_POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION territoire_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_dataversion (key, version)
    VALUES (TG_ARGV[0], floor(random() * 2147483646)::bigint + 1)
    ON CONFLICT (key) DO UPDATE SET version = core_dataversion.version + 1;
    RETURN NULL;
END
$$
"""


# The keys kept by triggers (each app registers its own when imported). They describe the
# tables of this database and nothing else: a backup leaves them out, and a restore or a
# flush, whose writes fire the triggers, is empty even though they hold a row.
TRIGGER_VERSION_KEYS: set[str] = set()


def version_trigger_name(key: str, table: str, event: str = "") -> str:
    name = f"tv_{key.replace('.', '_')}_{table}" + (f"_{event}" if event else "")
    return name[:63]


def version_trigger_sql(vendor: str, key: str, table: str, columns: tuple[str, ...] = ()) -> list[str]:
    """Statements that (re)create the triggers bumping ``key`` on any write to ``table``.

    ``columns``: only an UPDATE of one of these counts (a key's ``last_used_at``, written
    by every use, does not). Identifiers and key come from the code, never from a user.
    """

    def quote(name: str) -> str:
        return f'"{name}"'

    of = f" OF {', '.join(quote(c) for c in columns)}" if columns else ""
    if vendor == "postgresql":
        name = quote(version_trigger_name(key, table))
        return [
            f"CREATE OR REPLACE TRIGGER {name} AFTER INSERT OR UPDATE{of} OR DELETE OR TRUNCATE"
            f" ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION territoire_bump_version('{key}')"
        ]
    if vendor == "sqlite":
        statements = []
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = quote(version_trigger_name(key, table, event.lower()))
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {event}{of if event == 'UPDATE' else ''} ON {quote(table)}"
                f" BEGIN {_SQLITE_BUMP.format(key=key)}; END",
            ]
        return statements
    raise NotImplementedError(f"no version triggers for the {vendor} backend")


def install_version_triggers(key: str, tables: dict[str, tuple[str, ...]], using: str = "default") -> None:
    """(Re)create ``key``'s triggers on ``tables`` (table → columns of an UPDATE that counts).

    Run after every ``migrate`` (a ``post_migrate`` receiver): SQLite drops a table's
    triggers when a migration rebuilds the table, and this puts them back. An existing
    version is bumped too: the tables may have changed while their triggers were missing.
    A missing one stays missing (a flushed database stays empty) until the first write.
    """
    db = connections[using]
    with transaction.atomic(using=using), db.cursor() as cursor:
        # A migration to an earlier state (``migrate reports zero``) leaves tables out.
        existing = set(db.introspection.table_names(cursor))
        if "core_dataversion" not in existing:
            return
        if db.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_FUNCTION)
        for table, columns in tables.items():
            if table not in existing:
                continue
            for statement in version_trigger_sql(db.vendor, key, table, columns):
                cursor.execute(statement)
        cursor.execute("UPDATE core_dataversion SET version = version + 1 WHERE key = %s", [key])
