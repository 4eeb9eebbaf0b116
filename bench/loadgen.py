"""Load generation for the benchmarks: ``wrk`` when installed, a small Python fallback otherwise.

Both return the same :class:`LoadResult`, so the report does not depend on which one ran.
Only loopback URLs are ever loaded (the caller builds them from 127.0.0.1).
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import random
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)\b"


@dataclass
class LoadResult:
    """What one load run measured."""

    generator: str
    duration_s: float
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """Responses that were not 2xx/3xx plus failed connections, reads, writes and timeouts."""
        return self.non_2xx + sum(self.socket_errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


class LoadError(RuntimeError):
    """The load generator failed or printed something we could not read."""


# --- wrk ----------------------------------------------------------------------------


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version(path: str) -> str:
    # `wrk -v` prints its banner and exits with status 1.
    completed = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10, check=False)
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0].strip() if lines else "wrk"


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


def parse_wrk(output: str) -> LoadResult:
    """Read wrk's ``--latency`` report; latencies are converted to milliseconds."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in " + _DURATION, output, re.MULTILINE)
    p50 = re.search(r"^\s*50(?:\.0+)?%\s+" + _DURATION, output, re.MULTILINE)
    p99 = re.search(r"^\s*99(?:\.0+)?%\s+" + _DURATION, output, re.MULTILINE)
    if not (rate and total and p50 and p99):
        raise LoadError(f"could not read wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = {}
    if sockets:
        names = ("connect", "read", "write", "timeout")
        socket_errors = {n: int(v) for n, v in zip(names, sockets.groups(), strict=True) if int(v)}
    return LoadResult(
        generator="wrk",
        duration_s=round(_to_ms(total.group(2), total.group(3)) / 1000.0, 2),
        requests=int(total.group(1)),
        requests_per_s=float(rate.group(1)),
        p50_ms=round(_to_ms(p50.group(1), p50.group(2)), 3),
        p99_ms=round(_to_ms(p99.group(1), p99.group(2)), 3),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
    )


def run_wrk(path: str, url: str, *, duration: float, threads: int, connections: int) -> LoadResult:
    seconds = max(1, math.ceil(duration))
    command = [
        path,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        url,
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"wrk did not finish within {seconds + 60} s") from exc
    if completed.returncode != 0:
        raise LoadError(f"wrk exited with {completed.returncode}:\n{completed.stderr}")
    return parse_wrk(completed.stdout)


# --- Warm-up ---------------------------------------------------------------------------


def warm_up(url: str, *, duration: float, clients: int) -> tuple[int, int]:
    """Closed-loop warm-up: ``clients`` threads, each waiting for its answer before asking again.

    Unlike a short wrk run, it leaves no request queued in the server when it returns (wrk
    drops its connections at the deadline, and gunicorn's sync workers would still render
    those requests during the next measurement). Returns (requests, non-2xx/3xx answers).
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.perf_counter() + duration
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts = [{"non_2xx": 0, "socket": 0} for _ in range(clients)]
    threads = [
        threading.Thread(target=_connection_loop, args=(host, port, path, deadline, latencies[i], counts[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = sum(c["non_2xx"] + c["socket"] for c in counts)
    return sum(len(x) for x in latencies), failures


# --- Python fallback -------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _connection_loop(
    host: str, port: int, path: str, deadline: float, latencies: list[float], counts: dict[str, int]
) -> None:
    """One client connection: keep-alive when the server allows it, reconnect otherwise."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Connection": "keep-alive"})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                counts["socket"] += 1
                conn.close()
                continue
            latencies.append((time.perf_counter() - started) * 1000.0)
            if not 200 <= response.status < 400:
                counts["non_2xx"] += 1
            if response.will_close:
                conn.close()
    finally:
        conn.close()


def _process_worker(host: str, port: int, path: str, duration: float, connections: int) -> dict[str, Any]:
    deadline = time.perf_counter() + duration
    # One latency list and one counter per connection: nothing shared between threads.
    latencies: list[list[float]] = [[] for _ in range(connections)]
    counts = [{"non_2xx": 0, "socket": 0} for _ in range(connections)]
    threads = [
        threading.Thread(
            target=_connection_loop, args=(host, port, path, deadline, latencies[i], counts[i]), daemon=True
        )
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 30)
    return {
        "latencies": [x for per_connection in latencies for x in per_connection],
        "non_2xx": sum(c["non_2xx"] for c in counts),
        "socket": sum(c["socket"] for c in counts),
    }


