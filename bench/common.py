"""Shared pieces of the benchmark scripts."""

from __future__ import annotations

import os
from pathlib import Path


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def territoire_env(var_dir: Path, db_path: Path) -> dict[str, str]:
    """A command's environment: everything under ``var_dir``, development profile, no debug.

    Whatever the calling shell points at (another database, a shared cache, a default
    organisation, a secret) must not leak into the measurement.
    """
    env = dict(os.environ)
    env.update(
        TERRITOIRE_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{db_path}",
        TERRITOIRE_ENV="development",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CACHE_BACKEND", "CACHE_LOCATION", "TERRITOIRE_DEFAULT_ORGANISATION", "SECRET_KEY"):
        env.pop(name, None)
    return env
