"""Restore never writes outside MEDIA_ROOT, whatever an archive's manifest says.

The attack: a valid archive made by ``territoire backup``, its manifest rewritten with a
media entry whose path is absolute or climbs out (``"path": "/tmp/x"``, ``"part":
"media//tmp/x"``). The archive is refused whole, by ``restore`` and ``restore --verify``,
before any file is written; then the archive reader is property-tested with hostile
manifests.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from territoire.core import backup
from territoire.core.models import Lease

pytestmark = pytest.mark.django_db(transaction=True)

EVIL = b"#!/bin/sh\necho owned\n"


@pytest.fixture
def empty_db() -> None:
    # A transactional test may start after data migrations left rows behind.
    call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def archive(empty_db: None, settings: Any, tmp_path: Path) -> Path:
    """A real, valid archive with one uploaded file, made from an (almost) empty database."""
    media = tmp_path / "made-from"
    (media / "uploads").mkdir(parents=True)
    (media / "uploads" / "ok.txt").write_bytes(b"ok")
    settings.MEDIA_ROOT = media
    call_command("backup", str(tmp_path / "backup.zip"), stdout=io.StringIO())
    shutil.rmtree(media)
    return tmp_path / "backup.zip"


def members_of(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as source:
        return {name: source.read(name) for name in source.namelist()}


def write_archive(target: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            # A ZIP name ends at its first NUL: a name that is nothing before it cannot be
            # written (the manifest still lists it; restore must refuse the archive).
            if not name.split("\x00", 1)[0]:
                continue
            out.writestr(name, data)
    return target


def with_media(members: dict[str, bytes], path: str, part: str | None = None) -> dict[str, bytes]:
    """``members`` plus one media file at ``path``, listed in the manifest with a right SHA-256."""
    part = f"media/{path}" if part is None else part
    changed = dict(members)
    manifest = json.loads(changed["manifest.json"])
    manifest["media"].append(
        {"path": path, "part": part, "sha256": hashlib.sha256(EVIL).hexdigest(), "size": len(EVIL)}
    )
    changed[part] = EVIL
    changed["manifest.json"] = json.dumps(manifest).encode()
    return changed


def refusal(archive: Path, *args: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        call_command("restore", *args, str(archive), stdout=io.StringIO())
    return info.value


def every_file(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def hostile_paths(outside: Path) -> list[str]:
    absolute = str(outside / "x.sh")
    return [
        absolute,  # the attack as found: "path": "/tmp/x", "part": "media//tmp/x"
        f"uploads/../../{outside.name}/x.sh",
        "../outside/x.sh",
        "uploads//x.sh",
        "./x.sh",
        "uploads/.",
        "uploads\\..\\..\\x.sh",
        "C:/x.sh",
        "x\x00.sh",
    ]


@pytest.mark.parametrize("index", range(9))
def test_restore_refuses_a_media_path_outside_media_root(
    archive: Path, settings: Any, tmp_path: Path, index: int
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    path = hostile_paths(outside)[index]
    hostile = write_archive(tmp_path / "hostile.zip", with_media(members_of(archive), path))
    before = every_file(tmp_path)

    for args in [("--verify",), ()]:
        error = refusal(hostile, *args)
        assert error.returncode == 3
        assert "nothing written" in str(error)
        assert repr(path) in str(error)  # the message names the entry
    assert every_file(tmp_path) == before
    assert not (outside / "x.sh").exists()
    assert not media.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".territoire-restore-")]
    assert backup.non_empty_models() == {}


def test_restore_refuses_a_part_that_differs_from_its_path(
    archive: Path, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    hostile = write_archive(
        tmp_path / "hostile.zip", with_media(members_of(archive), "x.sh", part=f"media/{tmp_path}/x.sh")
    )
    assert refusal(hostile).returncode == 3
    assert not (tmp_path / "x.sh").exists()


def test_restore_refuses_a_file_that_is_also_a_folder(archive: Path, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    members = with_media(with_media(members_of(archive), "a/b"), "a")
    error = refusal(write_archive(tmp_path / "hostile.zip", members))
    assert error.returncode == 3
    assert "both a file and the folder" in str(error)
    assert not (tmp_path / "media").exists()


def test_restore_does_not_follow_a_link_already_in_media_root(
    archive: Path, settings: Any, tmp_path: Path
) -> None:
    # MEDIA_ROOT/uploads is a symbolic link elsewhere: the file would land outside.
    outside = tmp_path / "outside"
    outside.mkdir()
    media = tmp_path / "media"
    media.mkdir()
    (media / "uploads").symlink_to(outside, target_is_directory=True)
    settings.MEDIA_ROOT = media
    error = refusal(archive)
    assert error.returncode == 3
    assert "outside MEDIA_ROOT" in str(error)
    assert list(outside.iterdir()) == []


def test_the_valid_archive_still_restores(archive: Path, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("restore", str(archive), stdout=io.StringIO())
    assert (tmp_path / "media" / "uploads" / "ok.txt").read_bytes() == b"ok"


def test_the_scheduler_lease_is_not_backed_up(empty_db: None, tmp_path: Path, settings: Any) -> None:
    # A restored lease names a process of the old host: the new scheduler would wait for it.
    settings.MEDIA_ROOT = tmp_path / "media"
    Lease.objects.create(name="scheduler", holder="old-host:123", expires_at="2999-01-01T00:00:00Z")
    assert Lease not in backup.backed_up_models()
    call_command("backup", str(tmp_path / "b.zip"), stdout=io.StringIO())
    names = set(members_of(tmp_path / "b.zip"))
    assert "db/core.lease.jsonl" not in names
    # The scheduler of the target may already hold its lease: the target still counts as empty.
    call_command("flush", interactive=False, verbosity=0)
    Lease.objects.create(name="scheduler", holder="new-host:1", expires_at="2999-01-01T00:00:00Z")
    call_command("restore", str(tmp_path / "b.zip"), stdout=io.StringIO())
    assert list(Lease.objects.values_list("holder", flat=True)) == ["new-host:1"]


# --- the archive reader against hostile manifests -----------------------------------------

COMPONENTS = st.sampled_from(
    ["..", ".", "", "x", "uploads", "outside", "évité", "a\\..", "c:", "\x00", "\u200b", "~", " "]
)


@st.composite
def hostile_entries(draw: st.DrawFn, outside: str) -> dict[str, Any]:
    # Mostly plain names, so that a hostile lead alone (absolute, climbing) is tried often.
    plain = st.sampled_from(["x", "uploads", "outside", "évité"])
    components = draw(st.lists(st.one_of(plain, COMPONENTS), min_size=1, max_size=5))
    path = "/".join(components)
    # Absolute paths point into the sandbox: a regression must not write all over the machine.
    lead = draw(st.sampled_from(["", outside + "/", outside + "//", "../", "../outside/"]))
    path = lead + path
    part = draw(st.sampled_from([f"media/{path}", f"media//{path}", path, "media/x"]))
    return {"path": path, "part": part, "also_benign": draw(st.booleans())}


@hypothesis_settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.filterwarnings("ignore:Duplicate name")
@given(data=st.data())
def test_no_manifest_writes_outside_media_root(archive: Path, data: st.DataObject) -> None:
    members = members_of(archive)
    sandbox = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        # Deep enough that no drawn path climbs out of the sandbox (six ".." at most).
        media = sandbox.joinpath("a", "b", "c", "d", "e", "f", "g", "media")
        outside = media.parent / "outside"
        outside.mkdir(parents=True)
        entries = data.draw(st.lists(hostile_entries(str(outside)), min_size=1, max_size=3))
        hostile = dict(members)
        if any(entry["also_benign"] for entry in entries):
            hostile = with_media(hostile, "uploads/benign.txt")
        for entry in entries:
            hostile = with_media(hostile, entry["path"], entry["part"])
        path = write_archive(sandbox / "hostile.zip", hostile)
        before = every_file(sandbox)
        with override_settings(MEDIA_ROOT=media):
            for args in [("--verify",), ()]:
                code = 0
                try:
                    call_command("restore", *args, str(path), stdout=io.StringIO())
                except CommandError as error:
                    code = error.returncode
                assert code in {0, 3}
                refused = code == 3
                written = every_file(sandbox) - before
                # Nothing outside MEDIA_ROOT, ever; nothing at all from a refused archive.
                assert all(p.resolve().is_relative_to(media.resolve()) for p in written), written
                assert not refused or not written, written
                assert list(outside.iterdir()) == []
                assert not [p for p in media.parent.iterdir() if p.name.startswith(".territoire-restore-")]
                for entry in entries:
                    landed = Path(os.path.normpath(os.path.join(media, entry["path"])))
                    if not landed.is_relative_to(media):
                        assert not landed.is_file() or landed in before, landed
        assert backup.non_empty_models() == {}
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)
