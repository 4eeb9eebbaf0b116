"""The SQLite settings: Django's own backend, in WAL mode, writers taking the lock at BEGIN."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.utils import OperationalError

# django_db lets these tests open connections (to their own database, not the test one).
pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite settings"),
    pytest.mark.django_db,
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Callable[..., DatabaseWrapper]]:
    """Connections to a fresh file database, with the project's SQLite options."""
    path = tmp_path / "writers.sqlite3"
    opened: list[DatabaseWrapper] = []

    def connect(timeout: float = 5) -> DatabaseWrapper:
        settings = {
            **connection.settings_dict,
            "NAME": str(path),
            "OPTIONS": {**connection.settings_dict["OPTIONS"], "timeout": timeout},
        }
        wrapper = DatabaseWrapper(settings, alias=f"writers-{len(opened)}")
        # Registered, so that transaction.atomic(using=…) opens it as the site would.
        connections[wrapper.alias] = wrapper
        opened.append(wrapper)
        return wrapper

    yield connect
    for wrapper in opened:
        wrapper.close()
        del connections[wrapper.alias]


def test_the_backend_is_djangos_own() -> None:
    assert connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_file_database_is_in_wal_mode_with_foreign_keys(database: Callable[..., DatabaseWrapper]) -> None:
    db = database()
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def test_a_second_writer_is_refused_at_begin_not_in_the_middle(
    database: Callable[..., DatabaseWrapper],
) -> None:
    """IMMEDIATE: the write lock is taken by BEGIN, so two writers cannot both read and
    then deadlock on their first write; the second one waits (here: not at all) at BEGIN."""
    first, second = database(), database(timeout=0)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE step (id INTEGER PRIMARY KEY, name TEXT)")
    with transaction.atomic(using=first.alias):
        with first.cursor() as cursor:
            cursor.execute("INSERT INTO step (name) VALUES ('first')")
        with pytest.raises(OperationalError, match="locked"), transaction.atomic(using=second.alias):
            pass
    with transaction.atomic(using=second.alias), second.cursor() as cursor:
        cursor.execute("INSERT INTO step (name) VALUES ('second')")
        cursor.execute("SELECT count(*) FROM step")
        assert cursor.fetchone()[0] == 2
