"""Page and fragment caching invalidated by a database-held version counter.

Reading the version costs one indexed query; a change anywhere in the published apps
bumps it (signals, and explicitly after bulk writes), so a cached page is never served
after the figure it shows has changed, whichever worker renders it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models import F

PUBLISHED_APPS = frozenset({"territory", "indicators", "roadmap"})
_KEY = "published"


def data_version() -> int:
    from territoire.core.models import DataVersion

    value = DataVersion.objects.filter(key=_KEY).values_list("version", flat=True).first()
    return value or 0


def bump_data_version() -> None:
    from territoire.core.models import DataVersion

    def bump() -> None:
        updated = DataVersion.objects.filter(key=_KEY).update(version=F("version") + 1)
        if not updated:
            DataVersion.objects.get_or_create(key=_KEY, defaults={"version": 1})

    # Bump now (so reads within the transaction see it) and again after commit, so a
    # page rendered between the two from the old data is not kept.
    bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bump)


def cached(key: str, build: Callable[[], str], timeout: int = 600) -> str:
    """Return the cached text for ``key`` at the current data version, building it if absent."""
    full_key = f"territoire:{data_version()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout)
    return str(value)
