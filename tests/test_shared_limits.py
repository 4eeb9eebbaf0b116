"""Limits shared by every worker, and the installation's files kept private.

Rate limits used to live in a per-process cache (LocMemCache): with N gunicorn workers,
every limit was multiplied by N. The default cache is now the database's (Redis when
configured), a system check and gunicorn's start refuse a per-process cache under several
workers, and the login lockout counts one username's failures from every address.
"""

from __future__ import annotations

import os
import runpy
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.test import Client, override_settings

from territoire.core import checks
from territoire.territory.models import Organisation

ROOT = Path(__file__).resolve().parents[1]
DATABASE_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "territoire_cache"}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}
DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}


def territoire(tmp_path: Path, code: str, **env: str) -> str:
    """Run ``code`` in ``territoire shell`` (a fresh process, settings read from ``env``)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CACHE_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "territoire", "shell", "-c", code],
        env={**base, "TERRITOIRE_VAR_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


# --- the default cache ------------------------------------------------------------------


def test_the_default_cache_is_shared_by_every_worker(tmp_path: Path) -> None:
    backend = (
        "from django.conf import settings; c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    )
    assert territoire(tmp_path, backend) == "django.core.cache.backends.db.DatabaseCache territoire_cache"
    redis = territoire(tmp_path, backend, CACHE_BACKEND="redis", CACHE_LOCATION="redis://127.0.0.1:6379/1")
    assert redis == "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/1"


@pytest.fixture
def database_cache(transactional_db: Any) -> Iterator[None]:
    with override_settings(CACHES={"default": DATABASE_CACHE}):
        call_command("createcachetable", verbosity=0)
        caches["default"].clear()
        yield
        caches["default"].clear()


def test_two_workers_count_in_the_same_database_cache(database_cache: None) -> None:
    # Two processes are two cache objects on one table: each sees the other's count.
    first, second = DatabaseCache("territoire_cache", {}), DatabaseCache("territoire_cache", {})
    assert first.add("ratelimit:x", 1, timeout=60)
    assert not second.add("ratelimit:x", 1, timeout=60)
    assert second.incr("ratelimit:x") == 2
    assert first.get("ratelimit:x") == 2


def test_rate_limits_count_in_the_database_cache(database_cache: None, settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "RATE_LIMITS": {**settings.TERRITOIRE["RATE_LIMITS"], "login": "2/m"},
    }
    client = Client()
    codes = [client.post("/admin/login/", {"username": "x", "password": "y"}).status_code for _ in range(3)]
    assert codes[-1] == 429, codes
    # Another worker (a fresh cache object on the same table) sees the counter.
    other = DatabaseCache("territoire_cache", {})
    assert any(other.has_key(key) for key in _keys())


def _keys() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM territoire_cache")
        return [str(row[0]).split(":", 2)[-1] for row in cursor.fetchall()]


# --- the system check and gunicorn ------------------------------------------------------


@pytest.mark.parametrize(
    ("cache", "workers", "refused"),
    [(LOCMEM, 2, True), (DUMMY, 4, True), (LOCMEM, 1, False), (DATABASE_CACHE, 8, False)],
)
def test_a_per_process_cache_is_refused_under_several_workers(
    cache: dict[str, str], workers: int, refused: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", str(workers))
    with override_settings(CACHES={"default": cache}):
        errors = checks.check_shared_cache()
    assert [e.id for e in errors] == (["territoire.E001"] if refused else [])
    if refused:
        assert f"{workers} workers" in errors[0].msg


def gunicorn_config() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def fake_server(workers: int) -> Any:
    return SimpleNamespace(cfg=SimpleNamespace(workers=workers))


def test_gunicorn_refuses_to_start_with_a_per_process_cache_and_several_workers() -> None:
    on_starting: Callable[[Any], None] = gunicorn_config()["on_starting"]
    with (
        override_settings(CACHES={"default": LOCMEM}),
        pytest.raises(RuntimeError, match=r"territoire\.E001"),
    ):
        on_starting(fake_server(3))
    with override_settings(CACHES={"default": LOCMEM}):
        on_starting(fake_server(1))
    with override_settings(CACHES={"default": DATABASE_CACHE}):
        on_starting(fake_server(3))


def test_gunicorn_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    config = gunicorn_config()
    assert config["wsgi_app"] == "territoire.wsgi:application"
    assert config["umask"] == 0o077
    assert "--config gunicorn.conf.py" in (ROOT / "Procfile").read_text()


def test_gunicorn_itself_stops_before_serving(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CACHE_")},
        "CACHE_BACKEND": "locmem",
        "WEB_CONCURRENCY": "2",
        "TERRITOIRE_BIND": "127.0.0.1:0",
        "TERRITOIRE_VAR_DIR": str(tmp_path / "var"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "--config", "gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "territoire.E001" in result.stderr


# --- login lockout across addresses -----------------------------------------------------


@pytest.mark.django_db
def test_password_spraying_from_five_addresses_locks_the_username(
    organisation: Organisation, make_staff: Callable[..., Any], settings: Any
) -> None:
    user = make_staff(organisation)
    client = Client()
    addresses = [f"198.51.100.{i}" for i in range(1, settings.AXES_FAILURE_LIMIT + 1)]
    for address in addresses:
        response = client.post(
            "/admin/login/", {"username": user.username, "password": "guess"}, REMOTE_ADDR=address
        )
    assert response.status_code == 429
    # From a sixth address, even the right password: the account is locked.
    refused = client.post(
        "/admin/login/",
        {"username": user.username, "password": "correct horse battery staple"},
        REMOTE_ADDR="203.0.113.77",
    )
    assert refused.status_code == 429
    # Another account is not locked by it.
    other = make_staff(organisation)
    assert (
        client.post(
            "/admin/login/",
            {"username": other.username, "password": "correct horse battery staple"},
            REMOTE_ADDR="203.0.113.78",
        ).status_code
        == 302
    )


# --- private files ------------------------------------------------------------------------


def test_the_product_processes_create_private_files(tmp_path: Path) -> None:
    umask = "import os; print(oct(os.umask(0)))"
    assert territoire(tmp_path, umask) == "0o77"
    assert territoire(tmp_path, f"import os, territoire.wsgi; {umask.split('; ')[1]}") == "0o77"
    var = tmp_path / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700  # made by the settings (the secret key)
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    database = territoire(
        tmp_path,
        "from django.db import connection; connection.ensure_connection(); print(connection.settings_dict['NAME'])",
    )
    assert stat.S_IMODE(Path(database).stat().st_mode) == 0o600


def test_uploads_are_written_for_the_service_only(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    storage = FileSystemStorage()
    name = storage.save("reports/2026/photo.jpg", ContentFile(b"jpeg"))
    assert stat.S_IMODE((tmp_path / "media" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "media" / "reports" / "2026").stat().st_mode) == 0o700


def test_a_readable_data_folder_is_warned_about(tmp_path: Path, settings: Any) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    (var / "secret_key").write_text("s")
    (var / "secret_key").chmod(0o600)
    settings.VAR_DIR = var
    assert checks.check_private_files() == []
    (var / "secret_key").chmod(0o644)
    var.chmod(0o755)
    (warning,) = checks.check_private_files()
    assert warning.id == "territoire.W002"
    assert str(var) in warning.msg
    assert "secret_key" in warning.msg
