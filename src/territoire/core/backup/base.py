"""The archive's format, its errors and manifest, and which models a backup holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "territoire-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_DIR = "db/"
MEDIA_DIR = "media/"
CHUNK = 2000
HASH_BLOCK = 1 << 20

# Rebuilt by ``migrate`` (content types, permissions) or transient (sessions, the
# scheduler's lease: a restored lease would keep the new scheduler waiting for a process
# of the old host): never dumped, and allowed to hold rows in the target of a restore.
EXCLUDED = {"contenttypes.contenttype", "auth.permission", "sessions.session", "core.lease"}
# Referred to by natural key: their ids differ from one database to another.
NATURAL: tuple[type[models.Model], ...] = (ContentType, Permission)

Progress = Callable[[str], None]


class ArchiveError(Exception):
    """The archive is not a readable, intact, compatible Territoire backup."""


class TargetNotEmptyError(Exception):
    """The database to restore into already holds rows."""


@dataclass
class BackupSummary:
    path: Path
    counts: dict[str, int]
    media_files: int
    size: int
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


@dataclass
class Manifest:
    data: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def models(self) -> list[dict[str, Any]]:
        return list(self.data["models"])

    @property
    def media(self) -> list[dict[str, Any]]:
        return list(self.data["media"])


def _noop(message: str) -> None:
    return None


# --- which models -------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete, managed model of every installed app, minus ``EXCLUDED``.

    Generic on purpose: a new app's tables (and a library's, such as MFA devices) are
    in the backup without anyone remembering to list them.
    """
    result = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in EXCLUDED:
            continue
        result.append(model)
    return result


def model_of(label: str) -> type[models.Model]:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise ArchiveError(
            f"the archive holds rows of {label}, a model this installation does not have"
        ) from exc
    if model not in backed_up_models():
        raise ArchiveError(f"the archive holds rows of {label}, which a backup never contains")
    return model


def backed_up_rows(model: type[models.Model]) -> models.QuerySet[Any]:
    """The rows of ``model`` that a backup holds (all of them, the cache versions included)."""
    return model._base_manager.using(connection.alias)


def non_empty_models() -> dict[str, int]:
    """Row counts of the backed-up models that hold rows (empty dict: the target is empty)."""
    counts = {}
    for model in backed_up_models():
        count = backed_up_rows(model).count()
        if count:
            counts[model._meta.label_lower] = count
    return counts


def applied_migrations() -> dict[str, list[str]]:
    recorder = MigrationRecorder(connection)
    result: dict[str, list[str]] = {}
    for app_label, name in sorted(recorder.applied_migrations()):
        result.setdefault(app_label, []).append(name)
    return result


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
