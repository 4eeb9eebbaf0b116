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

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.core.serializers import base as serializer_base
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Deserializer
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Prefetch

import territoire
from territoire.core.cache import TRIGGER_VERSION_KEYS
from territoire.core.models import DataVersion

FORMAT = "territoire-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_DIR = "db/"
MEDIA_DIR = "media/"
CHUNK = 2000
HASH_BLOCK = 1 << 20

# Rebuilt by ``migrate`` (content types, permissions) or transient (sessions): never
# dumped, and allowed to hold rows in the target of a restore.
EXCLUDED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
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


def _model(label: str) -> type[models.Model]:
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
    """The rows of ``model`` that a backup holds: all, but the versions kept by triggers.

    Those describe this database's tables, not data: a restore's inserts fire the
    triggers, which give the restored database a version of its own.
    """
    queryset = model._base_manager.using(connection.alias)
    if model is DataVersion:
        queryset = queryset.exclude(key__in=TRIGGER_VERSION_KEYS)
    return queryset


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


# --- dump ----------------------------------------------------------------------------


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


# --- verify --------------------------------------------------------------------------


def _open(path: Path) -> zipfile.ZipFile:
    if not Path(path).is_file():
        raise ArchiveError(f"{path} is not a file")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path} is not a backup archive (not a readable ZIP file)") from exc


def _safe_member(name: Any, prefix: str) -> str:
    if not isinstance(name, str) or not name.startswith(prefix):
        raise ArchiveError(f"the manifest names an invalid part: {name!r}")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or "\\" in name or any(p in {"", ".", ".."} for p in parts) or len(parts) < 2:
        raise ArchiveError(f"the manifest names an unsafe path: {name!r}")
    return name


def _read_manifest(archive: zipfile.ZipFile) -> Manifest:
    try:
        raw = archive.read(MANIFEST)
    except KeyError as exc:
        raise ArchiveError(
            "the archive has no manifest.json (not a Territoire backup, or cut short)"
        ) from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"the manifest cannot be read: {exc}") from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ArchiveError("manifest.json is not valid JSON") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError("manifest.json does not describe a Territoire backup")
    if data.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"backup format version {data.get('format_version')!r} is not supported "
            f"(this release reads version {FORMAT_VERSION})"
        )
    for key, kind in (("models", list), ("media", list), ("migrations", dict)):
        if not isinstance(data.get(key), kind):
            raise ArchiveError(f"manifest.json: {key!r} is missing or malformed")
    manifest = Manifest(data)
    for entry in manifest.models:
        if not isinstance(entry, dict) or not isinstance(entry.get("count"), int):
            raise ArchiveError("manifest.json: a model entry is malformed")
        label = entry.get("label")
        if not isinstance(label, str) or entry.get("part") != f"{DB_DIR}{label}.jsonl":
            raise ArchiveError(f"manifest.json: the entry of {label!r} is malformed")
        if label in manifest.counts:
            raise ArchiveError(f"manifest.json lists {label} twice")
        manifest.counts[label] = entry["count"]
    for entry in manifest.media:
        if not isinstance(entry, dict) or entry.get("part") != f"{MEDIA_DIR}{entry.get('path')}":
            raise ArchiveError("manifest.json: a media entry is malformed")
        _safe_member(entry["part"], MEDIA_DIR)
    return manifest


def _check_part(archive: zipfile.ZipFile, entry: dict[str, Any]) -> int:
    """Hash one member against the manifest; returns its line count."""
    name = entry["part"]
    sha = hashlib.sha256()
    size = 0
    lines = 0
    try:
        with archive.open(name) as member:
            while block := member.read(HASH_BLOCK):
                sha.update(block)
                size += len(block)
                lines += block.count(b"\n")
    except KeyError as exc:
        raise ArchiveError(f"{name} is listed in the manifest but missing from the archive") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{name} is corrupt: {exc}") from exc
    if size != entry.get("size") or sha.hexdigest() != entry.get("sha256"):
        raise ArchiveError(f"{name} does not match its SHA-256 in the manifest (corrupt or altered)")
    return lines


def _objects(archive: zipfile.ZipFile, entry: dict[str, Any]) -> Iterator[serializer_base.DeserializedObject]:
    with archive.open(entry["part"]) as member:
        text = io.TextIOWrapper(member, encoding="utf-8")
        yield from Deserializer(text, ignorenonexistent=False, handle_forward_references=False)


def _links(model: type[models.Model]) -> dict[str, list[tuple[str, str]]]:
    """The references to check: (attname or M2M name, target label), by primary key only."""
    backed_up = set(backed_up_models())
    fks = []
    for f in model._meta.concrete_fields:
        target: Any = f.related_model
        if not f.is_relation or target is None or target not in backed_up:
            continue
        if getattr(f, "target_field", None) is not target._meta.pk:
            continue  # to_field on another column: left to the database's own check
        fks.append((f.attname, target._meta.label_lower))
    m2ms = []
    for m2m in model._meta.many_to_many:
        target = m2m.related_model
        through: Any = m2m.remote_field.through
        if through._meta.auto_created and target in backed_up:
            m2ms.append((m2m.name, target._meta.label_lower))
    return {"fk": fks, "m2m": m2ms}


