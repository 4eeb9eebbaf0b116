"""Leases: one process at a time for a named role (``core.models.Lease``)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from territoire.core.models import Lease


def acquire(name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew ``name`` for ``holder`` until now + ``ttl``; False if another holds it."""
    now = timezone.now()
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=now + ttl)
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=now + ttl)
    except IntegrityError:
        return False  # held by another process, and not expired
    return True


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()


def current(name: str) -> Lease | None:
    return Lease.objects.filter(name=name).first()
