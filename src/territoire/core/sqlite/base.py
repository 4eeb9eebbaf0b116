"""Django's SQLite backend, with writers queued on a file lock.

SQLite lets one connection write at a time. A connection that finds the write lock
taken waits in SQLite's busy handler, which sleeps 1 ms, then 2, 5, 10 ms… between
attempts, however soon the lock is released. A web request's write transaction lasts
a fraction of a millisecond (an Open311 report: three inserts and a commit), so with
two web workers writing, a waiting writer slept several times longer than the
transaction it waited for, and the CPU sat idle meanwhile.

Here every transaction of ``transaction.atomic()`` (which begins with
``BEGIN IMMEDIATE``, see ``settings.py``) first takes an exclusive ``flock`` on
``<database>-writer.lock``, and gives it back after ``COMMIT`` or ``ROLLBACK``. A
writer that finds it taken looks again every few tens of microseconds for 10 ms (a
web request's transaction is over by then), then every millisecond, up to the
``timeout`` of the database's ``OPTIONS`` (5 s, as SQLite's own wait), and then
raises ``OperationalError`` naming the lock file.

Checkpoints happen outside the queue. SQLite's own (``wal_autocheckpoint``) runs inside
the COMMIT that fills the WAL, so a web request's commit would copy thousands of pages
and sync the disk (tens of milliseconds) while every other writer waited in the queue.
Instead, a connection runs a PASSIVE checkpoint after every ``CHECKPOINT_EVERY`` of its
commits, once it has given the lock back: SQLite lets writers go on appending to the WAL
meanwhile, and a passive checkpoint waits for no one. SQLite's automatic checkpoint
stays as the backstop for a large transaction (an import) and for other programs.

The file lock is a queue, not the guarantee: SQLite's own locking still protects
every write. A writer that does not take the file lock (another program, a write
outside ``atomic()``, in autocommit mode) is waited for by SQLite's busy handler as
before. The kernel releases the lock of a process that dies. The lock file takes the
database file's mode and owner; if it cannot be opened, the writers are not queued (a
warning is logged) and SQLite's lock serialises them as before. An in-memory database
has no lock file (one process only).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

logger = logging.getLogger(__name__)

LOCK_SUFFIX = "-writer.lock"
DEFAULT_TIMEOUT = 5.0
# A web request's transaction ends within a millisecond: look again often at first
# (the kernel rounds these sleeps up to about 60 µs); a writer still there after 10 ms
# is a long one (an import), looked at every millisecond.
SHORT_PAUSE = 0.00002
LONG_PAUSE = 0.001
SHORT_WAIT = 0.01
# A report's commit writes about thirty WAL pages, mostly the same index pages as the
# commits before it: a checkpoint copies each page once, however many commits wrote it.
# A checkpoint every 300 commits of a connection rather than every 100 costs a report less
# (measured in-process: 50 instead of 80 µs of CPU, 115 instead of 180 µs of wall time
# with the disk syncs), and keeps the WAL to about 9,000 pages (SQLite reads slow
# down as the WAL grows), below the automatic checkpoint's threshold (settings.py).
CHECKPOINT_EVERY = 300


def _open_lock_file(path: str, database: str) -> int:
    """Open (or create) the lock file with the database file's mode and owner, as SQLite
    does for its ``-wal`` and ``-shm`` files: a command run as root must not leave a
    lock file the web server's user cannot open."""
    try:
        db = os.stat(database)
    except OSError:
        db = None
    mode = (db.st_mode & 0o666) if db is not None else 0o600
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
    try:
        if db is not None and os.geteuid() == 0:
            lock = os.fstat(fd)
            if (lock.st_uid, lock.st_gid) != (db.st_uid, db.st_gid):
                os.fchown(fd, db.st_uid, db.st_gid)
    except OSError:
        os.close(fd)
        raise
    return fd


