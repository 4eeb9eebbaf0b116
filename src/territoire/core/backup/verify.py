"""Read an archive and check every part of it before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.serializers import base as serializer_base
from django.core.serializers.jsonl import Deserializer
from django.db import models

from territoire.core.backup.base import (
    DB_DIR,
    FORMAT,
    FORMAT_VERSION,
    HASH_BLOCK,
    MANIFEST,
    MEDIA_DIR,
    ArchiveError,
    Manifest,
    Progress,
    _noop,
    applied_migrations,
    backed_up_models,
    model_of,
)
from territoire.core.safepaths import UnsafePathError, relative_path


def open_archive(path: Path) -> zipfile.ZipFile:
    if not Path(path).is_file():
        raise ArchiveError(f"{path} is not a file")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path} is not a backup archive (not a readable ZIP file)") from exc


def _safe_part(name: Any, prefix: str, label: str) -> str:
    """``name`` if it is a plain relative member name under ``prefix``, checked on the raw string."""
    try:
        relative_path(name)
    except UnsafePathError as exc:
        raise ArchiveError(f"the manifest entry of {label} names an unsafe path: {exc}") from exc
    if not name.startswith(prefix) or name == prefix:
        raise ArchiveError(f"the manifest entry of {label} names an invalid part: {name!r}")
    return str(name)


def _check_media_paths(entries: list[dict[str, Any]]) -> None:
    """Every media path relative and plain, each named once, none both a file and a folder.

    Checked on the manifest's raw strings, before any file is read or written: a path
    such as ``/tmp/x``, ``../x`` or ``a//b`` refuses the whole archive.
    """
    paths: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise ArchiveError("manifest.json: a media entry is malformed")
        raw = entry.get("path")
        try:
            path = relative_path(raw)
        except UnsafePathError as exc:
            raise ArchiveError(f"the manifest's media entry {raw!r} names an unsafe path: {exc}") from exc
        if entry.get("part") != f"{MEDIA_DIR}{path}":
            raise ArchiveError(f"manifest.json: the media entry {path!r} is malformed")
        _safe_part(entry["part"], MEDIA_DIR, repr(path))
        if path in paths:
            raise ArchiveError(f"manifest.json lists the media file {path!r} twice")
        paths.add(path)
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in paths:
                raise ArchiveError(f"manifest.json: {folder!r} is both a file and the folder of {path!r}")


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
        _safe_part(entry["part"], DB_DIR, label)
    _check_media_paths(manifest.media)
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


def archive_objects(
    archive: zipfile.ZipFile, entry: dict[str, Any]
) -> Iterator[serializer_base.DeserializedObject]:
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
    with open_archive(path) as archive:
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
            model = model_of(label)
            lines = _check_part(archive, entry)
            if lines != entry["count"]:
                raise ArchiveError(f"{entry['part']} holds {lines} rows, the manifest says {entry['count']}")
            seen = 0
            links = _links(model)
            try:
                for obj in archive_objects(archive, entry):
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
