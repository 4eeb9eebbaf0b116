"""Kill the process in the middle of an import: the database holds all of it or none of it.

``territoire indicators import BIG.csv`` runs as a real process against a database on disk
(SQLite, and PostgreSQL when DATABASE_URL names one) and is sent SIGKILL at several points:
before, during and after its write transaction. Whatever the moment, the figures of the file
are then all there or none is (nor any organisation aggregate computed from them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PUBLIC_CODE = "connectivite.foyers_raccordables"
COMMUNES = 20
MONTHS = 150
ROWS = COMMUNES * MONTHS  # 3000 figures
TIMEOUT = 120
POLL_SECONDS = 0.005  # how often the kill condition is looked at while the import runs

SETUP = f"""
import django
django.setup()
from territoire.territory.models import OrganisationKind
from territoire.territory.services import add_commune, create_organisation
org = create_organisation(siren="200000001", name="CC des Essais", kind=OrganisationKind.COMMUNAUTE_COMMUNES)
for k in range({COMMUNES}):
    add_commune(organisation=org, insee_code=f"99{{k + 100:03d}}", name=f"Commune {{k}}", population=1000 + k)
"""

COUNT = (
    "SELECT COALESCE(SUM(CASE WHEN origin = 'import' THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN origin = 'import' THEN 0 ELSE 1 END), 0) FROM indicators_measurement"
)


def big_csv(path: Path) -> Path:
    lines = ["indicator,scope,period_start,period_end,value"]
    for k in range(COMMUNES):
        for m in range(MONTHS):
            year, month = 2010 + m // 12, m % 12 + 1
            end = f"{year}-12-31" if month == 12 else f"{year}-{month:02d}-{(_days(year, month)):02d}"
            lines.append(f"{PUBLIC_CODE},99{k + 100:03d},{year}-{month:02d}-01,{end},{(k * 7 + m) % 100}.5")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@dataclass
class Database:
    url: str
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def counts(self) -> tuple[int, int]:
        """(figures imported, other figures), read as a fresh client would after the crash."""
        if self.url.startswith("sqlite:///"):
            connection = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                imported, others = connection.execute(COUNT).fetchone()
            finally:
                connection.close()
        else:
            import psycopg

            with psycopg.connect(self.url) as pg:
                row = pg.execute(COUNT).fetchone()
                assert row is not None
                imported, others = row
        return int(imported), int(others)


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        TERRITOIRE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="territoire.settings",
        TERRITOIRE_ENV="development",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare(db: Database) -> None:
    migrated = db.run("-m", "territoire", "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    populated = db.run("-c", SETUP)
    assert populated.returncode == 0, populated.stderr


def import_and_kill(db: Database, csv: Path, kill_when: Callable[[], bool]) -> int | None:
    """Start the import, SIGKILL it once ``kill_when()`` is true; return its exit code.

    Polling, not a timing assertion: whenever the kill lands, the outcome must be all or nothing.
    Between two looks it waits on the process itself (which returns as soon as it exits), not
    in a sleep.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "territoire", "indicators", "import", str(csv)],
        env=db.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + TIMEOUT
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if kill_when():
                process.send_signal(signal.SIGKILL)
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=POLL_SECONDS)
        return process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def assert_all_or_nothing(db: Database, returncode: int | None) -> str:
    imported, others = db.counts()
    if returncode == 0:
        assert (imported, others > 0) == (ROWS, True)
        return "complete"
    assert returncode == -signal.SIGKILL
    assert imported in (0, ROWS), f"{imported} of {ROWS} figures survived the kill"
    if imported == 0:
        assert others == 0, "organisation aggregates without the figures they come from"
    else:
        assert others > 0, "the figures without their organisation aggregates"
    return "killed, all" if imported else "killed, none"


