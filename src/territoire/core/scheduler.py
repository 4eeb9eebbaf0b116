"""Periodic jobs: modules declare them in their manifest; ``territoire scheduler`` enqueues them.

The work itself runs in the task workers (``territoire db_worker``, django-tasks'
database backend), so one machine runs web, worker and scheduler processes, and
workers scale out on PostgreSQL. Run exactly one scheduler per installation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from territoire.core import modules


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_minutes: Callable[[], int]
    enqueue: Callable[[], Any]


def jobs() -> dict[str, PeriodicJob]:
    """Every module's ``Manifest.periodic`` jobs, by name (tasks resolved now)."""
    return {
        job.name: PeriodicJob(
            name=job.name, every_minutes=job.every_minutes, enqueue=modules.resolve(job.task).enqueue
        )
        for job in modules.periodic()
    }