def verify(path: Path, progress: Progress = _noop, check_target: bool = True) -> Manifest:
    """Check the archive without writing anything; raises ``ArchiveError``.

    Checks the manifest, that the archive holds exactly the parts it lists, every
    SHA-256 and size, the row count of every model, that every row deserialises into
    a model of this installation, and (``check_target``) that this database's schema
    is at the same migrations.
    """
    with _open(path) as archive:
        manifest = _read_manifest(archive)
        listed = {e["part"] for e in manifest.models} | {e["part"] for e in manifest.media} | {MANIFEST}
        present = set()
        for info in archive.infolist():
            if info.is_dir():
                continue
            present.add(info.filename)
        extra = sorted(present - listed)
        if extra:
            raise ArchiveError(f"the archive holds parts the manifest does not list: {', '.join(extra[:5])}")
        if check_target:
            here = applied_migrations()
            theirs = manifest.data["migrations"]
            if {k: sorted(v) for k, v in theirs.items()} != here:
                differing = sorted(
                    k for k in {*here, *theirs} if sorted(theirs.get(k, [])) != here.get(k, [])
                )
                raise ArchiveError(
                    "the archive was made at other database migrations than this installation "
                    f"(apps differing: {', '.join(differing)}); install the release that made it "
                    f"({manifest.data.get('app_version')}) and run migrate"
                )
        # Every key, and every reference between rows: a dangling one is found here, not
        # half-way through a restore. Keys only, never whole rows, are held in memory.
        keys: dict[str, set[Any]] = {}
        references: set[tuple[str, Any, str]] = set()
        for entry in manifest.models:
            label = entry["label"]
            model = _model(label)
            lines = _check_part(archive, entry)
            if lines != entry["count"]:
                raise ArchiveError(f"{entry['part']} holds {lines} rows, the manifest says {entry['count']}")
            seen = 0
            links = _links(model)
            try:
                for obj in _objects(archive, entry):
                    if type(obj.object) is not model:
                        raise ArchiveError(f"{entry['part']} holds a row of {obj.object._meta.label_lower}")
                    keys.setdefault(label, set()).add(obj.object.pk)
                    for attname, target in links["fk"]:
                        value = getattr(obj.object, attname)
                        if value is not None:
                            references.add((target, value, label))
                    for name, target in links["m2m"]:
                        references.update(
                            (target, value, label) for value in (obj.m2m_data or {}).get(name, [])
                        )
                    seen += 1
            except serializer_base.DeserializationError as exc:
                raise ArchiveError(f"{entry['part']} holds a row that cannot be read: {exc}") from exc
            if seen != entry["count"]:
                raise ArchiveError(f"{entry['part']} holds {seen} rows, the manifest says {entry['count']}")
            progress(f"  {label}: {seen} rows, SHA-256 ok")
        for target, value, label in references:
            if value not in keys.get(target, ()):
                raise ArchiveError(f"a row of {label} refers to {target} {value!r}, which the archive lacks")
        progress("  references between rows: ok")
        for entry in manifest.media:
            _check_part(archive, entry)
        progress(f"  media: {len(manifest.media)} files, SHA-256 ok")
    return manifest


# --- restore -------------------------------------------------------------------------


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
    model = _model(entry["label"])
    buffer: list[models.Model] = []
    pending: dict[str, list[tuple[Any, Any]]] = {}
    count = 0
    for obj in _objects(archive, entry):
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
    """Extract the files into a staging folder beside MEDIA_ROOT; refuse to clobber."""
    entries = manifest.media
    if not entries:
        return None, []
    conflicts = []
    for entry in entries:
        existing = root / entry["path"]
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
    for entry in entries:
        target = staging / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(entry["part"]) as member, target.open("wb") as out:
            shutil.copyfileobj(member, out, HASH_BLOCK)
        if _file_sha(target) != entry["sha256"]:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArchiveError(f"{entry['part']} does not match its SHA-256 in the manifest")
        moved.append(entry["path"])
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
    with _open(path) as archive:
        staging, files = _stage_media(archive, manifest, media_root)
        try:
            progress("Loading the rows…")
            loaded: list[type[models.Model]] = []
            try:
                with transaction.atomic():
                    for entry in manifest.models:
                        count = _load(archive, entry)
                        loaded.append(_model(entry["label"]))
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
            target = media_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            source = staging / relative
            if source.exists():
                os.replace(source, target)
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"  media: {len(files)} files")
    return manifest


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
