"""Notification e-mails go through the task queue, never inside a request.

``send_later(subject, body, recipients)`` enqueues one ``deliver_mail`` task per recipient
once the caller's transaction commits (no mail about a change that was rolled back, and a
slow or down mail server never slows the request). The worker sends it; a failed send is
retried a bounded number of times with an exponential backoff: django-tasks 0.12 has no
retry of its own, so the task re-enqueues itself with ``run_after`` and an attempt counter.
The last failure is raised, so the task result is FAILED and visible to the operators.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
# Seconds before the second attempt; doubled for each following one (1, 2, 4, 8 min).
DEFAULT_BACKOFF_SECONDS = 60


def max_attempts() -> int:
    return max(1, int(settings.TERRITOIRE.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def backoff(attempt: int) -> dt.timedelta:
    """The wait before attempt ``attempt + 1`` (attempt counts from 1)."""
    base = int(settings.TERRITOIRE.get("MAIL_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS))
    return dt.timedelta(seconds=base * 2 ** (attempt - 1))


@task()
def deliver_mail(
    subject: str, body: str, recipient: str, from_email: str | None = None, attempt: int = 1
) -> int:
    """Send one message; on failure re-enqueue itself later until ``max_attempts()``."""
    try:
        return int(send_mail(subject, body, from_email, [recipient], fail_silently=False))
    except Exception:
        if attempt >= max_attempts():
            logger.exception("mail: giving up after %s attempts", attempt)
            raise
        logger.warning("mail: attempt %s failed, retrying later", attempt, exc_info=True)
        retry = deliver_mail
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + backoff(attempt))
        retry.enqueue(subject, body, recipient, from_email, attempt + 1)
        return 0


def send_later(subject: str, body: str, recipients: Iterable[str], *, from_email: str | None = None) -> int:
    """Queue one message per recipient (no one sees another's address), after commit.

    Returns the number of messages queued. Subject and body are plain strings (translated
    by the caller: the worker has no request language).
    """
    targets = sorted({r for r in recipients if r})
    subject, body = str(subject), str(body)

    def enqueue() -> None:
        for recipient in targets:
            try:
                deliver_mail.enqueue(subject, body, recipient, from_email)
            except Exception:  # a queue that refuses must not turn a saved change into an error
                logger.exception("mail: could not queue a message")

    transaction.on_commit(enqueue)
    return len(targets)
