"""Restore benchmark: the recovery time of the demo territory at benchmark scale.

Builds the demo (50 communes, 36 months) in a fresh SQLite database under
``bench/var/restore/source/``, then times, each as the operator would run it:
``territoire backup``, ``territoire restore --verify`` and ``territoire restore`` into a
freshly migrated, empty SQLite database under ``bench/var/restore/target/``. Checks that
the target holds as many rows as the manifest says, and writes
``bench/results/restore.json``.

    .venv/bin/python bench/restore.py [--communes 50] [--months 36] [--seed 7] [--skip-setup]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from common import log, territoire_env

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORK = BENCH_DIR / "var" / "restore"
SOURCE = WORK / "source"
TARGET = WORK / "target"
ARCHIVE = WORK / "backup.zip"
RESULTS = BENCH_DIR / "results" / "restore.json"
TERRITOIRE = REPO / ".venv" / "bin" / "territoire"
MEDIA_FILES = 20  # the demo uploads nothing: a few files make the media path part of the measure
MEDIA_FILE_SIZE = 256 * 1024


def env_for(var_dir: Path) -> dict[str, str]:
    return territoire_env(var_dir, var_dir / "territoire.sqlite3")


def run(title: str, args: list[str], var_dir: Path, timeout: float = 3600) -> float:
    log(f"{title}: territoire {' '.join(args)}")
    started = time.perf_counter()
    try:
        subprocess.run(
            [str(TERRITOIRE), *args],
            env=env_for(var_dir),
            cwd=REPO,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"[bench] {title} failed (exit {exc.returncode})") from exc
    elapsed = time.perf_counter() - started
    log(f"{title}: {elapsed:.1f} s")
    return elapsed


def fresh(var_dir: Path) -> None:
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)


def table_count(db: Path, table: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608 (our own names)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--skip-setup", action="store_true", help="reuse the source database of a previous run"
    )
    args = parser.parse_args()

    setup: dict[str, float] = {}
    if not (args.skip_setup and (SOURCE / "territoire.sqlite3").exists()):
        fresh(SOURCE)
        setup["migrate_s"] = run("source: migrate", ["migrate", "--verbosity", "0"], SOURCE)
        setup["demo_s"] = run(
            "source: demo",
            [
                "demo",
                "--communes",
                str(args.communes),
                "--months",
                str(args.months),
                "--seed",
                str(args.seed),
            ],
            SOURCE,
        )
        media = SOURCE / "media" / "documents"
        media.mkdir(parents=True, exist_ok=True)
        for index in range(MEDIA_FILES):
            (media / f"piece-{index:02}.bin").write_bytes(os.urandom(MEDIA_FILE_SIZE))

    ARCHIVE.unlink(missing_ok=True)
    backup_s = run("backup", ["backup", str(ARCHIVE)], SOURCE)
    verify_s = run("verify", ["restore", "--verify", str(ARCHIVE)], SOURCE)
    fresh(TARGET)
    target_migrate_s = run("target: migrate", ["migrate", "--verbosity", "0"], TARGET)
    restore_s = run("restore", ["restore", str(ARCHIVE)], TARGET)

    with zipfile.ZipFile(ARCHIVE) as archive:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    counts = {entry["label"]: entry["count"] for entry in manifest["models"]}
    db = TARGET / "territoire.sqlite3"
    for label, count in counts.items():
        app_label, model = label.split(".")
        try:
            restored = table_count(db, f"{app_label}_{model}")
        except sqlite3.OperationalError:
            continue  # a table named otherwise (db_table): the restore checked it already
        if restored != count:
            raise SystemExit(f"[bench] {label}: {restored} rows restored, {count} in the archive")
    restored_files = sum(1 for p in (TARGET / "media").rglob("*") if p.is_file())
    if restored_files != len(manifest["media"]):
        raise SystemExit(f"[bench] {restored_files} files restored, {len(manifest['media'])} in the archive")

    result = {
        "benchmark": "restore",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "scale": {"communes": args.communes, "months": args.months, "seed": args.seed},
        "database": "sqlite (file, WAL) → sqlite",
        "seconds": {
            "backup": round(backup_s, 2),
            "verify": round(verify_s, 2),
            "target_migrate": round(target_migrate_s, 2),
            "restore": round(restore_s, 2),
            "recovery_time": round(target_migrate_s + restore_s, 2),
        },
        "setup_seconds": {k: round(v, 1) for k, v in setup.items()},
        "archive_bytes": ARCHIVE.stat().st_size,
        "source_database_bytes": (SOURCE / "territoire.sqlite3").stat().st_size,
        "rows": sum(counts.values()),
        "media_files": len(manifest["media"]),
        "row_counts": {label: count for label, count in counts.items() if count},
        "note": (
            "each time is the wall time of the command as an operator runs it, Python start-up "
            "included; recovery_time = migrate an empty database + restore (the verification is "
            "part of the restore)"
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    log(
        f"{result['rows']} rows, {result['media_files']} files, archive {result['archive_bytes'] / 1e6:.1f} MB: "
        f"backup {backup_s:.1f} s, verify {verify_s:.1f} s, restore {restore_s:.1f} s → {RESULTS.relative_to(REPO)}"
    )


if __name__ == "__main__":
    sys.exit(main())
