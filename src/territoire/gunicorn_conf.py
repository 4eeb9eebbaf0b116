"""gunicorn's configuration for Territoire.

``gunicorn --config gunicorn.conf.py`` in a checkout (the Procfile's ``web:`` line, ``make
demo``), ``gunicorn --config python:territoire.gunicorn_conf`` in an installed release
(the production unit, docs/operations.md). Environment: ``TERRITOIRE_BIND`` (default 127.0.0.1:8000),
``WEB_CONCURRENCY`` (workers, default 2), ``WEB_THREADS`` (threads per worker, default 4). Before the first worker starts, the system
check of the cache runs with the worker count: a per-process cache under several
workers refuses to start (each worker would keep its own rate limits).
"""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "territoire.wsgi:application"
bind = os.environ.get("TERRITOIRE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads per worker: a request waiting on the database (PostgreSQL's commit, a round trip)
# leaves the worker to the others (bench/README.md has the storm's figures).
threads = int(os.environ.get("WEB_THREADS", "4"))
accesslog = "-"
# Files created by the server and its workers: readable by the service's account only.
umask = 0o077
os.umask(umask)


def on_starting(server: Any) -> None:
    """Refuse to start when the default cache is per process and workers are several."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "territoire.settings")
    from territoire.core.checks import cache_errors

    errors = cache_errors(int(server.cfg.workers))
    if errors:
        # gunicorn prints a RuntimeError raised here and exits with status 1.
        raise RuntimeError("; ".join(f"{e.id}: {e.msg} {e.hint}" for e in errors))
