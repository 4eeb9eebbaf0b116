"""System checks of the installation: a shared cache under several workers, private files.

Registered from ``CoreConfig.ready``; ``territoire check`` runs them, and gunicorn's
``on_starting`` hook (``gunicorn.conf.py``) runs the cache check with the worker count it
was given, refusing to start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

# Caches that each process keeps for itself: a counter in one is not seen by the others.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def web_workers() -> int:
    """The number of gunicorn workers as the environment sets it (gunicorn's own default)."""
    try:
        return max(1, int(os.environ.get("WEB_CONCURRENCY", "1")))
    except ValueError:
        return 1


def cache_errors(workers: int) -> list[CheckMessage]:
    """An error if the default cache is per process while ``workers`` processes serve the site."""
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    if workers <= 1 or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is kept per process, and the web "
            f"server runs {workers} workers: every rate limit would be multiplied by {workers}.",
            hint="Use the database cache (CACHE_BACKEND=database, its table made by `territoire migrate`) "
            "or Redis (CACHE_BACKEND=redis, CACHE_LOCATION=redis://…), or run one worker.",
            id="territoire.E001",
        )
    ]


@register("caches", deploy=False)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return cache_errors(web_workers())


def _exposed(path: Path) -> bool:
    """Whether the group or others may read, write or enter ``path``."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False


def private_paths() -> list[Path]:
    """The data folder, and the SQLite database with its journal files, when they exist."""
    var_dir = Path(settings.VAR_DIR)
    paths = [var_dir]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = str(database["NAME"])
        if name and name != ":memory:" and not name.startswith("file:"):
            paths += [Path(name + suffix) for suffix in ("", "-wal", "-shm")]
    for name in ("secret_key", "media"):
        paths.append(var_dir / name)
    return [p for p in paths if p.exists()]


@register("security")
def check_private_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    exposed = [p for p in private_paths() if _exposed(p)]
    if not exposed:
        return []
    return [
        Warning(
            "Other accounts of this machine may read the platform's data: "
            + ", ".join(f"{p} ({stat.filemode(p.stat().st_mode)})" for p in exposed),
            hint=f"chmod -R go-rwx {settings.VAR_DIR} (the service creates its files 0600 and its "
            "folders 0700 from now on).",
            id="territoire.W002",
        )
    ]
