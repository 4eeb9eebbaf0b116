"""territoire scheduler [--once]: enqueue the periodic jobs of every app when they are due.

Exactly one scheduler runs per installation: it holds the ``scheduler`` lease in the
database and renews it on every turn of its loop; a second one, started by mistake on
this machine or another, refuses to start while that lease is alive. A job whose
enqueue fails is logged and tried again a minute later; the others go on.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
import uuid
from datetime import timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.core import leases
from territoire.core.scheduler import jobs

logger = logging.getLogger(__name__)

LEASE = "scheduler"
# Renewed at least every third of it: a scheduler that died frees the role within this time.
LEASE_TTL = timedelta(seconds=90)
RETRY_AFTER_FAILURE = 60.0


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # run the finally: blocks (the lease is released)


class Command(BaseCommand):
    help = "Enqueue periodic jobs (indicator computation, ...) for the task workers (territoire db_worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        registered = jobs()
        if not registered:
            self.stdout.write("No periodic job registered.")
            return
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if not leases.acquire(LEASE, holder, LEASE_TTL):
            other = leases.current(LEASE)
            raise CommandError(
                f"Another scheduler is running ({other.holder if other else '?'}); "
                "run exactly one per installation. It frees its place when it stops, "
                f"or {int(LEASE_TTL.total_seconds())} s after it stopped renewing it."
            )
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            self._loop(registered, holder, once=options["once"])
        finally:
            signal.signal(signal.SIGTERM, previous)
            leases.release(LEASE, holder)

    def _loop(self, registered: dict[str, Any], holder: str, *, once: bool) -> None:
        next_run = dict.fromkeys(registered, 0.0)
        while True:
            now = time.monotonic()
            for name, job in registered.items():
                if now < next_run[name]:
                    continue
                try:
                    result = job.enqueue()
                except Exception:
                    # One job's failure (a database hiccup, a bad job) must not stop the others.
                    logger.exception("Scheduler: could not enqueue %s; next try in a minute", name)
                    self.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} could not enqueue {name}")
                    next_run[name] = now + RETRY_AFTER_FAILURE
                    continue
                self.stdout.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} enqueued {name} ({result.id})")
                next_run[name] = now + 60 * job.every_minutes()
            if once:
                return
            pause = min(next_run.values()) - time.monotonic()
            time.sleep(min(max(1.0, pause), LEASE_TTL.total_seconds() / 3))
            if not leases.acquire(LEASE, holder, LEASE_TTL):
                raise CommandError("The scheduler lease was taken by another scheduler; stopping.")
