"""Store residents' addresses in their normal form (issue 17: one resident, one voice).

Before this, ``Alice@Example.org`` and ``alice@example.org\\u200b`` made two accounts for
one mailbox. Each resident's address (and username, which signs in) becomes
``normalise_email(address)``. When several accounts fold into one mailbox:

- the account kept is the oldest *verified* one (verified first, then the earliest
  created; if none is verified, the earliest created);
- every other one is made inactive (it can no longer sign in, vote or report) and keeps
  its former spelling, renamed ``inactive-<id>-…`` so that the normal form stays free;
- each such account gets an audit record ``participation.duplicate_account_deactivated``
  naming the account kept and the number of online ballots the duplicate cast, for
  staff to review (the ballots are not deleted by a migration).

An address that cannot be normalised is left as it is, with an audit record
``participation.email_not_normalised``. Nothing here raises: a collision is reported.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.db import migrations

from territoire.core.emails import normalise_email


def _record(apps: Any, action: str, participant: Any, changes: dict[str, Any]) -> None:
    audit = apps.get_model("core", "AuditEvent")
    commune = participant.commune
    audit.objects.create(
        actor=None,
        actor_label="system",
        action=action,
        object_type="participation.participant",
        object_id=str(participant.pk),
        organisation_id=commune.organisation_id if commune is not None else None,
        changes=changes,
    )


def normalise(apps: Any, schema_editor: Any) -> None:
    participant_model = apps.get_model("participation", "Participant")
    ballot_model = apps.get_model("participation", "Ballot")
    groups: dict[str, list[Any]] = {}
    for participant in participant_model.objects.select_related("user", "commune").order_by("pk"):
        user = participant.user
        try:
            normal = normalise_email(user.email or user.username)
        except ValidationError:
            _record(apps, "participation.email_not_normalised", participant, {"user": user.pk})
            continue
        groups.setdefault(normal, []).append(participant)
    user_model = participant_model._meta.get_field("user").related_model
    reported = 0
    for normal, members in groups.items():
        members.sort(key=lambda p: (p.email_verified_at is None, p.created_at, p.pk))
        keeper, duplicates = members[0], members[1:]
        for duplicate in duplicates:
            user = duplicate.user
            user.is_active = False
            user.username = f"inactive-{user.pk}-{user.username}"[:150]
            user.save(update_fields=["is_active", "username"])
            _record(
                apps,
                "participation.duplicate_account_deactivated",
                duplicate,
                {
                    "kept_participant": keeper.pk,
                    "rule": "oldest verified account kept",
                    "online_ballots": ballot_model.objects.filter(participant=duplicate).count(),
                },
            )
            reported += 1
        user = keeper.user
        if user.username == normal and user.email == normal:
            continue
        taken = user_model.objects.filter(username=normal).exclude(pk=user.pk).exists()
        if taken:  # a staff account spelled so: leave both, for staff to look at
            _record(apps, "participation.email_not_normalised", keeper, {"user": user.pk, "taken": True})
            continue
        user.username = normal
        user.email = normal
        user.save(update_fields=["username", "email"])
    if reported:
        sys.stdout.write(
            f"\n  participation: {reported} duplicate account(s) made inactive (see the audit trail)\n"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0002_census_attempts_auto_hide_review"),
        ("core", "0003_lease"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
