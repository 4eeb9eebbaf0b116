"""Migration 0003: residents' addresses in their normal form; collisions reported, not fatal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("participation", "0002_census_attempts_auto_hide_review")]
AFTER = [("participation", "0003_normalise_participant_emails")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_addresses_are_normalised_and_duplicates_made_inactive_with_an_audit_record() -> None:
    old = _migrate(BEFORE)
    user_model = old.get_model("auth", "User")
    participant_model = old.get_model("participation", "Participant")
    now = timezone.now()

    def resident(address: str, *, verified: bool, age_days: int) -> Any:
        user = user_model.objects.create(username=address, email=address)
        participant = participant_model.objects.create(user=user, email_verified_at=now if verified else None)
        participant_model.objects.filter(pk=participant.pk).update(
            created_at=now - dt.timedelta(days=age_days)
        )
        return participant

    try:
        original = resident("voter@example.org", verified=True, age_days=10)
        twin = resident("voter@example.org\u200b", verified=True, age_days=5)
        solo = resident("Solo@Example.ORG", verified=False, age_days=3)
        unverified_first = resident("late@example.org", verified=False, age_days=9)
        verified_later = resident("LATE@example.org", verified=True, age_days=1)
        new = _migrate(AFTER)
        users = new.get_model("auth", "User").objects
        audit = new.get_model("core", "AuditEvent").objects

        def user_of(participant: Any) -> Any:
            return users.get(pk=participant.user_id)

        assert (user_of(original).username, user_of(original).is_active) == ("voter@example.org", True)
        assert user_of(twin).is_active is False
        assert user_of(solo).username == user_of(solo).email == "solo@example.org"
        # The oldest *verified* account is kept, even if an unverified one is older.
        assert (user_of(verified_later).username, user_of(verified_later).is_active) == (
            "late@example.org",
            True,
        )
        assert user_of(unverified_first).is_active is False
        records = {
            int(e.object_id): e.changes
            for e in audit.filter(action="participation.duplicate_account_deactivated")
        }
        assert records == {
            twin.pk: {
                "kept_participant": original.pk,
                "rule": "oldest verified account kept",
                "online_ballots": 0,
            },
            unverified_first.pk: {
                "kept_participant": verified_later.pk,
                "rule": "oldest verified account kept",
                "online_ballots": 0,
            },
        }
    finally:
        _migrate(_latest())
