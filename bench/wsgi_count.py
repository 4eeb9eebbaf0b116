"""Run requests through the WSGI application in-process, for an instruction count.

    valgrind --tool=callgrind --instr-atstart=no .venv/bin/python bench/wsgi_count.py \
        --get /healthz/live --count 200
    ... bench/wsgi_count.py --requests bench/var/open311/intake.tsv --count 200

Callgrind counts the instructions a process runs, not seconds: the same code and inputs
give the same count however busy the machine is, where a shared machine's throughput
drifts by tens of percent from one ten-second round to the next. The driver warms up
(``--warmup`` requests: imports, caches, the territory snapshot), then switches
callgrind's instrumentation on (``callgrind_control -i on``) for ``--count`` requests
only, and off again. Every answer must be 2xx, or it exits with 1.

What it cannot see: the kernel (the network, the writes of the WAL to the page cache,
disk syncs) and the waits between processes. It complements the load test; it does not
replace it. The database and environment are the caller's (``DATABASE_URL`` and the
rest, as bench/open311.py sets them).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from typing import Any


def environ(method: str, path: str, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }


def call(application: Callable[..., Iterable[bytes]], method: str, path: str, body: bytes) -> str:
    statuses: list[str] = []
    result = application(environ(method, path, body), lambda status, headers, *rest: statuses.append(status))
    try:
        b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return statuses[0]


def instrument(on: bool) -> None:
    """Switch callgrind's instrumentation of this process (nothing outside valgrind)."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        capture_output=True,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--get", metavar="PATH", help="GET this path")
    source.add_argument(
        "--requests", metavar="FILE", help="METHOD<tab>PATH<tab>BODY lines (bench/lua format)"
    )
    parser.add_argument("--count", type=int, default=200, help="requests counted (default 200)")
    parser.add_argument("--warmup", type=int, default=100, help="requests before counting (default 100)")
    args = parser.parse_args(argv)
    if args.requests:
        with open(args.requests, encoding="utf-8") as file:
            lines = [line.rstrip("\n").split("\t") for line in file if line.strip()]
        requests = [(parts[0], parts[1], (parts[2] if len(parts) > 2 else "").encode()) for parts in lines]
    else:
        requests = [("GET", args.get, b"")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "territoire.settings")
    from territoire.wsgi import application

    def run(start: int, count: int) -> str | None:
        for n in range(start, start + count):
            method, path, body = requests[n % len(requests)]
            status = call(application, method, path, body)
            if not status.startswith("2"):
                return f"{method} {path}: {status}"
        return None

    failed = run(0, args.warmup)
    instrument(True)
    failed = failed or run(args.warmup, args.count)
    instrument(False)
    if failed:
        print(f"[wsgi_count] not 2xx: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
