"""Backup and restore: the recovery plan, tested on whichever database the suite runs on.

backup → wipe → restore → every table and every uploaded file compared; corrupt or
tampered archives refused with nothing written; --verify; a non-empty target refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, models

import territoire
from territoire.core import backup
from territoire.core.models import AuditEvent, DataVersion
from territoire.indicators.models import Measurement
from territoire.roadmap.models import Project
from territoire.territory.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

FILES = {
    "uploads/2025/rapport d'activité.pdf": b"%PDF-1.4 " + bytes(range(256)) * 40,
    "uploads/photo.png": b"\x89PNG\r\n\x1a\n" + os.urandom(2048),
    "top.txt": "Données publiques — é\n".encode(),
}

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def populated(media: Path) -> Path:
    """The demo territory, a group with permissions, an admin log entry and uploaded files."""
    call_command("demo", communes=3, months=4, seed=3, stdout=io.StringIO())
    user = get_user_model().objects.order_by("pk").first()
    assert user is not None
    group = Group.objects.create(name="Relecteurs")
    group.permissions.set(Permission.objects.filter(codename__in=["view_project", "change_project"]))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="view_measurement"))
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Project),
        object_id="1",
        object_repr="Projet <1>",
        action_flag=ADDITION,
        change_message="[]",
    )
    for relative, content in FILES.items():
        path = media / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return media


def _value(field: models.Field[Any, Any], obj: models.Model) -> Any:
    value = getattr(obj, field.attname)
    if field.is_relation and field.related_model is ContentType and value is not None:
        return ContentType.objects.get_for_id(value).natural_key()
    return value


def snapshot() -> Snapshot:
    """Every row of every backed-up model (and every M2M link) as sorted tuples of values.

    Content types and permissions are compared by natural key: their ids belong to the
    database that ``migrate`` built, not to the archive.
    """
    result: Snapshot = {}
    for model in backup.backed_up_models():
        fields = model._meta.concrete_fields
        rows = [tuple(_value(f, obj) for f in fields) for obj in backup.backed_up_rows(model)]
        result[model._meta.label_lower] = sorted(rows, key=repr)
        for m2m in model._meta.many_to_many:
            through = m2m.remote_field.through  # type: ignore[union-attr]
            if not through._meta.auto_created:
                continue
            source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()  # type: ignore[attr-defined]
            links = []
            for row in through.objects.all():
                other = (
                    getattr(row, target) if m2m.related_model is Permission else getattr(row, f"{target}_id")
                )
                links.append(
                    (
                        getattr(row, f"{source}_id"),
                        other.natural_key() if m2m.related_model is Permission else other,
                    )
                )
            result[f"{model._meta.label_lower}.{m2m.name}"] = sorted(links, key=repr)
    return result


def files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def wipe(media: Path) -> None:
    """What a lost server leaves: a freshly migrated, empty database and no files."""
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert backup.non_empty_models() == {}


def make_backup(tmp_path: Path, name: str = "backup.zip") -> Path:
    out = io.StringIO()
    call_command("backup", str(tmp_path / name), stdout=out)
    assert "Backup written to" in out.getvalue()
    return tmp_path / name


def rewrite(archive: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of the archive with its members changed by ``change``."""
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    change(members)
    target = archive.with_name("tampered.zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return target


def manifest_of(members: dict[str, bytes]) -> dict[str, Any]:
    return dict(json.loads(members["manifest.json"]))


def reseal(members: dict[str, bytes], part: str) -> None:
    """Update the manifest's SHA-256 and size of ``part`` (a tamperer who knows the format)."""
    manifest = manifest_of(members)
    for entry in manifest["models"] + manifest["media"]:
        if entry["part"] == part:
            entry["sha256"] = hashlib.sha256(members[part]).hexdigest()
            entry["size"] = len(members[part])
    members["manifest.json"] = json.dumps(manifest).encode()


def restore_error(archive: Path, *args: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        call_command("restore", *args, str(archive), stdout=io.StringIO())
    return info.value


# --- round trip ----------------------------------------------------------------------


def test_backup_wipe_restore_gives_back_every_row_and_file(populated: Path, tmp_path: Path) -> None:
    before = snapshot()
    assert len(before["indicators.measurement"]) > 100
    for table in [
        "auth.user",
        "territory.membership",
        "roadmap.project.objectives",
        "auth.group.permissions",
    ]:
        assert before[table], table
    assert before["auth.user.user_permissions"]
    assert before["admin.logentry"]
    archive = make_backup(tmp_path)

    wipe(populated)
    assert files(populated) == {}
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert "Archive restored" in out.getvalue()
    assert snapshot() == before
    assert files(populated) == FILES


def test_restored_database_accepts_new_rows(populated: Path, tmp_path: Path) -> None:
    # Sequences follow the restored ids (PostgreSQL: reset after loading).
    archive = make_backup(tmp_path)
    highest = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    wipe(populated)
    call_command("restore", str(archive), stdout=io.StringIO())

    event = AuditEvent.objects.create(action="restore.after")
    user = get_user_model().objects.create(username="nouvelle")
    assert highest is not None
    assert event.pk > highest
    assert user.pk > max(get_user_model().objects.exclude(pk=user.pk).values_list("pk", flat=True))
    Membership.objects.all().delete()  # plain writes work too


def test_restore_keeps_append_only_rows_as_they_were(populated: Path, tmp_path: Path) -> None:
    # Measurement.save and AuditEvent.save refuse updates; the restore must not go through them,
    # and must keep their recorded times (auto_now_add) rather than stamp the restore time.
    measurements = list(Measurement.objects.order_by("pk").values_list("pk", "recorded_at", "value"))
    events = list(AuditEvent.objects.order_by("pk").values_list("pk", "created_at", "action"))
    archive = make_backup(tmp_path)
    wipe(populated)
    call_command("restore", str(archive), stdout=io.StringIO())
    assert list(Measurement.objects.order_by("pk").values_list("pk", "recorded_at", "value")) == measurements
    assert list(AuditEvent.objects.order_by("pk").values_list("pk", "created_at", "action")) == events


def test_manifest_describes_every_part(populated: Path, tmp_path: Path) -> None:
    archive = make_backup(tmp_path)
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format_version"] == backup.FORMAT_VERSION
        assert manifest["app_version"] == territoire.__version__
        assert manifest["database_vendor"] == connection.vendor
        assert manifest["created_at"]
        counts = {e["label"]: e["count"] for e in manifest["models"]}
        for model in backup.backed_up_models():
            assert counts[model._meta.label_lower] == backup.backed_up_rows(model).count()
        # The cache versions go with the data they describe.
        versions = zf.read("db/core.dataversion.jsonl").decode()
        assert all(v.key in versions for v in DataVersion.objects.all())
        assert "contenttypes.contenttype" not in counts
        assert "sessions.session" not in counts
        for entry in manifest["models"] + manifest["media"]:
            assert hashlib.sha256(zf.read(entry["part"])).hexdigest() == entry["sha256"]
        assert {e["path"] for e in manifest["media"]} == set(FILES)
        assert set(zf.namelist()) == {e["part"] for e in manifest["models"] + manifest["media"]} | {
            "manifest.json"
        }


def test_backup_into_a_directory_and_never_over_a_file(populated: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    call_command("backup", str(folder), stdout=io.StringIO())
    (made,) = folder.iterdir()
    assert made.name.startswith("territoire-")
    assert made.suffix == ".zip"
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(made), stdout=io.StringIO())


def test_backup_without_media_root(media: Path, tmp_path: Path) -> None:
    call_command("demo", communes=1, months=2, seed=1, stdout=io.StringIO())
    assert not media.exists()
    archive = make_backup(tmp_path)
    wipe(media)
    call_command("restore", str(archive), stdout=io.StringIO())
    assert files(media) == {}
    assert Measurement.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a second connection writing during the dump"
)
def test_backup_is_a_snapshot_while_the_site_writes(populated: Path, tmp_path: Path) -> None:
    count = AuditEvent.objects.count()
    other = connections.create_connection("default")

    def write_meanwhile(message: str) -> None:
        if message.startswith("  admin.logentry"):  # the first table dumped; audit events come later
            with other.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO core_auditevent (created_at, actor_label, action, object_type, object_id,"
                    " changes) VALUES (now(), '', 'pendant', '', '', '{}')"
                )

    try:
        summary = backup.backup(tmp_path / "snap.zip", progress=write_meanwhile)
    finally:
        other.close()
    assert AuditEvent.objects.count() == count + 1
    assert summary.counts["core.auditevent"] == count


# --- verify and refusals -------------------------------------------------------------


def test_verify_checks_without_writing(populated: Path, tmp_path: Path) -> None:
    archive = make_backup(tmp_path)
    wipe(populated)
    out = io.StringIO()
    call_command("restore", "--verify", str(archive), stdout=out)
    assert "Archive verified" in out.getvalue()
    assert "indicators.measurement" in out.getvalue()
    assert backup.non_empty_models() == {}
    assert files(populated) == {}


def _flip_byte(part: str) -> Callable[[dict[str, bytes]], None]:
    def change(members: dict[str, bytes]) -> None:
        data = bytearray(members[part])
        data[len(data) // 2] ^= 0x01
        members[part] = bytes(data)

    return change


def _drop(part: str) -> Callable[[dict[str, bytes]], None]:
    def change(members: dict[str, bytes]) -> None:
        del members[part]

    return change


def _extra(members: dict[str, bytes]) -> None:
    members["db/territory.organisation.extra.jsonl"] = b"{}\n"


def _count_lie(members: dict[str, bytes]) -> None:
    manifest = manifest_of(members)
    for entry in manifest["models"]:
        if entry["label"] == "territory.commune":
            entry["count"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()


def _bad_row(members: dict[str, bytes]) -> None:
    members["db/territory.commune.jsonl"] += (
        b'{"model": "territory.commune", "pk": 1, "fields": {"nope": 1}}\n'
    )
    manifest = manifest_of(members)
    for entry in manifest["models"]:
        if entry["label"] == "territory.commune":
            entry["count"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    reseal(members, "db/territory.commune.jsonl")


def _dangling_foreign_key(members: dict[str, bytes]) -> None:
    # Valid JSON, right hash and counts, but a membership of a person who is not there:
    # only the database sees it, half-way through the load.
    part = "db/territory.membership.jsonl"
    lines = members[part].decode().splitlines()
    row = json.loads(lines[-1])
    row["fields"]["user"] = 987654
    lines[-1] = json.dumps(row)
    members[part] = ("\n".join(lines) + "\n").encode()
    reseal(members, part)


def _duplicate_key(members: dict[str, bytes]) -> None:
    # Every check of the archive passes; the database refuses a second commune with the
    # same INSEE code after many rows are in: the whole load is rolled back.
    part = "db/territory.commune.jsonl"
    row = json.loads(members[part].decode().splitlines()[-1])
    row["pk"] = 987654
    members[part] += (json.dumps(row) + "\n").encode()
    manifest = manifest_of(members)
    for entry in manifest["models"]:
        if entry["label"] == "territory.commune":
            entry["count"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    reseal(members, part)


def _escape_media(members: dict[str, bytes]) -> None:
    manifest = manifest_of(members)
    members["media/../../evil.txt"] = b"evil"
    manifest["media"].append(
        {
            "path": "../../evil.txt",
            "part": "media/../../evil.txt",
            "sha256": hashlib.sha256(b"evil").hexdigest(),
            "size": 4,
        }
    )
    members["manifest.json"] = json.dumps(manifest).encode()


def _other_format(members: dict[str, bytes]) -> None:
    manifest = manifest_of(members)
    manifest["format_version"] = 99
    members["manifest.json"] = json.dumps(manifest).encode()


def _other_migrations(members: dict[str, bytes]) -> None:
    manifest = manifest_of(members)
    manifest["migrations"]["indicators"].append("9999_from_the_future")
    members["manifest.json"] = json.dumps(manifest).encode()


TAMPERING: dict[str, tuple[Callable[[dict[str, bytes]], None], str]] = {
    "altered rows": (_flip_byte("db/indicators.measurement.jsonl"), "SHA-256"),
    "altered file": (_flip_byte("media/uploads/photo.png"), "SHA-256"),
    "missing rows": (_drop("db/roadmap.project.jsonl"), "missing"),
    "missing file": (_drop("media/top.txt"), "missing"),
    "missing manifest": (_drop("manifest.json"), "no manifest"),
    "unlisted part": (_extra, "does not list"),
    "count mismatch": (_count_lie, "the manifest says"),
    "unreadable row": (_bad_row, "cannot be read"),
    "dangling foreign key": (_dangling_foreign_key, "which the archive lacks"),
    "duplicate key": (_duplicate_key, "do not load"),
    "path escape": (_escape_media, "unsafe path"),
    "future format": (_other_format, "not supported"),
    "other migrations": (_other_migrations, "migrations"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_archive_is_refused_and_nothing_written(populated: Path, tmp_path: Path, case: str) -> None:
    change, message = TAMPERING[case]
    archive = rewrite(make_backup(tmp_path), change)
    wipe(populated)

    error = restore_error(archive)
    if case != "duplicate key":  # only the database itself can see that one
        assert restore_error(archive, "--verify").returncode == 3

    assert error.returncode == 3
    assert message in str(error)
    assert "nothing written" in str(error)
    assert backup.non_empty_models() == {}
    assert files(populated) == {}
    assert not (tmp_path / "evil.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".territoire-restore-")]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "not a backup archive"), (b"PK\x03\x04 not really", "not a backup archive")],
)
def test_not_an_archive_is_refused(media: Path, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(content)
    error = restore_error(path)
    assert error.returncode == 3
    assert message in str(error)
    assert restore_error(tmp_path / "absent.zip").returncode == 3


def test_truncated_archive_is_refused(populated: Path, tmp_path: Path) -> None:
    archive = make_backup(tmp_path)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    wipe(populated)
    assert restore_error(cut).returncode == 3
    assert backup.non_empty_models() == {}


def test_non_empty_database_is_refused(populated: Path, tmp_path: Path) -> None:
    archive = make_backup(tmp_path)
    before = snapshot()
    error = restore_error(archive)
    assert error.returncode == 2
    assert "not empty" in str(error)
    assert "indicators.measurement" in str(error)
    assert snapshot() == before


def test_media_root_holding_other_files_is_refused(populated: Path, tmp_path: Path) -> None:
    archive = make_backup(tmp_path)
    wipe(populated)
    (populated / "top.txt").write_bytes(b"something else")
    error = restore_error(archive)
    assert error.returncode == 2
    assert "top.txt" in str(error)
    assert backup.non_empty_models() == {}
    assert files(populated) == {"top.txt": b"something else"}


def test_command_line_exit_code(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not an archive")
    env = {
        **os.environ,
        "TERRITOIRE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "territoire", "restore", "--verify", str(junk)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "not a backup archive" in result.stderr
