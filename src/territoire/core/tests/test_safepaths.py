"""Hostile paths never leave their folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from territoire.core.safepaths import UnsafePathError, inside, relative_path


@pytest.mark.parametrize(
    "hostile",
    [
        "/etc/x",
        "//etc/x",
        "a//b",
        "../x",
        "a/../../x",
        "a/./b",
        ".",
        "",
        "a\\..\\x",
        "C:/x",
        "a/\x00b",
        "a/",
        3,
        None,
    ],
)
def test_hostile_paths_are_refused(hostile: object, tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError):
        inside(tmp_path, hostile)


@pytest.mark.parametrize(
    "plain", ["photo.jpg", "reports/2026/photo.jpg", "a b/c.d", "é/ü.png", "..hidden", "a..b"]
)
def test_plain_paths_are_kept(plain: str, tmp_path: Path) -> None:
    assert relative_path(plain) == plain
    assert inside(tmp_path, plain) == tmp_path.resolve() / plain


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(tmp_path, root / "out")
    with pytest.raises(UnsafePathError):
        inside(root, "out/x")


@given(
    st.lists(st.sampled_from(["a", "b", ".", "/", "\\", "..", "\x00", ":", " ", "é"]), max_size=30).map(
        "".join
    )
)
def test_whatever_is_accepted_stays_inside(raw: str) -> None:
    root = Path("/srv/stage")
    try:
        target = inside(root, raw)
    except UnsafePathError:
        return
    assert target.resolve().is_relative_to(root)
    assert target != root
