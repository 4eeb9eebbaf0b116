"""Periodic jobs: apps declare them in their ``tasks.py``; ``territoire scheduler`` enqueues them.

The work itself runs in the task workers (``territoire db_worker``, django-tasks'
database backend), so one machine runs web, worker and scheduler processes, and
workers scale out on PostgreSQL. Run exactly one scheduler per installation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_minutes: Callable[[], int]
    enqueue: Callable[[], Any]


_jobs: dict[str, PeriodicJob] = {}


def periodic(name: str, every_minutes: Callable[[], int], task: Any) -> None:
    """Declare that ``task`` (a django-tasks Task) is enqueued every ``every_minutes()`` minutes."""
    _jobs[name] = PeriodicJob(name=name, every_minutes=every_minutes, enqueue=task.enqueue)


def jobs() -> dict[str, PeriodicJob]:
    autodiscover_modules("tasks")
    return dict(_jobs)