# Statements longer than this are converted each time rather than kept (a bulk insert's
# thousands of placeholders): the cache holds at most 1,024 × 4 kB.
CACHED_QUERY_LENGTH = 4096


@functools.lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursor(base.SQLiteCursorWrapper):
    """Django's cursor, which converts each distinct statement's placeholders once.

    Django turns its ``%s`` placeholders into SQLite's ``?`` with a regular expression
    over the whole statement, on every execution: for an insert of thirty columns, that
    scan costs about as much as the insert's own bookkeeping in Python. The same
    statements run again and again (the ORM and ``core.rows`` build them identically).
    """

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None and len(query) <= CACHED_QUERY_LENGTH:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))  # type: ignore[misc]


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_pid: int = 0
    _writer_locked: bool = False
    _writer_warned: bool = False
    _commits_since_checkpoint: int = 0

    def create_cursor(self, name: str | None = None) -> SQLiteCursor:
        return self.connection.cursor(factory=SQLiteCursor)

    # --- the file lock ------------------------------------------------------------------

    def writer_lock_path(self) -> str | None:
        """``<database>-writer.lock``, or None for an in-memory database."""
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}{LOCK_SUFFIX}"

    def _writer_lock_fd(self) -> int | None:
        path = self.writer_lock_path()
        if path is None:
            return None
        if self._writer_fd is not None and self._writer_pid != os.getpid():
            # Inherited through fork: that open file shares its lock with the parent's.
            # Closing our copy leaves the parent's lock alone; open a file of our own.
            os.close(self._writer_fd)
            self._writer_fd = None
            self._writer_locked = False
        if self._writer_fd is None:
            try:
                self._writer_fd = _open_lock_file(path, str(self.settings_dict["NAME"]))
            except OSError as exc:
                # Not fatal: SQLite's own lock still serialises the writers, only slower.
                if not self._writer_warned:
                    self._writer_warned = True
                    logger.warning("writers not queued: cannot open %s (%s)", path, exc)
                return None
            self._writer_pid = os.getpid()
        return self._writer_fd

    def _acquire_writer_lock(self) -> None:
        fd = self._writer_lock_fd()
        if fd is None or self._writer_locked:
            return
        started = time.monotonic()
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", DEFAULT_TIMEOUT))
        pause = SHORT_PAUSE
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout:
                    raise OperationalError(
                        f"database is locked: another writer held {self.writer_lock_path()} for"
                        f" more than {timeout:g} s (a long transaction is running; retry later)"
                    ) from None
                if waited >= SHORT_WAIT:
                    pause = LONG_PAUSE
                time.sleep(pause)
            else:
                self._writer_locked = True
                return

    def _release_writer_lock(self) -> None:
        if self._writer_locked and self._writer_fd is not None:
            self._writer_locked = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    # --- where a transaction begins and ends --------------------------------------------
    # Django's private hooks of a backend, which django-stubs does not declare.

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> Any:
        queued = self._writer_locked
        try:
            result = super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
        if queued:
            self._commits_since_checkpoint += 1
            if self._commits_since_checkpoint >= CHECKPOINT_EVERY:
                self.checkpoint()
        return result

    def checkpoint(self) -> tuple[int, int, int] | None:
        """A PASSIVE checkpoint, outside the writers' queue: (busy, WAL pages, pages copied).

        None when there is nothing to do (no connection, in-memory database) or when SQLite
        refused (logged: the automatic checkpoint will do it later).
        """
        self._commits_since_checkpoint = 0
        if self.connection is None or self.is_in_memory_db() or self._writer_locked:
            return None
        try:
            row = self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            logger.warning("checkpoint of %s failed: %s", self.settings_dict["NAME"], exc)
            return None
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            # Closing the connection rolls back an open transaction: nothing is held.
            self._release_writer_lock()
            if self._writer_fd is not None and self._writer_pid == os.getpid():
                os.close(self._writer_fd)
            self._writer_fd = None
