"""The production profile: required settings and a clean `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DATABASE_PREPARED_STATEMENTS"}
    }
    return subprocess.run(
        [sys.executable, "-m", "territoire", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = _run(
        {
            "TERRITOIRE_ENV": "production",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-for-the-test-0123456789",
            "ALLOWED_HOSTS": "territoire.example.org",
            "TERRITOIRE_VAR_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_required_settings(tmp_path: Path, missing: str) -> None:
    env = {
        "TERRITOIRE_ENV": "production",
        "SECRET_KEY": "y" * 60,
        "ALLOWED_HOSTS": "territoire.example.org",
        "TERRITOIRE_VAR_DIR": str(tmp_path),
    }
    del env[missing]
    result = _run(env, "check")
    assert result.returncode != 0
    assert missing in result.stderr


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    env = {"TERRITOIRE_ENV": "development", "TERRITOIRE_VAR_DIR": str(tmp_path)}
    assert _run(env, "check").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert _run(env, "check").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    env = {"TERRITOIRE_VAR_DIR": str(tmp_path)}
    result = _run(
        env,
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"


@pytest.mark.parametrize(("flag", "expected"), [("", "True 5"), ("0", "None None")])
def test_postgresql_prepares_repeated_queries_unless_turned_off(
    tmp_path: Path, flag: str, expected: str
) -> None:
    env = {"TERRITOIRE_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@db.example.org/x"}
    if flag:
        env["DATABASE_PREPARED_STATEMENTS"] = flag
    result = _run(
        env,
        "shell",
        "-c",
        "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS'];"
        " print(o.get('server_side_binding'), o.get('prepare_threshold'))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
