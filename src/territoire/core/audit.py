"""The one way to write the audit trail."""

from __future__ import annotations

from typing import Any, TypedDict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from typing_extensions import Unpack

from territoire.core.models import AuditEvent


class Fields(TypedDict, total=False):
    """What an audit record says besides its action; every key is optional."""

    actor: AbstractBaseUser | AnonymousUser | None
    actor_label: str
    # The object written (its id is recorded).
    obj: models.Model | None
    organisation_id: int | None
    changes: dict[str, Any] | None
    ip_address: str | None


def record(action: str, **fields: Unpack[Fields]) -> AuditEvent:
    """Write one audit record now (in the caller's transaction, if any)."""
    actor = fields.get("actor")
    obj = fields.get("obj")
    user: Any = actor if isinstance(actor, AbstractBaseUser) else None
    label = fields.get("actor_label") or (user.get_username() if user is not None else "system")
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        organisation_id=fields.get("organisation_id"),
        changes=fields.get("changes") or {},
        ip_address=fields.get("ip_address"),
    )
