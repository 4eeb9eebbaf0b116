"""The one way to write the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from territoire.core.models import AuditEvent


def record(
    action: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    obj: models.Model | None = None,
    organisation_id: int | None = None,
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    user: Any = actor if isinstance(actor, AbstractBaseUser) else None
    label = actor_label or (user.get_username() if user is not None else "system")
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        organisation_id=organisation_id,
        changes=changes or {},
        ip_address=ip_address,
    )