def _quiet_worker() -> None:
    """Pool processes leave interruption to the parent, which terminates the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_python(url: str, *, duration: float, threads: int, connections: int) -> LoadResult:
    """wrk's model in Python: ``threads`` processes sharing ``connections`` keep-alive clients.

    Processes, not threads alone, so the client is not capped by one interpreter's GIL.
    It is still much heavier per request than wrk: on a small machine it competes with the
    server for CPU, so absolute numbers are lower; ratios between targets remain comparable.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    processes = max(1, min(threads, connections))
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(processes, initializer=_quiet_worker) as pool:
        pending = [pool.apply_async(_process_worker, (host, port, path, duration, n)) for n in shares]
        outcomes = [p.get(timeout=duration + 60) for p in pending]
    elapsed = time.perf_counter() - started
    latencies = sorted(x for o in outcomes for x in o["latencies"])
    socket_failures = sum(o["socket"] for o in outcomes)
    return LoadResult(
        generator="python",
        duration_s=round(elapsed, 2),
        requests=len(latencies),
        requests_per_s=round(len(latencies) / duration, 2),
        p50_ms=round(percentile(latencies, 0.50), 3),
        p99_ms=round(percentile(latencies, 0.99), 3),
        non_2xx=sum(o["non_2xx"] for o in outcomes),
        socket_errors={"socket": socket_failures} if socket_failures else {},
    )


# --- Scripted wrk runs (bench/lua/requests.lua) and a closed-loop client ------------------
# Added for open311.py and load.py; the functions above keep their behaviour.

WRK_JSON_PREFIX = "WRK_JSON "


@dataclass
class ScriptedResult:
    """A wrk run driven by ``bench/lua/requests.lua``: wrk's report plus what the script counted."""

    load: LoadResult
    statuses: dict[int, int]
    ids: list[str]
    quantiles_ms: list[float]  # 1000 latency quantiles (0.1 %, 0.2 %, … 100 %)
    max_ms: float

    def count(self, low: int, high: int) -> int:
        """Answers whose status is in [low, high)."""
        return sum(n for status, n in self.statuses.items() if low <= status < high)

    @property
    def classes(self) -> dict[str, int]:
        return {
            "2xx": self.count(200, 300),
            "3xx": self.count(300, 400),
            "4xx": self.count(400, 500),
            "5xx": self.count(500, 600),
        }

    def percentile_ms(self, fraction: float) -> float:
        return quantile_of(self.quantiles_ms, fraction)


def quantile_of(quantiles: list[float], fraction: float) -> float:
    """Read a percentile off a list of evenly spaced quantiles (nearest rank)."""
    if not quantiles:
        return 0.0
    rank = min(len(quantiles), max(1, math.ceil(fraction * len(quantiles))))
    return quantiles[rank - 1]


def merge_quantiles(parts: list[tuple[int, list[float]]], fraction: float) -> float:
    """A percentile of several runs together, from each run's (request count, quantiles).

    Each quantile stands for an equal share of its run's requests; the merged distribution
    weighs them by the runs' sizes. Exact to the quantiles' resolution (0.1 % with 1000).
    """
    weighted = sorted(
        (value, count / len(quantiles))
        for count, quantiles in parts
        if count and quantiles
        for value in quantiles
    )
    total = sum(weight for _, weight in weighted)
    if not total:
        return 0.0
    running = 0.0
    for value, weight in weighted:
        running += weight
        if running >= fraction * total - 1e-9:
            return value
    return weighted[-1][0]


