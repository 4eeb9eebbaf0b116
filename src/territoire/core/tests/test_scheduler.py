"""Exactly one scheduler per installation, and one failing job does not stop the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from territoire.core import leases
from territoire.core.models import Lease
from territoire.core.scheduler import PeriodicJob

pytestmark = pytest.mark.django_db

COMMAND = "territoire.core.management.commands.scheduler"


@dataclass
class Enqueued:
    id: str


def _jobs(calls: list[str], failing: set[str]) -> dict[str, PeriodicJob]:
    def job(name: str) -> PeriodicJob:
        def enqueue() -> Enqueued:
            calls.append(name)
            if name in failing:
                raise RuntimeError(f"{name} broke")
            return Enqueued(id=f"{name}-1")

        return PeriodicJob(name=name, every_minutes=lambda: 5, enqueue=enqueue)

    return {name: job(name) for name in ("first", "second")}


def test_a_second_scheduler_refuses_to_run(monkeypatch: Any) -> None:
    calls: list[str] = []
    monkeypatch.setattr(f"{COMMAND}.jobs", lambda: _jobs(calls, set()))
    assert leases.acquire("scheduler", "other-host:123:abc", timedelta(seconds=90))
    with pytest.raises(CommandError, match="Another scheduler is running"):
        call_command("scheduler", "--once")
    assert calls == []


def test_an_expired_lease_is_taken_over_and_released(monkeypatch: Any) -> None:
    calls: list[str] = []
    monkeypatch.setattr(f"{COMMAND}.jobs", lambda: _jobs(calls, set()))
    Lease.objects.create(
        name="scheduler", holder="dead:1:x", expires_at=timezone.now() - timedelta(seconds=1)
    )
    call_command("scheduler", "--once")
    assert calls == ["first", "second"]
    assert not Lease.objects.filter(name="scheduler").exists()


def test_a_failing_enqueue_does_not_stop_the_others(monkeypatch: Any) -> None:
    calls: list[str] = []
    monkeypatch.setattr(f"{COMMAND}.jobs", lambda: _jobs(calls, {"first"}))
    call_command("scheduler", "--once")
    assert calls == ["first", "second"]


def test_a_lease_is_held_by_one_holder_until_it_expires() -> None:
    ttl = timedelta(seconds=90)
    assert leases.acquire("role", "a", ttl)
    assert not leases.acquire("role", "b", ttl)
    assert leases.acquire("role", "a", ttl)  # renewal
    leases.release("role", "b")  # not b's to release
    assert not leases.acquire("role", "b", ttl)
    leases.release("role", "a")
    assert leases.acquire("role", "b", ttl)
