"""The one way a service writes: a transaction, an audit record and the data versions.

Every write of a domain service is an *action*, in the manner of Zulip's ``do_*``
functions: the service checks the caller's rights, then opens ``action(...)``, writes
with the ORM inside it and, when the block ends without an exception, the audit record
is written and the data versions the write changes are bumped, in the same transaction.
An exception rolls everything back: no half-written change and no audit record of a
change that did not happen.

```python
with action("roadmap.update_project", actor=user, obj=project, versions=("published",)) as act:
    project.progress = 40
    project.save()
    act.changes = {"progress": [old, 40]}
```

The object may be created inside the block: set ``act.obj`` once it has an id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction

from territoire.core import audit
from territoire.core.cache import bump_data_version

PUBLISHED = "published"


@dataclass
class Action:
    """What the audit record of an action will say; the block may complete it."""

    name: str
    actor: AbstractBaseUser | AnonymousUser | None = None
    actor_label: str = ""
    obj: models.Model | None = None
    organisation_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    ip_address: str | None = None
    versions: tuple[str, ...] = (PUBLISHED,)
    # False for a write that must not be audited one by one (a resident's "+1" is
    # counted, not logged); the versions are still bumped.
    audited: bool = True


@contextmanager
def action(
    name: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    obj: models.Model | None = None,
    organisation_id: int | None = None,
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
    versions: tuple[str, ...] = (PUBLISHED,),
    audited: bool = True,
) -> Iterator[Action]:
    """Run the block in one transaction, then audit it and bump ``versions`` (see module doc).

    ``versions=()`` for a write that changes nothing a cached page shows.
    """
    act = Action(
        name=name,
        actor=actor,
        actor_label=actor_label,
        obj=obj,
        organisation_id=organisation_id,
        changes=dict(changes or {}),
        ip_address=ip_address,
        versions=versions,
        audited=audited,
    )
    with transaction.atomic():
        yield act
        if act.audited:
            audit.record(
                act.name,
                actor=act.actor,
                actor_label=act.actor_label,
                obj=act.obj,
                organisation_id=act.organisation_id,
                changes=act.changes,
                ip_address=act.ip_address,
            )
        for key in act.versions:
            bump_data_version(key)
