"""Two app servers, one PostgreSQL database and one Redis: what one learns, the other knows.

A site that has outgrown one process runs several gunicorn instances behind a proxy. Two
instances are started here on different loopback ports, against the test database (committed
rows: ``transactional_db``) and a Redis database of their own, and one HTTP client talks to
both, as a browser behind a load balancer does (cookies are not bound to a port). The test
shows that the rate limits count the hits of both servers together, that a figure recorded
through B is seen fresh on A's cached page, and that a session signed in on A, then its
second factor verified on A, is recognised and verified on B.

Skipped unless the suite runs on PostgreSQL (the PostgreSQL pass of ``make test``) and Redis
answers at 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

import territoire
from territoire.accounts.testing import totp_device, totp_now
from territoire.territory.models import Commune, Organisation, Role

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A Redis database of this test's own (emptied before and after), one per xdist worker.
REDIS_DB = 12 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 4
PASSWORD = "correct horse battery staple"
CODE = "services.taux_usage"
OPEN311 = "/open311/v2/requests.json"
VERIFY = "/compte/double-authentification/verifier/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Both servers: 4 public writes per (practically endless) window, so that no window ends mid-test.
PUBLIC_WRITES = 4


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    info = connection.settings_dict
    auth = info["USER"] + (f":{info['PASSWORD']}" if info.get("PASSWORD") else "")
    return f"postgres://{auth}@{info['HOST'] or '127.0.0.1'}:{info['PORT'] or 5432}/{info['NAME']}"


def _flush_redis() -> None:
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()


class Server:
    """One gunicorn instance on a loopback port; stopped by ``stop``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "territoire.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_up(self, timeout: float = 60) -> None:
        """Poll /healthz/live until it answers (the process starts; nothing else to wait for)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}: see {self._log.name}")
            try:
                if requests.get(self.base + "/healthz/live", timeout=10).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or busy starting
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn on {self.base} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)  # its own group: this server and its workers only
                self.process.wait(timeout=5)
        self._log.close()


@pytest.fixture
def two_servers(transactional_db: Any, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    if connection.vendor != "postgresql":
        pytest.skip("two app servers share one PostgreSQL database (the PostgreSQL pass of make test)")
    if not _answers(REDIS_HOST, REDIS_PORT):
        pytest.skip(f"Redis does not answer at {REDIS_HOST}:{REDIS_PORT}")
    _flush_redis()
    env = dict(os.environ)
    for name in ("SECRET_KEY", "TERRITOIRE_DEFAULT_ORGANISATION", "ALLOWED_HOSTS"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=_database_url(),
        CACHE_BACKEND="django.core.cache.backends.redis.RedisCache",
        CACHE_LOCATION=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        # One var dir: the secret key written there on first start is the one both sign with.
        TERRITOIRE_VAR_DIR=str(tmp_path / "var"),
        TERRITOIRE_ENV="development",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        TERRITOIRE_RATE_PUBLIC_WRITE=f"{PUBLIC_WRITES}/1000h",
        # A process trusts the data versions it read for a second by default (tested in
        # core/tests/test_cache.py); here the other server's write is seen at the next request.
        TERRITOIRE_PAGE_CACHE_VERSION_SECONDS="0",
        # The servers import the same code as this test (a worktree's src/ first, if it is).
        PYTHONPATH=os.pathsep.join(
            [
                str(Path(territoire.__file__).resolve().parents[1]),
                *filter(None, [os.environ.get("PYTHONPATH")]),
            ]
        ),
    )
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            server = Server(env, tmp_path / f"gunicorn-{name}.log")
            servers.append(server)
            server.wait_until_up()  # A first: it writes the secret key B then reads
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        _flush_redis()


def _csrf(response: requests.Response) -> str:
    found = CSRF_INPUT.search(response.text)
    assert found, f"no CSRF token in {response.url}"
    return found.group(1)


def _post_form(browser: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return browser.post(
        url,
        data={**data, "csrfmiddlewaretoken": _csrf(page)},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=30,
    )


def test_two_servers_agree(
    two_servers: tuple[Server, Server],
    organisation: Organisation,
    make_staff: Callable[..., Any],
    settings: Any,
) -> None:
    a, b = two_servers
    browser = requests.Session()  # one visitor, whichever server the balancer picks

    # Rate limits: the hits on A and on B count in one bucket (the shared cache).
    answers = [browser.post(s.base + OPEN311, data={}, timeout=30).status_code for s in (a, b, a, b, a, b)]
    assert all(status < 500 for status in answers), answers
    assert [status == 429 for status in answers] == [False] * PUBLIC_WRITES + [True, True], answers

    # Sessions and the second factor. The servers use the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    commune = Commune.objects.get(insee_code="99101")
    user = make_staff(organisation, Role.AGENT, commune)
    user.set_password(PASSWORD)
    user.save()
    device = totp_device(user)
    staff_url = f"/t/99101/indicateurs/{CODE}/saisir/"

    signed_in = _post_form(
        browser,
        a.base + "/admin/login/",
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    # Signed in on A, recognised on B: sent to the second factor, not to the sign-in page.
    on_b = browser.get(b.base + staff_url, allow_redirects=False, timeout=30)
    assert on_b.status_code == 302
    assert on_b.headers["Location"].startswith(VERIFY)

    verified = _post_form(browser, a.base + VERIFY, {"otp_token": totp_now(device), "next": staff_url})
    assert verified.status_code == 302, verified.text[:500]
    # Verified on A, verified on B.
    assert browser.get(b.base + staff_url, allow_redirects=False, timeout=30).status_code == 200

    # The page cache: A keeps the public indicator page, a figure recorded through B is
    # seen on A at once.
    public_url = f"/t/99101/indicateurs/{CODE}/"
    anonymous = requests.Session()
    before = anonymous.get(a.base + public_url, timeout=30)
    assert before.status_code == 200
    assert "42,5" not in before.text
    assert anonymous.get(a.base + public_url, timeout=30).text == before.text  # served from the cache
    recorded = _post_form(
        browser,
        b.base + staff_url,
        {"year": "2026", "month": "1", "quarter": "1", "value": "42,5", "note": ""},
    )
    assert recorded.status_code == 302, recorded.text[:500]
    assert "42,5" in anonymous.get(a.base + public_url, timeout=30).text
