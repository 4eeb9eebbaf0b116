"""Write an archive: every backed-up row and uploaded file, then the manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import django
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db import connection, models, transaction
from django.db.models import Prefetch

import territoire
from territoire.core.backup.base import (
    CHUNK,
    DB_DIR,
    FORMAT,
    FORMAT_VERSION,
    HASH_BLOCK,
    MANIFEST,
    MEDIA_DIR,
    NATURAL,
    BackupSummary,
    Progress,
    _noop,
    applied_migrations,
    backed_up_models,
    backed_up_rows,
)


class _Encoder(DjangoJSONEncoder):
    """Django's encoder keeps milliseconds only (as JavaScript does): keep microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            value = o.isoformat()
            return value[:-6] + "Z" if value.endswith("+00:00") else value
        return super().default(o)


class _Serializer(JsonlSerializer):
    """JSON Lines with primary keys kept and natural keys only for ``NATURAL`` models."""

    _current: dict[str, Any]

    def _init_options(self) -> None:
        super()._init_options()  # type: ignore[misc]
        self.json_kwargs["cls"] = _Encoder

    def handle_fk_field(self, obj: models.Model, field: Any) -> None:
        if issubclass(field.remote_field.model, NATURAL):
            related = getattr(obj, field.name)
            self._current[field.name] = related.natural_key() if related else None
        else:
            super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: Any) -> None:
        if field.remote_field.through._meta.auto_created and issubclass(field.remote_field.model, NATURAL):
            self._current[field.name] = [related.natural_key() for related in getattr(obj, field.name).all()]
        else:
            super().handle_m2m_field(obj, field)


def _rows(model: type[models.Model]) -> Iterator[models.Model]:
    """Every row of a model in primary-key order, with its relations fetched per chunk."""
    meta = model._meta
    queryset = backed_up_rows(model).order_by(meta.pk.name)
    natural_fks = [
        f.name
        for f in meta.concrete_fields
        if f.is_relation and f.related_model is not None and issubclass(f.related_model, NATURAL)  # type: ignore[arg-type]
    ]
    if natural_fks:
        queryset = queryset.select_related(*natural_fks)
    prefetches: list[str | Prefetch[Any]] = []
    for m2m in meta.many_to_many:
        through: Any = m2m.remote_field.through
        if not through._meta.auto_created:
            continue  # an explicit through model is dumped as a model of its own
        target: Any = m2m.remote_field.model
        if issubclass(target, Permission):
            prefetches.append(Prefetch(m2m.name, queryset=Permission.objects.select_related("content_type")))
        elif issubclass(target, NATURAL):
            prefetches.append(m2m.name)
        else:
            prefetches.append(Prefetch(m2m.name, queryset=target._base_manager.only("pk")))
    if prefetches:
        queryset = queryset.prefetch_related(*prefetches)
    return queryset.iterator(chunk_size=CHUNK)


class _HashingWriter(io.RawIOBase):
    """Counts and hashes the bytes written through it into a ZIP member."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.sha.update(chunk)
        self.size += len(chunk)
        self.lines += chunk.count(b"\n")
        self.target.write(chunk)
        return len(chunk)


@contextmanager
def snapshot() -> Iterator[None]:
    """One read transaction: every query inside sees the same state of the database."""
    if connection.in_atomic_block:
        # Already inside a transaction (tests): it is the snapshot.
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        # Django opens SQLite transactions with BEGIN IMMEDIATE (a write lock); a plain
        # BEGIN is a read transaction that does not block the site's writers.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic():
        yield


def _media_files(root: Path) -> list[tuple[str, Path]]:
    if not root.is_dir():
        return []
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            files.append((path.relative_to(root).as_posix(), path))
    return files


def default_name(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"territoire-{now:%Y%m%d-%H%M%S}.zip"


def backup(dest: Path, progress: Progress = _noop) -> BackupSummary:
    """Write the archive to ``dest`` (a file path, or an existing directory)."""
    started = time.monotonic()
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / default_name()
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; a backup never overwrites a file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    counts: dict[str, int] = {}
    model_entries: list[dict[str, Any]] = []
    media_entries: list[dict[str, Any]] = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            with snapshot():
                created_at = dt.datetime.now(dt.UTC)
                migrations = applied_migrations()
                for model in backed_up_models():
                    label = model._meta.label_lower
                    member = f"{DB_DIR}{label}.jsonl"
                    with archive.open(member, "w", force_zip64=True) as raw:
                        writer = _HashingWriter(raw)
                        text = io.TextIOWrapper(
                            io.BufferedWriter(writer, HASH_BLOCK), encoding="utf-8", newline="\n"
                        )
                        _Serializer().serialize(_rows(model), stream=text)
                        text.flush()
                        text.detach().flush()
                    counts[label] = writer.lines
                    model_entries.append(
                        {
                            "label": label,
                            "count": writer.lines,
                            "part": member,
                            "sha256": writer.sha.hexdigest(),
                            "size": writer.size,
                        }
                    )
                    progress(f"  {label}: {writer.lines} rows")
            media_root = Path(settings.MEDIA_ROOT)
            for relative, path in _media_files(media_root):
                member = f"{MEDIA_DIR}{relative}"
                with path.open("rb") as source, archive.open(member, "w", force_zip64=True) as raw:
                    writer = _HashingWriter(raw)
                    shutil.copyfileobj(source, writer, HASH_BLOCK)
                media_entries.append(
                    {"path": relative, "part": member, "sha256": writer.sha.hexdigest(), "size": writer.size}
                )
            progress(f"  media: {len(media_entries)} files")
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": territoire.__version__,
                "django_version": django.get_version(),
                "created_at": created_at.isoformat(),
                "database_vendor": connection.vendor,
                "migrations": migrations,
                "models": model_entries,
                "media": media_entries,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(
        path=dest,
        counts=counts,
        media_files=len(media_entries),
        size=dest.stat().st_size,
        seconds=time.monotonic() - started,
    )
