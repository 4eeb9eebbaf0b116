"""`make demo`'s process tree: web, task worker and scheduler run together and stop together.

The Procfile is started by honcho, as `make serve` does, against a fresh SQLite database
on disk: the web answers, the scheduler enqueues the periodic jobs, the worker runs them,
and one Ctrl-C (SIGINT to the process group, as a terminal sends it) stops all three.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEADLINE = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str]) -> None:
    """Poll ``condition`` (another process's progress) until it holds, the tree dies or time is up."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if condition():
            return
        if proc.poll() is not None:
            pytest.fail(f"the process tree stopped before {what}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _live(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback, http)
            return bool(response.status == 200)
    except OSError:
        return False


def _tasks_done(database: Path) -> bool:
    with sqlite3.connect(database) as db:
        try:
            (done,) = db.execute(
                "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'SUCCESSFUL'"
            ).fetchone()
        except sqlite3.OperationalError:  # locked by a writer for a moment
            return False
    return bool(done)


@pytest.mark.skipif(not (BIN / "honcho").exists(), reason="honcho is installed by `make install`")
def test_the_procfile_runs_web_worker_and_scheduler_and_ctrl_c_stops_them(tmp_path: Path) -> None:
    database = tmp_path / "territoire.sqlite3"
    port = _free_port()
    env = {
        **os.environ,
        "TERRITOIRE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
        "TERRITOIRE_BIND": f"127.0.0.1:{port}",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([BIN / "territoire", "migrate", "--verbosity", "0"], env=env, check=True, timeout=300)
    proc = subprocess.Popen(
        [BIN / "honcho", "--no-colour", "-f", ROOT / "Procfile", "start"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _until(lambda: _live(f"http://127.0.0.1:{port}/healthz/live"), "the web to answer", proc)
        _until(lambda: _tasks_done(database), "the worker to run a scheduled job", proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            pytest.fail(f"Ctrl-C did not stop the process tree:\n{output}")
    for name in ("web.1", "worker.1", "scheduler.1"):
        assert name in output, output
    assert "enqueued" in output, output
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of the tree is left behind
