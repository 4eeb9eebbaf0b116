"""territoire scheduler [--once]: enqueue the periodic jobs of every app when they are due."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from territoire.core.scheduler import jobs


class Command(BaseCommand):
    help = "Enqueue periodic jobs (indicator computation, ...) for the task workers (territoire db_worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        registered = jobs()
        if not registered:
            self.stdout.write("No periodic job registered.")
            return
        next_run = dict.fromkeys(registered, 0.0)
        while True:
            now = time.monotonic()
            for name, job in registered.items():
                if now >= next_run[name]:
                    result = job.enqueue()
                    self.stdout.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} enqueued {name} ({result.id})")
                    next_run[name] = now + 60 * job.every_minutes()
            if options["once"]:
                return
            time.sleep(max(1.0, min(next_run.values()) - time.monotonic()))
