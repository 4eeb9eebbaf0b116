"""Migration 0010: the French columns start with the text already there, and the default
statuses an organisation kept get their English."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0009_email_confirmation")]
AFTER = [("reports", "0010_legal_translations")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_french_is_copied_and_default_statuses_get_english() -> None:
    old = _migrate(BEFORE)
    organisation = old.get_model("territory", "Organisation").objects.create(
        siren="200000009", name="CC Migrée", kind="CC", slug="cc-migree"
    )
    statuses = old.get_model("reports", "ReportStatus").objects
    statuses.create(organisation=organisation, code="resolu", label="Résolu", open311_state="closed")
    statuses.create(organisation=organisation, code="nouveau", label="Reçu", open311_state="open")
    old.get_model("reports", "ServiceCategory").objects.create(
        organisation=organisation, service_code="voirie", name="Voirie", group="Rues", type="realtime"
    )
    try:
        new = _migrate(AFTER)
        migrated = {s.code: s for s in new.get_model("reports", "ReportStatus").objects.all()}
        assert (migrated["resolu"].label_fr, migrated["resolu"].label_en) == ("Résolu", "Resolved")
        # A label the organisation changed keeps no English it never had.
        assert (migrated["nouveau"].label_fr, migrated["nouveau"].label_en) == ("Reçu", None)
        category = new.get_model("reports", "ServiceCategory").objects.get()
        assert (category.name_fr, category.group_fr, category.name_en) == ("Voirie", "Rues", None)
    finally:
        _migrate(_latest())
