"""Load a verified archive into an empty database, and its files under MEDIA_ROOT."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management.color import no_style
from django.core.serializers import base as serializer_base
from django.db import DataError, IntegrityError, connection, models, transaction

from territoire.core.backup.base import (
    CHUNK,
    HASH_BLOCK,
    ArchiveError,
    Manifest,
    Progress,
    TargetNotEmptyError,
    _noop,
    model_of,
    non_empty_models,
)
from territoire.core.backup.verify import archive_objects, open_archive, verify
from territoire.core.safepaths import UnsafePathError, inside


def _insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """INSERT rows as they are: no ``save()``, no ``auto_now``, no signals (like loaddata)."""
    if not objects:
        return
    fields = list(model._meta.local_concrete_fields)
    batch = max(1, connection.ops.bulk_batch_size(fields, objects) or len(objects))
    for start in range(0, len(objects), batch):
        manager: Any = model._base_manager.using(connection.alias)
        manager._insert(objects[start : start + batch], fields=fields, raw=True, using=connection.alias)


def _insert_m2m(model: type[models.Model], pending: dict[str, list[tuple[Any, Any]]]) -> None:
    for name, pairs in pending.items():
        if not pairs:
            continue
        m2m = model._meta.get_field(name)
        through = m2m.remote_field.through  # type: ignore[union-attr]
        source = m2m.m2m_field_name()  # type: ignore[union-attr]
        target = m2m.m2m_reverse_field_name()  # type: ignore[union-attr]
        through._base_manager.using(connection.alias).bulk_create(
            [through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in pairs], batch_size=CHUNK
        )


def _load(archive: zipfile.ZipFile, entry: dict[str, Any]) -> int:
    model = model_of(entry["label"])
    buffer: list[models.Model] = []
    pending: dict[str, list[tuple[Any, Any]]] = {}
    count = 0
    for obj in archive_objects(archive, entry):
        buffer.append(obj.object)
        for name, targets in (obj.m2m_data or {}).items():
            pending.setdefault(name, []).extend((obj.object.pk, t) for t in targets)
        count += 1
        if len(buffer) >= CHUNK:
            _insert(model, buffer)
            buffer = []
    _insert(model, buffer)
    _insert_m2m(model, pending)
    return count


def _stage_media(archive: zipfile.ZipFile, manifest: Manifest, root: Path) -> tuple[Path | None, list[str]]:
    """Extract the files into a staging folder beside MEDIA_ROOT; refuse to clobber.

    The manifest's paths were checked when it was read; each is checked again against
    the folder it is written into (``inside`` resolves it, so a symbolic link already
    under MEDIA_ROOT cannot lead a file elsewhere either). Whatever fails, the staging
    folder is removed: a refused archive leaves no file behind.
    """
    entries = manifest.media
    if not entries:
        return None, []
    conflicts = []
    for entry in entries:
        try:
            existing = inside(root, entry["path"])
        except UnsafePathError as exc:
            raise ArchiveError(
                f"the media entry {entry['path']!r} would be written outside MEDIA_ROOT"
            ) from exc
        if existing.exists():
            if existing.is_file() and _file_sha(existing) == entry["sha256"]:
                continue
            conflicts.append(entry["path"])
    if conflicts:
        raise TargetNotEmptyError(
            f"MEDIA_ROOT ({root}) already holds other files under the same names: {', '.join(conflicts[:5])}"
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".territoire-restore-", dir=root.parent))
    moved = []
    try:
        for entry in entries:
            try:
                target = inside(staging, entry["path"])
            except UnsafePathError as exc:
                raise ArchiveError(
                    f"the media entry {entry['path']!r} would be written outside its folder"
                ) from exc
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(entry["part"]) as member, target.open("xb") as out:
                shutil.copyfileobj(member, out, HASH_BLOCK)
            if _file_sha(target) != entry["sha256"]:
                raise ArchiveError(f"{entry['part']} does not match its SHA-256 in the manifest")
            moved.append(entry["path"])
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ArchiveError(f"its files cannot be extracted: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, moved


def _file_sha(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(HASH_BLOCK):
            sha.update(block)
    return sha.hexdigest()


def restore(path: Path, progress: Progress = _noop) -> Manifest:
    """Verify the archive, then load it into this (empty) database in one transaction."""
    occupied = non_empty_models()
    if occupied:
        listing = ", ".join(f"{label} ({count})" for label, count in sorted(occupied.items())[:8])
        raise TargetNotEmptyError(
            "the database is not empty; restore only into a freshly migrated database. "
            f"Tables holding rows: {listing}"
        )
    progress("Verifying the archive…")
    manifest = verify(path, progress)
    media_root = Path(settings.MEDIA_ROOT)
    with open_archive(path) as archive:
        staging, files = _stage_media(archive, manifest, media_root)
        try:
            progress("Loading the rows…")
            loaded: list[type[models.Model]] = []
            try:
                with transaction.atomic():
                    for entry in manifest.models:
                        count = _load(archive, entry)
                        loaded.append(model_of(entry["label"]))
                        progress(f"  {entry['label']}: {count} rows")
                    if connection.vendor == "postgresql":
                        statements = connection.ops.sequence_reset_sql(no_style(), loaded)
                        with connection.cursor() as cursor:
                            for sql in statements:
                                cursor.execute(sql)
                    connection.check_constraints()
            except (IntegrityError, DataError, serializer_base.DeserializationError) as exc:
                raise ArchiveError(f"its rows do not load into this database (rolled back): {exc}") from exc
        except BaseException:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
    if staging is not None:
        for relative in files:
            target = inside(media_root, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = staging / relative
            if source.exists():
                os.replace(source, target)
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"  media: {len(files)} files")
    # The restored versions may be ones a shared cache already holds pages under.
    cache.clear()
    return manifest
