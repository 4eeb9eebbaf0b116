"""Notification e-mails through the task queue: after commit, retried with a backoff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from territoire.core import mail as core_mail

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_send_later_queues_one_message_per_recipient_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = core_mail.send_later(
            "Objet", "Corps", ["b@example.org", "a@example.org", "a@example.org", ""]
        )
        assert mail.outbox == []  # nothing sent inside the transaction
    assert queued == 2
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    assert all(len(m.to) == 1 for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_for_a_rolled_back_change() -> None:
    def change() -> None:
        with transaction.atomic():
            core_mail.send_later("Objet", "Corps", ["a@example.org"])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change()
    assert mail.outbox == []


@pytest.mark.django_db
def test_with_the_database_queue_the_request_sends_nothing_and_the_worker_does(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=True):
        core_mail.send_later("Objet", "Corps", ["a@example.org"])
    assert mail.outbox == []  # a slow mail server cannot slow the request
    row = DBTaskResult.objects.get()
    assert row.task_path == "territoire.core.mail.deliver_mail"
    # What the worker runs:
    assert core_mail.deliver_mail.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]) == 1
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


@pytest.mark.django_db
def test_a_failed_send_is_retried_later_with_a_growing_backoff(settings: Any, monkeypatch: Any) -> None:
    settings.TASKS = DATABASE_QUEUE

    def down(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(core_mail, "send_mail", down)
    assert core_mail.deliver_mail.call("Objet", "Corps", "a@example.org") == 0
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["args"][-1] == 2  # the attempt counter
    assert retry.run_after is not None
    wait = retry.run_after - retry.enqueued_at
    assert dt.timedelta(seconds=50) < wait < dt.timedelta(seconds=70)
    core_mail.deliver_mail.call(*retry.args_kwargs["args"])
    second = DBTaskResult.objects.exclude(pk=retry.pk).get()
    assert second.args_kwargs["args"][-1] == 3
    assert second.run_after is not None
    assert second.run_after - second.enqueued_at > dt.timedelta(seconds=110)


@pytest.mark.django_db
def test_retries_are_bounded_and_a_later_attempt_can_succeed(monkeypatch: Any) -> None:
    calls: list[int] = []
    real = core_mail.send_mail

    def flaky(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("smtp down")
        return int(real(*args, **kwargs))

    monkeypatch.setattr(core_mail, "send_mail", flaky)
    core_mail.deliver_mail.enqueue("Objet", "Corps", "a@example.org")  # immediate backend in tests
    assert len(calls) == 3
    assert [m.to for m in mail.outbox] == [["a@example.org"]]

    calls.clear()

    def down(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(core_mail, "send_mail", down)
    result = core_mail.deliver_mail.enqueue("Objet", "Corps", "b@example.org")
    assert len(calls) == core_mail.max_attempts()
    assert result.status == "SUCCESSFUL"  # the first attempt handed over to a retry
