"""Paths named by untrusted data (a backup's manifest) that must stay inside one folder.

A path is checked on its raw string, before any library normalises it: ``PurePosixPath``
folds ``media//tmp/x`` into ``media/tmp/x`` and ``Path("stage") / "/tmp/x"`` is
``/tmp/x``, which is how a manifest could write outside the folder it is restored into.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

MAX_LENGTH = 1024


class UnsafePathError(ValueError):
    """The path could leave its folder, or is not a plain relative path."""


def relative_path(raw: object) -> str:
    """``raw`` if it is a plain relative POSIX path: components separated by one ``/`` each,
    none empty, ``.`` or ``..``, no backslash, control character or drive; else ``UnsafePathError``."""
    if not isinstance(raw, str) or not raw:
        raise UnsafePathError(f"not a path: {raw!r}")
    if len(raw) > MAX_LENGTH:
        raise UnsafePathError(f"path longer than {MAX_LENGTH} characters")
    if raw.startswith("/") or "\\" in raw or ":" in raw.split("/", 1)[0]:
        raise UnsafePathError(f"absolute path: {raw!r}")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in raw):
        raise UnsafePathError(f"control character in {raw!r}")
    for part in raw.split("/"):
        if part in {"", ".", ".."}:
            raise UnsafePathError(f"empty, '.' or '..' component in {raw!r}")
    return raw


def inside(root: Path, raw: object) -> Path:
    """``root / raw`` once ``raw`` is a plain relative path that, resolved, stays under ``root``."""
    relative = relative_path(raw)
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise UnsafePathError(f"{raw!r} leaves {root}")
    return base / relative
