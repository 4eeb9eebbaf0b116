"""Migration 0008: an Open311 key becomes an API token limited to reports, and back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0007_reportevent_created_at_no_index"), ("api", "0002_token_modules")]
AFTER = [("reports", "0008_open311_keys_as_api_tokens")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_keys_become_tokens_with_their_reports_and_come_back() -> None:
    old = _migrate(BEFORE)
    organisation = old.get_model("territory", "Organisation").objects.create(
        siren="200000009", name="CC", kind="epci", slug="cc"
    )
    commune = old.get_model("territory", "Commune").objects.create(
        insee_code="99109", name="Une", organisation=organisation
    )
    category = old.get_model("reports", "ServiceCategory").objects.create(
        organisation=organisation, service_code="voirie", name="Voirie"
    )
    status = old.get_model("reports", "ReportStatus").objects.create(
        organisation=organisation, code="nouveau", label="Nouveau", open311_state="open"
    )
    key = old.get_model("reports", "Open311ApiKey").objects.create(
        name="Appli", key_hash="a" * 64, key_prefix="o311_abcdefgh"
    )
    report = old.get_model("reports", "Report").objects.create(
        organisation=organisation, commune=commune, category=category, status=status, api_key=key
    )
    try:
        new = _migrate(AFTER)
        token = new.get_model("api", "ApiToken").objects.get()
        assert (token.name, token.key_hash, token.key_prefix) == ("Appli", "a" * 64, "o311_abcdefgh")
        assert (token.organisation_id, token.modules, token.can_write) == (None, ["reports"], True)
        assert new.get_model("reports", "Report").objects.get(pk=report.pk).api_key_id == token.pk
        back = _migrate(BEFORE)
        key = back.get_model("reports", "Open311ApiKey").objects.get()
        assert key.key_hash == "a" * 64
        assert back.get_model("reports", "Report").objects.get(pk=report.pk).api_key_id == key.pk
        assert not back.get_model("api", "ApiToken").objects.exists()
    finally:
        _migrate(_latest())


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return list(executor.loader.graph.leaf_nodes())
