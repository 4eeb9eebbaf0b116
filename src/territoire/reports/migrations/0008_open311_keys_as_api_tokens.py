"""An Open311 application key becomes an API token limited to the reports module.

Each key is copied into ``api.ApiToken`` with its hash, prefix, organisation (none: the
whole installation), dates of creation, last use and revocation, and the right to write
to ``reports`` only; the reports and the pending queued requests that name a key then
name its token, and the key table goes. The raw keys held by applications keep working:
their hash is the same. Reversible: going back copies the tokens limited to ``reports``
into keys again (and deletes those tokens).
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

MODULES = ["reports"]


def keys_to_tokens(apps: Any, schema_editor: Any) -> None:
    key_model = apps.get_model("reports", "Open311ApiKey")
    token_model = apps.get_model("api", "ApiToken")
    report_model = apps.get_model("reports", "Report")
    queued_model = apps.get_model("reports", "QueuedRequest")
    db = schema_editor.connection.alias
    tokens: dict[int, int] = {}
    for key in key_model.objects.using(db).order_by("pk"):
        token = token_model.objects.using(db).create(
            name=key.name,
            organisation_id=key.organisation_id,
            can_write=True,
            modules=MODULES,
            key_hash=key.key_hash,
            key_prefix=key.key_prefix,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )
        token_model.objects.using(db).filter(pk=token.pk).update(created_at=key.created_at)
        tokens[key.pk] = token.pk
        report_model.objects.using(db).filter(api_key_id=key.pk).update(api_token_id=token.pk)
    _renumber_queue(queued_model, db, tokens)
    _check_now(schema_editor)


def tokens_to_keys(apps: Any, schema_editor: Any) -> None:
    key_model = apps.get_model("reports", "Open311ApiKey")
    token_model = apps.get_model("api", "ApiToken")
    report_model = apps.get_model("reports", "Report")
    queued_model = apps.get_model("reports", "QueuedRequest")
    db = schema_editor.connection.alias
    keys: dict[int, int] = {}
    for token in token_model.objects.using(db).order_by("pk"):
        if token.modules != MODULES:
            continue
        key = key_model.objects.using(db).create(
            name=token.name,
            organisation_id=token.organisation_id,
            key_hash=token.key_hash,
            key_prefix=token.key_prefix,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )
        key_model.objects.using(db).filter(pk=key.pk).update(created_at=token.created_at)
        keys[token.pk] = key.pk
        report_model.objects.using(db).filter(api_token_id=token.pk).update(api_key_id=key.pk)
    _renumber_queue(queued_model, db, keys)
    token_model.objects.using(db).filter(pk__in=list(keys)).delete()
    _check_now(schema_editor)


def _check_now(schema_editor: Any) -> None:
    """PostgreSQL checks foreign keys at commit; the schema changes that follow in this
    transaction cannot alter a table with checks pending: run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _renumber_queue(queued_model: Any, db: str, mapping: dict[int, int]) -> None:
    """Pending queued requests name their key by id in their payload."""
    for queued in queued_model.objects.using(db).filter(state="pending"):
        old = queued.payload.get("api_key")
        if old in mapping:
            queued.payload["api_key"] = mapping[old]
            queued.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0003_token_open311"),
        ("reports", "0007_reportevent_created_at_no_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="api_token",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reports",
                to="api.apitoken",
                verbose_name="application",
            ),
        ),
        migrations.RunPython(keys_to_tokens, tokens_to_keys),
        migrations.RemoveField(model_name="report", name="api_key"),
        migrations.RenameField(model_name="report", old_name="api_token", new_name="api_key"),
        migrations.DeleteModel(name="Open311ApiKey"),
    ]
