"""Backup and restore: one archive holding the database, the uploaded files and a manifest.

The archive is a ZIP file (readable with any unzip tool) with:

- ``db/<app_label>.<model>.jsonl``: the rows of one model, one JSON object a line
  (Django's JSON Lines serialisation, primary keys kept). Content types and permissions
  are referred to by natural key, since ``migrate`` recreates them with other ids.
  The form is portable: a SQLite dump restores into PostgreSQL and the reverse.
- ``media/<path>``: every file under ``MEDIA_ROOT``.
- ``manifest.json`` (written last): format version, application version, creation
  time, database vendor, applied migrations, the row count of each model and the
  SHA-256 and size of every other member.

The dump is taken inside one read transaction, so it is a consistent snapshot while
the site keeps running (PostgreSQL: REPEATABLE READ, READ ONLY; SQLite: a deferred
read transaction, a snapshot in WAL mode). Rows are streamed in chunks: the database is
never held in memory.

A restore first verifies the whole archive (every SHA-256, every count, every row
deserialised), then loads every row into an empty database in one transaction, so a
corrupt or tampered archive writes nothing. Inserts bypass ``Model.save`` (as
``loaddata`` does): append-only models such as measurements and audit events keep
their ids and timestamps.
"""

from territoire.core.backup.base import (
    FORMAT_VERSION,
    ArchiveError,
    BackupSummary,
    Manifest,
    Progress,
    TargetNotEmptyError,
    _noop,
    applied_migrations,
    backed_up_models,
    backed_up_rows,
    human_size,
    non_empty_models,
)
from territoire.core.backup.dump import backup, default_name, snapshot
from territoire.core.backup.load import restore
from territoire.core.backup.verify import verify

__all__ = [
    "FORMAT_VERSION",
    "ArchiveError",
    "BackupSummary",
    "Manifest",
    "Progress",
    "TargetNotEmptyError",
    "_noop",
    "applied_migrations",
    "backed_up_models",
    "backed_up_rows",
    "backup",
    "default_name",
    "human_size",
    "non_empty_models",
    "restore",
    "snapshot",
    "verify",
]