class After:
    """True once ``seconds`` have passed since the first call (the process start)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start: float | None = None

    def __call__(self) -> bool:
        now = time.monotonic()
        if self.start is None:
            self.start = now
        return now - self.start >= self.seconds


# Kill points, as fractions of the time an uninterrupted import takes (process start to exit):
# from the start-up to the validation, the write and the commit.
FRACTIONS = [0.15, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97]


def complete_run(db: Database, csv: Path) -> float:
    """An import left to finish: it stores every figure; return how long it took."""
    started = time.monotonic()
    assert assert_all_or_nothing(db, import_and_kill(db, csv, lambda: False)) == "complete"
    return time.monotonic() - started


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the PostgreSQL run of the suite checks PostgreSQL (below); SQLite is checked in the SQLite run",
)
def test_sqlite_import_killed_at_any_point_leaves_all_or_nothing(tmp_path: Path) -> None:
    template = tmp_path / "template.sqlite3"
    prepare(Database(f"sqlite:///{template}", environment(tmp_path, f"sqlite:///{template}")))
    csv = big_csv(tmp_path / "BIG.csv")

    def fresh(name: str) -> Database:
        path = tmp_path / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{template}{suffix}").exists():
                shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
        return Database(f"sqlite:///{path}", environment(tmp_path, f"sqlite:///{path}"))

    duration = complete_run(fresh("complete"), csv)
    outcomes: list[str] = []
    for n, fraction in enumerate(FRACTIONS):
        db = fresh(f"delay{n}")
        outcomes.append(assert_all_or_nothing(db, import_and_kill(db, csv, After(duration * fraction))))
    # And as soon as the write has reached the write-ahead log (inside the write).
    for n, size in enumerate([1, 32 * 1024]):
        db = fresh(f"wal{n}")
        wal = Path(db.url.removeprefix("sqlite:///") + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0

        def grown(wal: Path = wal, start: int = wal_size, size: int = size) -> bool:
            return wal.exists() and wal.stat().st_size >= start + size

        outcomes.append(assert_all_or_nothing(db, import_and_kill(db, csv, grown)))
    print(f"sqlite: import of {ROWS} rows in {duration:.1f} s; kills: {outcomes}")


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, list[str]]]:
    """A dedicated template database on the PostgreSQL server of DATABASE_URL, dropped after."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not name a PostgreSQL server")
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    created: list[str] = []
    try:
        yield urlunsplit(parts._replace(path="/")), created
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            for name in reversed(created):
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def test_postgresql_import_killed_at_any_point_leaves_all_or_nothing(
    tmp_path: Path, postgres_databases: tuple[str, list[str]]
) -> None:
    import psycopg
    from psycopg import sql

    base, created = postgres_databases
    admin_url = base + "postgres"
    template = f"territoire_atomicity_{uuid.uuid4().hex[:8]}"

    def create(name: str, from_template: str | None = None) -> Database:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if from_template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(from_template))
            connection.execute(statement)
        created.append(name)
        return Database(base + name, environment(tmp_path, base + name))

    prepare(create(template))
    csv = big_csv(tmp_path / "BIG.csv")
    duration = complete_run(create(f"{template}_complete", from_template=template), csv)
    outcomes: list[str] = []
    for n, fraction in enumerate(FRACTIONS[1::2]):  # fewer: each run costs more on PostgreSQL
        db = create(f"{template}_{n}", from_template=template)
        outcomes.append(assert_all_or_nothing(db, import_and_kill(db, csv, After(duration * fraction))))
    # And once the import is seen inside its write transaction (a server process of the
    # database in a transaction that touches the figures' table), at once and a little later.
    for n, extra in enumerate([0.0, duration * 0.1]):
        name = f"{template}_write{n}"
        db = create(name, from_template=template)
        outcomes.append(assert_all_or_nothing(db, import_and_kill(db, csv, InWrite(admin_url, name, extra))))
    print(f"postgresql: import of {ROWS} rows in {duration:.1f} s; kills: {outcomes}")


class InWrite:
    """True ``extra`` seconds after PostgreSQL shows the import inside its write transaction."""

    QUERY = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND xact_start IS NOT NULL"
        " AND pid <> pg_backend_pid() AND query ILIKE '%%indicators_measurement%%'"
    )

    def __init__(self, admin_url: str, database: str, extra: float) -> None:
        self.admin_url, self.database, self.extra = admin_url, database, extra
        self.seen: float | None = None

    def __call__(self) -> bool:
        import psycopg

        if self.seen is None:
            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                row = connection.execute(self.QUERY, (self.database,)).fetchone()
            if row is None or row[0] == 0:
                return False
            self.seen = time.monotonic()
        return time.monotonic() - self.seen >= self.extra
