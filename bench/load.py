"""Load benchmark: the public pages and the public writes together, 64 connections for 60 s.

Builds the demo territory at benchmark scale in a fresh SQLite database under
``bench/var/load/``, serves it with gunicorn (2 workers), finds the public pages by
following the links of the territory's home (modules' pages included when they answer
200), then drives two wrk processes at once for ``--duration`` seconds: one reading the
pages, one posting reports to ``/open311/v2/requests.json`` (``bench/lua/requests.lua``),
``--connections`` connections in all. Every acknowledged report is then looked up in the
database. A short ``/healthz/live`` run at the same concurrency is the baseline. Writes
``bench/results/load.json`` and prints a summary. See ``bench/README.md``.

    .venv/bin/python bench/load.py [--duration 60] [--connections 64] [--skip-setup]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import loadgen
import open311
from common import (
    LOOPBACK,
    gunicorn_server,
    http_request,
    log,
    machine_info,
    stop_on_signals,
    wait_until_stable,
)
from open311 import BenchError

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var" / "load"
DB_PATH = VAR_DIR / "bench.sqlite3"
RESULTS = BENCH_DIR / "results" / "load.json"
ORGANISATION = open311.ORGANISATION
BASELINE_PATH = "/healthz/live"
AIM = {"max_5xx": 0, "max_lost_writes": 0}
# Links that are not public pages to load: downloads, sign-in, the admin, other languages.
SKIPPED = re.compile(r"\.(csv|json|xml|svg|png|jpe?g|geojson|zip|pdf|ics|txt)$|/compte/|/admin/|^/en/")
MAX_CRAWL = 150
SHAPES_PER_SECTION = 6
NAMED_SEGMENT = re.compile(r"[a-z]+(?:-[a-z]+)*")


# --- Pages -------------------------------------------------------------------------------------


def shape_of(path: str) -> tuple[str, ...]:
    """``/t/<code>/signalements/<uuid>/`` → ``("signalements", "*")``: the kind of page.

    Segments that are not plain words (ids, codes with digits or dots) become ``*``, so
    every report page is one shape, while ``signalements/nouveau/`` is another.
    """
    parts = [p for p in path.split("/") if p][2:]
    return tuple(p if NAMED_SEGMENT.fullmatch(p) else "*" for p in parts) or ("home",)


def discover_pages(port: int, siren: str = ORGANISATION) -> list[dict[str, Any]]:
    """Public pages reachable from the territory's home by links, that answer 200 with HTML.

    Breadth first from ``/t/<siren>/``, at most ``MAX_CRAWL`` fetches. One page of each
    shape is kept (see ``shape_of``: a section's index, its forms and sub-lists, one detail
    page), at most ``SHAPES_PER_SECTION`` per section (``indicateurs``, ``projets``,
    ``signalements``, ``participer``…). Staff pages answer a redirect and are left out.
    """
    start = f"/t/{siren}/"
    queue = deque([start])
    seen = {start}
    kept: dict[tuple[str, ...], dict[str, Any]] = {}
    per_section: dict[str, int] = {}
    fetched = 0
    while queue and fetched < MAX_CRAWL:
        path = queue.popleft()
        fetched += 1
        try:
            status, headers, body = http_request(port, path, timeout=60)
        except OSError:
            continue
        if status != 200 or "text/html" not in headers.get("content-type", ""):
            continue
        shape = shape_of(path)
        section = shape[0]
        if shape not in kept and per_section.get(section, 0) < SHAPES_PER_SECTION:
            kept[shape] = {"section": section, "shape": "/".join(shape), "path": path, "bytes": len(body)}
            per_section[section] = per_section.get(section, 0) + 1
        for href in re.findall(r'href="([^"#]+)"', body.decode("utf-8", "replace")):
            link = urlsplit(href.replace("&amp;", "&"))
            if link.scheme or link.netloc or not link.path.startswith(f"/t/{siren}/"):
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if target in seen or SKIPPED.search(link.path):
                continue
            seen.add(target)
            queue.append(target)
    if not kept:
        raise BenchError(f"no public page answers 200 under /t/{siren}/")
    return list(kept.values())


# --- Load ----------------------------------------------------------------------------------------


def run_both(
    args: argparse.Namespace, base_url: str, read_file: Path, write_file: Path
) -> tuple[loadgen.ScriptedResult, loadgen.ScriptedResult]:
    """Readers and writers at the same time, each in its own wrk (answers counted per kind)."""
    outcomes: dict[str, loadgen.ScriptedResult] = {}
    failures: list[BaseException] = []

    def one(kind: str, request_file: Path, connections: int, ids: bool) -> None:
        try:
            outcomes[kind] = loadgen.run_wrk_script(
                args.wrk,
                base_url,
                script=str(open311.LUA_SCRIPT),
                script_args=[str(request_file), *(["ids"] if ids else [])],
                duration=args.duration,
                threads=max(1, args.threads // 2),
                connections=connections,
            )
        except BaseException as exc:  # reported by the caller
            failures.append(exc)

    threads = [
        threading.Thread(target=one, args=("read", read_file, args.read_connections, False)),
        threading.Thread(target=one, args=("write", write_file, args.write_connections, True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return outcomes["read"], outcomes["write"]


def kind_summary(result: loadgen.ScriptedResult) -> dict[str, Any]:
    return {
        "requests": result.load.requests,
        "duration_s": result.load.duration_s,
        "requests_per_s": round(result.load.requests_per_s, 1),
        "p50_ms": result.load.p50_ms,
        "p99_ms": result.load.p99_ms,
        "max_ms": result.max_ms,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "classes": result.classes,
        "socket_errors": result.load.socket_errors,
    }


def measure(
    args: argparse.Namespace, port: int, pages: list[dict[str, Any]], write_lines: list[str]
) -> dict[str, Any]:
    base_url = f"http://{LOOPBACK}:{port}"
    read_file = open311.write_request_file(VAR_DIR / "reads.tsv", [f"GET\t{page['path']}" for page in pages])
    write_file = open311.write_request_file(VAR_DIR / "writes.tsv", write_lines)

    if args.warmup > 0:
        loadgen.warm_up(base_url + BASELINE_PATH, duration=args.warmup, clients=2 * args.workers)
    log(f"baseline: {args.baseline_duration:g} s at {args.connections} connections — {BASELINE_PATH}")
    baseline = loadgen.run_wrk(
        args.wrk,
        base_url + BASELINE_PATH,
        duration=args.baseline_duration,
        threads=args.threads,
        connections=args.connections,
    )
    log(
        f"baseline: {baseline.requests_per_s:,.0f} req/s, p99 {baseline.p99_ms:.1f} ms, errors {baseline.errors}"
    )

    if args.warmup > 0:
        probes = [loadgen.Probe(page["section"], page["path"]) for page in pages]
        warm = loadgen.run_closed_loop(LOOPBACK, port, probes, duration=args.warmup, clients=2 * args.workers)
        log(f"pages: warm-up {args.warmup:g} s, {warm.requests} requests")
    rows_before = open311.count_reports(DB_PATH)
    log(
        f"load: {args.duration:g} s, {args.read_connections} connections reading {len(pages)} pages and "
        f"{args.write_connections} posting reports ({rows_before:,} reports before)"
    )
    started = time.perf_counter()
    reads, writes = run_both(args, base_url, read_file, write_file)
    elapsed = time.perf_counter() - started
    rows_after = wait_until_stable(lambda: open311.count_reports(DB_PATH))
    check = open311.check_writes(DB_PATH, writes.ids, rows_after - rows_before, writes.count(200, 300))

    requests = reads.load.requests + writes.load.requests
    rate = reads.load.requests_per_s + writes.load.requests_per_s
    parts = [(reads.load.requests, reads.quantiles_ms), (writes.load.requests, writes.quantiles_ms)]
    classes = {k: reads.classes[k] + writes.classes[k] for k in reads.classes}
    sockets: dict[str, int] = {}
    for result in (reads, writes):
        for name, n in result.load.socket_errors.items():
            sockets[name] = sockets.get(name, 0) + n
    total = {
        "requests": requests,
        "requests_per_s": round(rate, 1),
        "p50_ms": round(loadgen.merge_quantiles(parts, 0.50), 3),
        "p99_ms": round(loadgen.merge_quantiles(parts, 0.99), 3),
        "max_ms": max(reads.max_ms, writes.max_ms),
        "classes": classes,
        "errors_5xx": classes["5xx"],
        "errors_4xx": classes["4xx"],
        "socket_errors": sockets,
        "ratio_to_baseline": round(rate / baseline.requests_per_s, 3) if baseline.requests_per_s else None,
        "wall_s": round(elapsed, 1),
    }
    log(
        f"load: {rate:,.0f} req/s, p99 {total['p99_ms']:.1f} ms, 5xx {classes['5xx']}, 4xx {classes['4xx']}, "
        f"socket errors {sockets or 0}; rows added {check['rows_added']:,}, lost {check['lost_writes']}"
    )
    return {
        "baseline": {
            "path": BASELINE_PATH,
            "connections": args.connections,
            "duration_s": args.baseline_duration,
            "requests_per_s": round(baseline.requests_per_s, 1),
            "p50_ms": baseline.p50_ms,
            "p99_ms": baseline.p99_ms,
            "errors": baseline.errors,
        },
        "total": total,
        "reads": {**kind_summary(reads), "connections": args.read_connections},
        "writes": {**kind_summary(writes), "connections": args.write_connections, "check": check},
    }


# --- Report --------------------------------------------------------------------------------------


def aim_of(data: dict[str, Any]) -> dict[str, Any]:
    total, check = data["total"], data["writes"]["check"]
    return {
        **AIM,
        "errors_5xx": total["errors_5xx"],
        "lost_writes": check["lost_writes"],
        "duplicate_ids": check["duplicate_ids"],
        "met": total["errors_5xx"] <= AIM["max_5xx"]
        and check["lost_writes"] <= AIM["max_lost_writes"]
        and check["duplicate_ids"] == 0,
    }


def print_summary(data: dict[str, Any]) -> None:
    m = data["measure"]
    header = (
        f"{'':<10} {'conns':>6} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'2xx':>8} {'4xx':>6} {'5xx':>6}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name in ("reads", "writes", "total"):
        row = m[name]
        conns = row.get("connections", data["parameters"]["connections"])
        classes = row["classes"]
        print(
            f"{name:<10} {conns:>6} {row['requests_per_s']:>9,.1f} {row['p50_ms']:>9.2f} {row['p99_ms']:>9.2f} "
            f"{classes['2xx']:>8,} {classes['4xx']:>6,} {classes['5xx']:>6,}"
        )
    base = m["baseline"]
    print(
        f"{'baseline':<10} {base['connections']:>6} {base['requests_per_s']:>9,.1f} {base['p50_ms']:>9.2f} "
        f"{base['p99_ms']:>9.2f}   ({BASELINE_PATH}, {base['duration_s']:g} s)"
    )
    check = m["writes"]["check"]
    print(
        f"\nthroughput {m['total']['ratio_to_baseline']}× baseline; socket errors {m['total']['socket_errors'] or 0}"
    )
    print(
        f"writes: {check['answered_2xx']:,} acknowledged, {check['rows_added']:,} rows added, "
        f"lost {check['lost_writes']}, duplicate ids {check['duplicate_ids']}, "
        f"unacknowledged (in flight at the deadline) {check['unacknowledged_rows']}"
    )
    sections = sorted({p["section"] for p in data["pages"]})
    print(f"pages read: {len(data['pages'])} in sections {', '.join(sections)}")
    aim = data["aim"]
    print(
        f"Aim: zero 5xx, zero lost writes — {'met' if aim['met'] else 'NOT met'} "
        f"(5xx {aim['errors_5xx']}, lost {aim['lost_writes']}, duplicate ids {aim['duplicate_ids']})."
    )
    machine = data["machine"]
    print(
        f"{data['parameters']['load_generator']}; {machine['nproc']} CPU(s), load average "
        f"{machine['load_average_before'][0]} before, {machine['load_average_after'][0]} after."
    )


# --- Main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of mixed load (default 60)")
    parser.add_argument("--connections", type=int, default=64, help="connections in all (default 64)")
    parser.add_argument(
        "--write-share",
        type=float,
        default=0.25,
        help="share of the connections that post reports (default 0.25: 16 of 64)",
    )
    parser.add_argument(
        "--baseline-duration", type=float, default=10, help="seconds of baseline (default 10)"
    )
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up (default 2)")
    parser.add_argument(
        "--threads", type=int, default=2, help="wrk threads in all (default 2: 1 reader, 1 writer)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep-rate-limits",
        action="store_true",
        help="leave the public write rate limit on (most posts then answer 429)",
    )
    parser.add_argument(
        "--skip-setup", action="store_true", help="reuse bench/var/load/bench.sqlite3 instead of rebuilding"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    if min(args.duration, args.connections, args.threads, args.workers, args.baseline_duration) < 1:
        parser.error(
            "--duration, --connections, --threads, --workers and --baseline-duration must be at least 1"
        )
    if args.connections < 2:
        parser.error("--connections must be at least 2 (readers and writers)")
    if not 0 < args.write_share < 1:
        parser.error("--write-share must be between 0 and 1")
    args.write_connections = min(args.connections - 1, max(1, round(args.connections * args.write_share)))
    args.read_connections = args.connections - args.write_connections
    args.wrk = loadgen.wrk_path()
    if not args.wrk:
        parser.error("wrk is not installed: apt-get install wrk (the mixed load needs its Lua scripting)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if not (open311.BIN / "gunicorn").exists():
        raise SystemExit("[bench] .venv is missing: run `make install` first")
    generator = loadgen.wrk_version(args.wrk)
    log(f"load generator: {generator}")
    env = open311.bench_env(VAR_DIR, DB_PATH, rate_limits=args.keep_rate_limits)
    started = time.perf_counter()
    key_file = VAR_DIR / "api_key.txt"
    try:
        if args.skip_setup and DB_PATH.exists() and key_file.exists():
            log(f"reusing {DB_PATH.relative_to(REPO)}")
            setup: dict[str, Any] = {"reused_database": True}
            api_key = key_file.read_text().strip()
        else:
            setup = open311.build_demo(
                env, DB_PATH, communes=args.communes, months=args.months, seed=args.seed
            )
            api_key = open311.create_api_key(env, "Banc d'essai charge")
            key_file.write_text(api_key + "\n")
            key_file.chmod(0o600)
        territory = open311.read_territory(DB_PATH)
        write_lines = open311.intake_requests(
            territory, api_key, count=4000, seed=args.seed, tag="essai de charge"
        )
        load_before = [round(x, 2) for x in os.getloadavg()]
        with gunicorn_server(env, workers=args.workers, log_path=VAR_DIR / "gunicorn.log", cwd=REPO) as port:
            open311.check_endpoints(port, open311.first_line_body(write_lines))
            pages = discover_pages(port)
            for page in pages:
                log(f"page {page['shape']}: {page['path']} ({page['bytes']:,} bytes)")
            measured = measure(args, port, pages, write_lines)
    except KeyboardInterrupt:
        log("interrupted: server stopped, no results written")
        return 130
    except loadgen.LoadError as exc:
        raise BenchError(f"load generator failed: {exc}") from exc
    data: dict[str, Any] = {
        "benchmark": "load",
        "machine": {**machine_info(REPO), "load_average_before": load_before},
        "parameters": {
            "communes": args.communes,
            "months": args.months,
            "seed": args.seed,
            "database": "sqlite",
            "server": f"gunicorn, {args.workers} sync workers"
            + ("" if args.keep_rate_limits else ", public write rate limit off"),
            "load_generator": generator,
            "connections": args.connections,
            "read_connections": args.read_connections,
            "write_connections": args.write_connections,
            "duration_s": args.duration,
            "baseline_duration_s": args.baseline_duration,
            "warmup_s": args.warmup,
            "total_s": round(time.perf_counter() - started, 1),
        },
        "setup": setup,
        "pages": pages,
        "measure": measured,
    }
    data["aim"] = aim_of(measured)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print_summary(data)
    log(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
