"""The SQLite backend queues writers on a file lock (territoire.core.sqlite).

Each test opens its own file database with connections of the project's backend, one
per thread, as web workers do.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.utils import OperationalError

from territoire.core.sqlite.base import LOCK_SUFFIX, DatabaseWrapper

# django_db lets these tests open connections (to their own database, not the test one).
pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend"),
    pytest.mark.django_db,
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Callable[..., DatabaseWrapper]]:
    """Connections to a fresh file database, with the project's SQLite options."""
    path = tmp_path / "queue.sqlite3"
    opened: list[DatabaseWrapper] = []

    def connect(timeout: float = 5) -> DatabaseWrapper:
        settings = {
            **connection.settings_dict,
            "NAME": str(path),
            "OPTIONS": {**connection.settings_dict["OPTIONS"], "timeout": timeout},
        }
        wrapper = DatabaseWrapper(settings, alias=f"queue-{len(opened)}")
        opened.append(wrapper)
        return wrapper

    first = connect()
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE step (id INTEGER PRIMARY KEY, name TEXT)")
    first.close()
    yield connect
    for wrapper in opened:
        wrapper.inc_thread_sharing()  # closed from the test's thread
        wrapper.close()


def begin(db: DatabaseWrapper) -> None:
    """What ``transaction.atomic()`` does first on SQLite."""
    db.ensure_connection()
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(db: DatabaseWrapper, *, commit: bool = True) -> None:
    db.commit() if commit else db.rollback()
    db.set_autocommit(True)


def insert(db: DatabaseWrapper, name: str) -> None:
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO step (name) VALUES (%s)", [name])