def run_wrk_script(
    path: str,
    url: str,
    *,
    script: str,
    script_args: list[str],
    duration: float,
    threads: int,
    connections: int,
) -> ScriptedResult:
    """``wrk -s script url -- script_args``; reads wrk's report and the script's JSON line."""
    seconds = max(1, math.ceil(duration))
    command = [
        path,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        url,
        "--",
        *script_args,
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"wrk did not finish within {seconds + 60} s") from exc
    if completed.returncode != 0:
        raise LoadError(f"wrk exited with {completed.returncode}:\n{completed.stderr}")
    report_lines = [line for line in completed.stdout.splitlines() if not line.startswith(WRK_JSON_PREFIX)]
    data_lines = [line for line in completed.stdout.splitlines() if line.startswith(WRK_JSON_PREFIX)]
    if not data_lines:
        raise LoadError(f"the wrk script printed no result:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(data_lines[-1][len(WRK_JSON_PREFIX) :])
    load = parse_wrk("\n".join(report_lines))
    latency = data["latency_us"]
    return ScriptedResult(
        load=load,
        statuses={int(k): int(v) for k, v in data["statuses"].items()},
        ids=[str(x) for x in data["ids"]],
        quantiles_ms=[round(float(x) / 1000.0, 3) for x in latency["quantiles"]],
        max_ms=round(float(latency["max"]) / 1000.0, 3),
    )


@dataclass(frozen=True)
class Probe:
    """One request of a closed-loop mix: its kind (for per-kind latency) and its path."""

    kind: str
    path: str


@dataclass
class ClosedLoopResult:
    duration_s: float
    latencies_ms: dict[str, list[float]]  # per kind, sorted
    statuses: dict[int, int]
    socket_errors: int

    @property
    def requests(self) -> int:
        return sum(len(x) for x in self.latencies_ms.values())

    def summary(self, kind: str | None = None) -> dict[str, Any]:
        values = (
            sorted(x for v in self.latencies_ms.values() for x in v)
            if kind is None
            else self.latencies_ms.get(kind, [])
        )
        return {
            "requests": len(values),
            "requests_per_s": round(len(values) / self.duration_s, 1) if self.duration_s else 0.0,
            "p50_ms": round(percentile(values, 0.50), 3),
            "p95_ms": round(percentile(values, 0.95), 3),
            "p99_ms": round(percentile(values, 0.99), 3),
            "max_ms": round(values[-1], 3) if values else 0.0,
        }


def _closed_loop_client(
    host: str,
    port: int,
    probes: list[Probe],
    deadline: float,
    seed: int,
    latencies: dict[str, list[float]],
    statuses: dict[int, int],
    failures: list[int],
) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        while time.perf_counter() < deadline:
            probe = probes[rng.randrange(len(probes))]
            started = time.perf_counter()
            try:
                conn.request("GET", probe.path, headers={"Connection": "keep-alive"})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failures[0] += 1
                conn.close()
                continue
            latencies.setdefault(probe.kind, []).append((time.perf_counter() - started) * 1000.0)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.will_close:
                conn.close()
    finally:
        conn.close()


def run_closed_loop(
    host: str, port: int, probes: list[Probe], *, duration: float, clients: int, seed: int = 1
) -> ClosedLoopResult:
    """``clients`` threads, each sending a random probe and waiting for its answer before the next.

    Meant for latency at modest concurrency (no queue builds up in the server when
    ``clients`` ≤ its workers), with the latency of each kind of request kept apart.
    """
    deadline = time.perf_counter() + duration
    per_client: list[tuple[dict[str, list[float]], dict[int, int], list[int]]] = [
        ({}, {}, [0]) for _ in range(clients)
    ]
    threads = [
        threading.Thread(
            target=_closed_loop_client,
            args=(host, port, probes, deadline, seed * 1000 + i, *per_client[i]),
            daemon=True,
        )
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    elapsed = time.perf_counter() - started
    latencies: dict[str, list[float]] = {}
    statuses: dict[int, int] = {}
    failures = 0
    for client_latencies, client_statuses, client_failures in per_client:
        for kind, values in client_latencies.items():
            latencies.setdefault(kind, []).extend(values)
        for status, n in client_statuses.items():
            statuses[status] = statuses.get(status, 0) + n
        failures += client_failures[0]
    return ClosedLoopResult(
        duration_s=round(elapsed, 2),
        latencies_ms={kind: sorted(values) for kind, values in latencies.items()},
        statuses=statuses,
        socket_errors=failures,
    )


# --- Writes at a fixed rate (open loop) -------------------------------------------------


def quantiles_of(sorted_values: list[float], count: int = 1000) -> list[float]:
    """``count`` evenly spaced nearest-rank quantiles, as the wrk script reports them."""
    return [percentile(sorted_values, (i + 1) / count) for i in range(count)] if sorted_values else []


def run_paced(
    host: str,
    port: int,
    requests: list[tuple[str, str, bytes]],
    *,
    rate: float,
    duration: float,
    clients: int = 8,
    id_of: Callable[[bytes], list[str]] | None = None,
) -> ScriptedResult:
    """Send ``rate`` requests a second for ``duration`` seconds, on schedule (open loop).

    Request *i* is due at ``i / rate`` s; ``clients`` threads take the due requests in turn,
    so one slow answer does not hold back the next one (a storm does not wait for the
    server). Latency is measured from the request's start. ``requests`` are (method, path,
    form body), taken round robin; ``id_of(body)`` returns the ids an answer acknowledges.
    """
    total = max(1, round(rate * duration))
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    ids: list[str] = []
    socket_errors = [0]
    started = time.perf_counter()

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            while True:
                with lock:
                    index = next_index[0]
                    next_index[0] += 1
                if index >= total:
                    return
                due = started + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # the schedule, not a wait for another thread
                method, path, body = requests[index % len(requests)]
                began = time.perf_counter()
                try:
                    conn.request(
                        method, path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
                    )
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException):
                    with lock:
                        socket_errors[0] += 1
                    conn.close()
                    continue
                elapsed_ms = (time.perf_counter() - began) * 1000.0
                found = list(id_of(payload)) if id_of and 200 <= response.status < 300 else []
                with lock:
                    latencies.append(elapsed_ms)
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    ids.extend(found)
                if response.will_close:
                    conn.close()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(max(1, clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    elapsed = time.perf_counter() - started
    values = sorted(latencies)
    non_2xx = sum(n for status, n in statuses.items() if not 200 <= status < 400)
    load = LoadResult(
        generator="python (paced)",
        duration_s=round(elapsed, 2),
        requests=len(values),
        requests_per_s=round(len(values) / elapsed, 2) if elapsed else 0.0,
        p50_ms=round(percentile(values, 0.50), 3),
        p99_ms=round(percentile(values, 0.99), 3),
        non_2xx=non_2xx,
        socket_errors={"socket": socket_errors[0]} if socket_errors[0] else {},
    )
    return ScriptedResult(
        load=load,
        statuses=statuses,
        ids=ids,
        quantiles_ms=[round(x, 3) for x in quantiles_of(values)],
        max_ms=round(values[-1], 3) if values else 0.0,
    )
