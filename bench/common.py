"""Shared pieces of the benchmark scripts."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def territoire_env(var_dir: Path, db_path: Path) -> dict[str, str]:
    """A command's environment: everything under ``var_dir``, development profile, no debug.

    Whatever the calling shell points at (another database, a shared cache, a default
    organisation, a secret) must not leak into the measurement.
    """
    env = dict(os.environ)
    env.update(
        TERRITOIRE_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{db_path}",
        TERRITOIRE_ENV="development",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CACHE_BACKEND", "CACHE_LOCATION", "TERRITOIRE_DEFAULT_ORGANISATION", "SECRET_KEY"):
        env.pop(name, None)
    return env


# --- Servers and requests of every benchmark -------------------------------------------

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def http_request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    """One request to the benchmark server on the loopback: (status, headers, body)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def run_step(title: str, command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> float:
    """Run one setup command, streaming its output; return its duration in seconds."""
    log(f"{title}: {' '.join([Path(command[0]).name, *command[1:]])}")
    started = time.perf_counter()
    try:
        subprocess.run(command, env=env, cwd=cwd, check=True, timeout=timeout)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"[bench] {title} failed (exit {exc.returncode})") from exc
    except subprocess.TimeoutExpired as exc:
        raise SystemExit(f"[bench] {title} took more than {timeout:.0f} s") from exc
    elapsed = time.perf_counter() - started
    log(f"{title}: done in {elapsed:.1f} s")
    return elapsed


def fresh_sqlite(db_path: Path) -> None:
    """Remove a SQLite database and its WAL files; create its directory."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so that the finally blocks stop the server


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both end in the finally blocks that stop the server.

    SIGINT is set explicitly: a shell starting the benchmark in the background would
    otherwise ignore it.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn master started in its own session, and its workers."""
    if process.poll() is not None:
        return
    log(f"stopping gunicorn (pid {process.pid})")
    process.terminate()  # the master stops its workers gracefully
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own group: the master and its workers only
        process.wait(timeout=5)


# Threads per worker, as territoire/gunicorn_conf.py ships them (WEB_THREADS).
SERVER_THREADS = 4


@contextmanager
def gunicorn_server(
    env: dict[str, str],
    *,
    workers: int,
    log_path: Path,
    cwd: Path,
    startup_timeout: float = 60,
    threads: int = SERVER_THREADS,
) -> Iterator[int]:
    """Serve the project with gunicorn on a free loopback port for the block; always stop it."""
    port = free_port()
    command = [
        str(cwd / ".venv" / "bin" / "gunicorn"),
        "territoire.wsgi",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"{LOOPBACK}:{port}",
        "--log-level",
        "warning",
    ]
    log(f"gunicorn: {workers} workers × {threads} threads on http://{LOOPBACK}:{port} (log: {log_path})")
    with log_path.open("w") as log_file:
        # Its own session: a Ctrl-C in the terminal reaches us, and we stop it cleanly.
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"[bench] gunicorn exited with {process.returncode}; see {log_path}")
                try:
                    if http_request(port, "/healthz/live", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"[bench] gunicorn did not answer within {startup_timeout:.0f} s")
                time.sleep(0.2)
            log("gunicorn: /healthz/live answers")
            yield port
        finally:
            stop_server(process)


def machine_info(
    repo: Path, packages: tuple[str, ...] = ("django", "gunicorn", "django-ninja")
) -> dict[str, Any]:
    """What the figures depend on: CPUs, load, versions of ``packages``, commit, date."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = ""
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "nproc": available,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def sqlite_count(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    """One integer from a read-only connection (the server may be writing: WAL allows it)."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)) as db:
        return int(db.execute(sql, params).fetchone()[0])


def wait_until_stable(read: Callable[[], int], *, quiet_s: float = 1.5, limit_s: float = 30) -> int:
    """Poll ``read()`` until it stops changing for ``quiet_s`` (requests still in the server finish)."""
    value = read()
    changed = time.monotonic()
    deadline = changed + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.25)
        current = read()
        if current != value:
            value, changed = current, time.monotonic()
        elif time.monotonic() - changed >= quiet_s:
            break
    return value


# --- SQLite or PostgreSQL, read by the benchmarks ----------------------------------------

# A benchmark's database: a SQLite file, or a PostgreSQL URL (``postgres://…``).
Database = Path | str


class ReadConnection:
    """A connection that takes SQLite's ``?`` placeholders on either database.

    The benchmarks' few read queries are plain SQL that both databases accept; only the
    placeholder differs (psycopg wants ``%s``).
    """

    def __init__(self, database: Database, *, timeout: float = 30) -> None:
        self.postgres = isinstance(database, str)
        if isinstance(database, str):
            import psycopg  # the project's dependency, in the venv

            self._conn: Any = psycopg.connect(database, autocommit=True, connect_timeout=int(timeout))
        else:
            self._conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=timeout)

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        if self.postgres:
            sql = sql.replace("?", "%s")
        return self._conn.execute(sql, params)

    def close(self) -> None:
        self._conn.close()


def database_errors() -> tuple[type[Exception], ...]:
    """The errors of a query on a missing table, on either database."""
    errors: list[type[Exception]] = [sqlite3.OperationalError]
    try:
        import psycopg

        errors.append(psycopg.Error)
    except ImportError:  # SQLite-only install
        pass
    return tuple(errors)


def database_count(database: Database, sql: str, params: tuple[Any, ...] = ()) -> int:
    """One integer from the benchmark's database (read-only on SQLite: the server may be writing)."""
    with closing(ReadConnection(database)) as db:
        return int(db.execute(sql, params).fetchone()[0])


PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_recreate(name: str) -> str:
    """Drop and create the PostgreSQL database ``name`` on 127.0.0.1:5432; return its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return pg_url(name)


def pg_drop(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