def lock_is_free(db: DatabaseWrapper) -> bool:
    """Whether another process could take the writer lock now (a separate open file)."""
    fd = os.open(str(db.writer_lock_path()), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_writer_waits_for_the_one_before_it_to_commit(database: Callable[..., DatabaseWrapper]) -> None:
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def first() -> None:
        db = database()
        begin(db)
        insert(db, "first")
        holding.set()
        release.wait(5)
        order.append("first commits")
        end(db)

    def second() -> None:
        db = database()
        holding.wait(5)
        begin(db)  # waits here until the first one commits
        order.append("second begins")
        insert(db, "second")
        end(db)

    one, errors_one = in_thread(first)
    two, errors_two = in_thread(second)
    holding.wait(5)
    time.sleep(0.2)
    assert order == []  # the second writer is still waiting
    release.set()
    one.join(10)
    two.join(10)
    assert errors_one == errors_two == []
    assert order == ["first commits", "second begins"]
    reader = database()
    with reader.cursor() as cursor:
        cursor.execute("SELECT name FROM step ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]


def test_a_writer_gives_up_after_the_timeout_with_a_clear_error(
    database: Callable[..., DatabaseWrapper],
) -> None:
    holder = database()
    begin(holder)
    insert(holder, "long")
    waiting = database(timeout=0.2)
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"database is locked: another writer held .*-writer\.lock"):
        begin(waiting)
    assert 0.2 <= time.monotonic() - started < 2
    end(holder)
    # Once the holder is done, the same connection writes.
    waiting.set_autocommit(True)
    begin(waiting)
    insert(waiting, "after")
    end(waiting)


def test_a_transaction_holds_the_lock_until_it_commits_or_rolls_back(
    database: Callable[..., DatabaseWrapper],
) -> None:
    db = database()
    db.ensure_connection()
    assert lock_is_free(db)
    begin(db)
    assert not lock_is_free(db)
    insert(db, "kept")
    end(db)
    assert lock_is_free(db)
    begin(db)
    insert(db, "undone")
    end(db, commit=False)
    assert lock_is_free(db)
    begin(db)
    insert(db, "lost")
    db.close()  # closed mid-transaction: SQLite rolls back, the lock is given back
    assert lock_is_free(db)
    reader = database()
    with reader.cursor() as cursor:
        cursor.execute("SELECT name FROM step")
        assert cursor.fetchall() == [("kept",)]


def test_a_failed_begin_gives_the_lock_back(
    database: Callable[..., DatabaseWrapper], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = database()
    db.ensure_connection()
    monkeypatch.setattr(db, "transaction_mode", "NOT A MODE")
    with pytest.raises(OperationalError):
        begin(db)
    assert lock_is_free(db)


def test_an_autocommit_write_waits_on_sqlites_own_lock(database: Callable[..., DatabaseWrapper]) -> None:
    holder = database()
    begin(holder)

    def autocommit_write() -> None:
        # Left to SQLite's own lock: this write waits for the holder, then goes through.
        insert(database(timeout=2), "autocommit")

    thread, errors = in_thread(autocommit_write)
    time.sleep(0.1)
    assert thread.is_alive()
    end(holder)
    thread.join(5)
    assert errors == []
    assert lock_is_free(holder)


def test_the_lock_file_sits_next_to_the_database_with_its_mode(
    database: Callable[..., DatabaseWrapper],
) -> None:
    db = database()
    os.chmod(db.settings_dict["NAME"], 0o640)
    begin(db)
    end(db)
    lock = Path(f"{db.settings_dict['NAME']}{LOCK_SUFFIX}")
    assert db.writer_lock_path() == str(lock)
    assert oct(lock.stat().st_mode & 0o777) == oct(0o640)
    assert lock.stat().st_uid == Path(db.settings_dict["NAME"]).stat().st_uid


def test_without_a_usable_lock_file_sqlite_still_serialises_the_writers(
    database: Callable[..., DatabaseWrapper], caplog: pytest.LogCaptureFixture
) -> None:
    db = database(timeout=1)
    Path(str(db.writer_lock_path())).mkdir()  # a directory cannot be opened for writing
    begin(db)
    insert(db, "written")
    end(db)
    assert "writers not queued: cannot open" in caplog.text
    with db.cursor() as cursor:
        cursor.execute("SELECT name FROM step")
        assert cursor.fetchall() == [("written",)]


def test_an_in_memory_database_has_no_lock_file() -> None:
    memory = DatabaseWrapper({**connection.settings_dict, "NAME": ":memory:"}, alias="memory")
    assert memory.writer_lock_path() is None
    begin(memory)
    end(memory)
    assert memory._writer_fd is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_does_not_share_its_parents_lock(database: Callable[..., DatabaseWrapper]) -> None:
    parent = database(timeout=0.3)
    begin(parent)  # the parent holds the lock, then forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its inherited connection must wait like any other writer
        outcome = b"?"
        try:
            parent.connection = None  # SQLite connections do not cross fork
            parent.in_atomic_block = False
            parent.set_autocommit(True)
            try:
                begin(parent)
                outcome = b"got the lock"
            except OperationalError as exc:
                outcome = b"waited" if LOCK_SUFFIX in str(exc) else str(exc).encode()
        finally:
            os.write(write, outcome)
            os._exit(0)
    os.close(write)
    _pid, _status = os.waitpid(pid, 0)
    assert os.read(read, 100) == b"waited"
    end(parent)


def test_a_connection_checkpoints_every_few_commits_once_it_gave_the_lock_back(
    database: Callable[..., DatabaseWrapper], monkeypatch: pytest.MonkeyPatch
) -> None:
    from territoire.core.sqlite import base as backend

    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 3)
    db = database()
    seen: list[tuple[bool, tuple[int, int, int] | None]] = []
    real = DatabaseWrapper.checkpoint

    def watched(self: DatabaseWrapper) -> tuple[int, int, int] | None:
        free = lock_is_free(self)
        result = real(self)
        seen.append((free, result))
        return result

    monkeypatch.setattr(DatabaseWrapper, "checkpoint", watched)
    for n in range(7):
        begin(db)
        insert(db, f"row {n}")
        end(db)
    # After the 3rd and the 6th commit; the lock was free; every WAL page was copied.
    assert len(seen) == 2
    for free, result in seen:
        assert free
        assert result is not None
        busy, wal_pages, copied = result
        assert busy == 0
        assert wal_pages > 0
        assert copied == wal_pages
    # A rolled-back transaction and an autocommit write are not counted.
    begin(db)
    insert(db, "undone")
    end(db, commit=False)
    insert(db, "autocommit")
    assert len(seen) == 2


def test_a_failed_checkpoint_is_logged_not_raised(
    database: Callable[..., DatabaseWrapper], caplog: pytest.LogCaptureFixture
) -> None:
    db = database()
    db.ensure_connection()

    class Refusing:
        def execute(self, sql: str) -> Any:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            pass

    real_connection = db.connection
    db.connection = Refusing()
    try:
        assert db.checkpoint() is None
    finally:
        db.connection = real_connection
    assert "checkpoint of" in caplog.text
    assert "disk I/O error" in caplog.text


def test_an_in_memory_database_has_nothing_to_checkpoint() -> None:
    assert connection.is_in_memory_db()
    connection.ensure_connection()
    assert connection.checkpoint() is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ("SELECT %s, %s", [1, 2]),
        ("SELECT '100%%', %s", ["x"]),  # a literal percent sign
        ("SELECT '%%s', %s", ["x"]),  # a literal "%s"
        ("SELECT %(a)s, %(b)s", {"a": 1, "b": 2}),  # pyformat: not cached
        ("SELECT 1", None),
    ],
)
def test_the_cursor_converts_placeholders_as_djangos_does(query: str, params: Any) -> None:
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    from territoire.core.sqlite.base import SQLiteCursor

    connection.ensure_connection()
    ours = connection.connection.cursor(factory=SQLiteCursor)
    django = connection.connection.cursor(factory=SQLiteCursorWrapper)
    names = list(params) if isinstance(params, dict) else None
    if params is not None:
        assert ours.convert_query(query, param_names=names) == django.convert_query(query, param_names=names)
    assert ours.execute(query, params).fetchall() == django.execute(query, params).fetchall()


def test_each_distinct_statement_is_converted_once_and_long_ones_are_not_kept() -> None:
    from territoire.core.sqlite import base as backend

    connection.ensure_connection()
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, backend.SQLiteCursor)
        statement = "SELECT %s + %s -- test_each_distinct_statement"
        before = backend._qmark.cache_info()
        for n in range(5):
            cursor.execute(statement, [n, 1])
            assert cursor.fetchone() == (n + 1,)
        after = backend._qmark.cache_info()
        assert (after.misses - before.misses, after.hits - before.hits) == (1, 4)
        long = "SELECT %s" + " " * backend.CACHED_QUERY_LENGTH
        cursor.execute(long, [7])
        assert cursor.fetchone() == (7,)
        assert backend._qmark.cache_info().misses == after.misses
