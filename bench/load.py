"""Load benchmark: the public pages read while reports arrive, on SQLite and PostgreSQL.

Builds the demo territory at benchmark scale in a fresh database (SQLite under
``bench/var/load/``, or a PostgreSQL database on 127.0.0.1:5432 that the run creates and
drops), serves it with gunicorn (2 workers), finds the public pages by following the links
of the territory's home, then measures, after a ``/healthz/live`` baseline at the same
concurrency:

- the storm: ``--connections`` wrk connections reading the pages while a paced client posts
  reports to ``/open311/v2/requests.json`` at ``--write-rate`` per second (the aims);
- the saturation run: part of the connections posting reports as fast as they are answered
  (``bench/lua/requests.lua``), the rest reading (reported, no aim).

Every acknowledged report is then looked up in the database. Writes
``bench/results/load-<database>.json`` and prints a summary. See ``bench/README.md``.

    .venv/bin/python bench/load.py [--database sqlite|postgres|both] [--duration 60] [--write-rate 5]
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
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import loadgen
import open311
from common import (
    LOOPBACK,
    SERVER_THREADS,
    Database,
    gunicorn_server,
    http_request,
    log,
    machine_info,
    pg_drop,
    pg_recreate,
    stop_on_signals,
    wait_until_stable,
)
from open311 import BenchError

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var" / "load"
DB_PATH = VAR_DIR / "bench.sqlite3"
RESULTS_DIR = BENCH_DIR / "results"
PG_NAME = "territoire_load_bench"
ORGANISATION = open311.ORGANISATION
BASELINE_PATH = "/healthz/live"
# The storm's aims (issue 17): reads measured against /healthz/live at the same concurrency.
AIM = {"max_5xx": 0, "max_lost_writes": 0, "min_reads_ratio": 0.5, "max_reads_p99_ratio": 3.0}
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


def read_with_wrk(
    args: argparse.Namespace, base_url: str, request_file: Path, connections: int, *, ids: bool = False
) -> loadgen.ScriptedResult:
    return loadgen.run_wrk_script(
        args.wrk,
        base_url,
        script=str(open311.LUA_SCRIPT),
        script_args=[str(request_file), *(["ids"] if ids else [])],
        duration=args.duration,
        threads=max(1, args.threads // 2),
        connections=connections,
    )


def concurrently(
    reader: Callable[[], loadgen.ScriptedResult], writer: Callable[[], loadgen.ScriptedResult]
) -> tuple[loadgen.ScriptedResult, loadgen.ScriptedResult]:
    """Readers and writers at the same time (answers counted per kind)."""
    outcomes: dict[str, loadgen.ScriptedResult] = {}
    failures: list[BaseException] = []

    def one(kind: str, run: Callable[[], loadgen.ScriptedResult]) -> None:
        try:
            outcomes[kind] = run()
        except BaseException as exc:  # reported by the caller
            failures.append(exc)

    threads = [
        threading.Thread(target=one, args=("read", reader)),
        threading.Thread(target=one, args=("write", writer)),
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


def run_mixed(
    args: argparse.Namespace,
    database: Database,
    name: str,
    run: Callable[[], tuple[loadgen.ScriptedResult, loadgen.ScriptedResult]],
    baseline: loadgen.LoadResult,
) -> dict[str, Any]:
    """One mixed run (readers and writers at once), its writes checked against the database."""
    rows_before = open311.count_reports(database)
    started = time.perf_counter()
    reads, writes = run()
    elapsed = time.perf_counter() - started
    rows_after = wait_until_stable(lambda: open311.count_reports(database))
    check = open311.check_writes(database, writes.ids, rows_after - rows_before, writes.count(200, 300))

    rate = reads.load.requests_per_s + writes.load.requests_per_s
    parts = [(reads.load.requests, reads.quantiles_ms), (writes.load.requests, writes.quantiles_ms)]
    classes = {k: reads.classes[k] + writes.classes[k] for k in reads.classes}
    sockets: dict[str, int] = {}
    for result in (reads, writes):
        for key, n in result.load.socket_errors.items():
            sockets[key] = sockets.get(key, 0) + n
    total = {
        "requests": reads.load.requests + writes.load.requests,
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
    read_ratio = (
        round(reads.load.requests_per_s / baseline.requests_per_s, 3) if baseline.requests_per_s else None
    )
    p99_ratio = round(reads.load.p99_ms / baseline.p99_ms, 2) if baseline.p99_ms else None
    log(
        f"{name}: reads {reads.load.requests_per_s:,.0f} req/s ({read_ratio}× baseline), p99 "
        f"{reads.load.p99_ms:.1f} ms ({p99_ratio}× baseline); writes {writes.load.requests_per_s:,.1f}/s; "
        f"5xx {classes['5xx']}, 4xx {classes['4xx']}, socket errors {sockets or 0}; "
        f"rows added {check['rows_added']:,}, lost {check['lost_writes']}"
    )
    return {
        "total": total,
        "reads": {**kind_summary(reads), "ratio_to_baseline": read_ratio, "p99_to_baseline": p99_ratio},
        "writes": {**kind_summary(writes), "check": check},
    }


def measure(
    args: argparse.Namespace,
    port: int,
    database: Database,
    pages: list[dict[str, Any]],
    write_lines: list[str],
) -> dict[str, Any]:
    """The baseline, then the storm (paced writes) and the saturation run (writes flat out)."""
    base_url = f"http://{LOOPBACK}:{port}"
    var_dir = args.var_dir
    read_file = open311.write_request_file(var_dir / "reads.tsv", [f"GET\t{page['path']}" for page in pages])
    write_file = open311.write_request_file(var_dir / "writes.tsv", write_lines)

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
    result: dict[str, Any] = {
        "baseline": {
            "path": BASELINE_PATH,
            "connections": args.connections,
            "duration_s": args.baseline_duration,
            "requests_per_s": round(baseline.requests_per_s, 1),
            "p50_ms": baseline.p50_ms,
            "p99_ms": baseline.p99_ms,
            "errors": baseline.errors,
        }
    }

    def warm_pages() -> None:
        if args.warmup > 0:
            probes = [loadgen.Probe(page["section"], page["path"]) for page in pages]
            warm = loadgen.run_closed_loop(
                LOOPBACK, port, probes, duration=args.warmup, clients=2 * args.workers
            )
            log(f"pages: warm-up {args.warmup:g} s, {warm.requests} requests")

    if args.mode in ("storm", "both"):
        warm_pages()
        paced = [(m, p, b.encode()) for m, p, b in (line.split("\t", 2) for line in write_lines)]
        log(
            f"storm: {args.duration:g} s, {args.connections} connections reading {len(pages)} pages, "
            f"reports posted at {args.write_rate:g}/s"
        )
        storm = run_mixed(
            args,
            database,
            "storm",
            lambda: concurrently(
                lambda: read_with_wrk(args, base_url, read_file, args.connections),
                lambda: loadgen.run_paced(
                    LOOPBACK,
                    port,
                    paced,
                    rate=args.write_rate,
                    duration=args.duration,
                    id_of=open311.service_request_ids,
                ),
            ),
            baseline,
        )
        storm["reads"]["connections"] = args.connections
        storm["writes"]["rate_per_s"] = args.write_rate
        result["storm"] = storm
    if args.mode in ("saturation", "both"):
        warm_pages()
        log(
            f"saturation: {args.duration:g} s, {args.read_connections} connections reading {len(pages)} pages and "
            f"{args.write_connections} posting reports as fast as they are answered"
        )
        saturation = run_mixed(
            args,
            database,
            "saturation",
            lambda: concurrently(
                lambda: read_with_wrk(args, base_url, read_file, args.read_connections),
                lambda: read_with_wrk(args, base_url, write_file, args.write_connections, ids=True),
            ),
            baseline,
        )
        saturation["reads"]["connections"] = args.read_connections
        saturation["writes"]["connections"] = args.write_connections
        result["saturation"] = saturation
    return result


# --- Report --------------------------------------------------------------------------------------


def aim_of(measured: dict[str, Any]) -> dict[str, Any]:
    """The storm's aims (the saturation run is reported without one)."""
    storm = measured.get("storm")
    if storm is None:
        return {**AIM, "met": None, "note": "no storm run (--mode saturation)"}
    total, check, reads = storm["total"], storm["writes"]["check"], storm["reads"]
    read_ratio, p99_ratio = reads["ratio_to_baseline"], reads["p99_to_baseline"]
    return {
        **AIM,
        "errors_5xx": total["errors_5xx"],
        "lost_writes": check["lost_writes"],
        "duplicate_ids": check["duplicate_ids"],
        "reads_ratio_to_baseline": read_ratio,
        "reads_p99_to_baseline": p99_ratio,
        "met": total["errors_5xx"] <= AIM["max_5xx"]
        and check["lost_writes"] <= AIM["max_lost_writes"]
        and check["duplicate_ids"] == 0
        and read_ratio is not None
        and read_ratio >= AIM["min_reads_ratio"]
        and p99_ratio is not None
        and p99_ratio <= AIM["max_reads_p99_ratio"],
    }


def print_summary(data: dict[str, Any]) -> None:
    m = data["measure"]
    header = (
        f"{'':<18} {'conns':>6} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'2xx':>8} {'4xx':>6} {'5xx':>6}"
    )
    print(f"\n{data['parameters']['database']}")
    print(header)
    print("-" * len(header))
    for run in ("storm", "saturation"):
        if run not in m:
            continue
        for name in ("reads", "writes", "total"):
            row = m[run][name]
            conns = row.get("connections", "")
            if name == "writes" and "rate_per_s" in row:
                conns = f"{row['rate_per_s']:g}/s"
            classes = row["classes"]
            print(
                f"{run + ' ' + name:<18} {conns:>6} {row['requests_per_s']:>9,.1f} {row['p50_ms']:>9.2f} "
                f"{row['p99_ms']:>9.2f} {classes['2xx']:>8,} {classes['4xx']:>6,} {classes['5xx']:>6,}"
            )
    base = m["baseline"]
    print(
        f"{'baseline':<18} {base['connections']:>6} {base['requests_per_s']:>9,.1f} {base['p50_ms']:>9.2f} "
        f"{base['p99_ms']:>9.2f}   ({BASELINE_PATH}, {base['duration_s']:g} s)"
    )
    for run in ("storm", "saturation"):
        if run in m:
            check = m[run]["writes"]["check"]
            print(
                f"{run}: reads {m[run]['reads']['ratio_to_baseline']}× baseline, p99 "
                f"{m[run]['reads']['p99_to_baseline']}× baseline; writes {check['answered_2xx']:,} acknowledged, "
                f"{check['rows_added']:,} rows added, lost {check['lost_writes']}, "
                f"duplicate ids {check['duplicate_ids']}, unacknowledged {check['unacknowledged_rows']}"
            )
    sections = sorted({p["section"] for p in data["pages"]})
    print(f"pages read: {len(data['pages'])} in sections {', '.join(sections)}")
    aim = data["aim"]
    if aim["met"] is not None:
        print(
            f"Storm aim: zero 5xx, zero lost writes, reads ≥ {AIM['min_reads_ratio']}× baseline, reads p99 ≤ "
            f"{AIM['max_reads_p99_ratio']:g}× baseline's — {'met' if aim['met'] else 'NOT met'} "
            f"(5xx {aim['errors_5xx']}, lost {aim['lost_writes']}, reads {aim['reads_ratio_to_baseline']}×, "
            f"p99 {aim['reads_p99_to_baseline']}×)."
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
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres", "both"),
        default="sqlite",
        help="SQLite under bench/var/load/, PostgreSQL on 127.0.0.1:5432 (created and dropped), or both",
    )
    parser.add_argument(
        "--mode",
        choices=("storm", "saturation", "both"),
        default="both",
        help="storm: writes at --write-rate (the aims); saturation: writes flat out (reported only)",
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of each mixed run (default 60)")
    parser.add_argument("--connections", type=int, default=64, help="connections in all (default 64)")
    parser.add_argument(
        "--write-rate", type=float, default=5, help="storm: reports posted per second (default 5)"
    )
    parser.add_argument(
        "--write-share",
        type=float,
        default=0.25,
        help="saturation: share of the connections that post reports (default 0.25: 16 of 64)",
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
        "--cache",
        choices=("default", "redis"),
        default="default",
        help="the page cache: the settings' default, or Redis at --redis-url (shared by the workers)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="Redis for --cache redis")
    parser.add_argument(
        "--pg-name",
        default=PG_NAME,
        help=f"PostgreSQL database the run creates and drops (default {PG_NAME})",
    )
    parser.add_argument(
        "--keep-rate-limits",
        action="store_true",
        help="leave the public write rate limit on (most posts then answer 429)",
    )
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="SQLite: reuse bench/var/load/bench.sqlite3 instead of rebuilding",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help="where to write load-<database>.json"
    )
    args = parser.parse_args(argv)
    if min(args.duration, args.connections, args.threads, args.workers, args.baseline_duration) < 1:
        parser.error(
            "--duration, --connections, --threads, --workers and --baseline-duration must be at least 1"
        )
    if args.connections < 2:
        parser.error("--connections must be at least 2 (readers and writers)")
    if not 0 < args.write_share < 1:
        parser.error("--write-share must be between 0 and 1")
    if args.write_rate <= 0:
        parser.error("--write-rate must be positive")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.pg_name):
        parser.error("--pg-name: lower-case letters, digits and underscores")
    args.write_connections = min(args.connections - 1, max(1, round(args.connections * args.write_share)))
    args.read_connections = args.connections - args.write_connections
    args.wrk = loadgen.wrk_path()
    if not args.wrk:
        parser.error("wrk is not installed: apt-get install wrk (the mixed load needs its Lua scripting)")
    return args


def prepare(args: argparse.Namespace, kind: str) -> tuple[Database, dict[str, str], dict[str, Any], str]:
    """The database of one run, the servers' environment, the set-up's timings, an API key."""
    args.var_dir = VAR_DIR if kind == "sqlite" else VAR_DIR.with_name("load-postgres")
    args.var_dir.mkdir(parents=True, exist_ok=True)
    key_file = args.var_dir / "api_key.txt"
    database: Database
    if kind == "sqlite":
        database = DB_PATH
        env = open311.bench_env(args.var_dir, DB_PATH, rate_limits=args.keep_rate_limits)
        if args.skip_setup and DB_PATH.exists() and key_file.exists():
            log(f"reusing {DB_PATH.relative_to(REPO)}")
            return database, env, {"reused_database": True}, key_file.read_text().strip()
    else:
        database = pg_recreate(args.pg_name)
        log(f"fresh PostgreSQL database {args.pg_name} on 127.0.0.1:5432")
        env = open311.bench_env(args.var_dir, DB_PATH, rate_limits=args.keep_rate_limits)
        env["DATABASE_URL"] = database
    setup = open311.build_demo(env, database, communes=args.communes, months=args.months, seed=args.seed)
    api_key = open311.create_api_key(env, "Banc d'essai charge")
    key_file.write_text(api_key + "\n")
    key_file.chmod(0o600)
    return database, env, setup, api_key


def cache_env(args: argparse.Namespace, env: dict[str, str]) -> None:
    """The servers' cache: the settings' default, or a shared Redis (emptied first)."""
    if args.cache != "redis":
        return
    env["CACHE_BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    env["CACHE_LOCATION"] = args.redis_url
    import redis  # the project's dependency for shared caches

    redis.Redis.from_url(args.redis_url).flushdb()


def run_one(args: argparse.Namespace, kind: str, generator: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        database, env, setup, api_key = prepare(args, kind)
        cache_env(args, env)
        territory = open311.read_territory(database)
        write_lines = open311.intake_requests(
            territory, api_key, count=4000, seed=args.seed, tag="essai de charge"
        )
        load_before = [round(x, 2) for x in os.getloadavg()]
        with gunicorn_server(
            env, workers=args.workers, log_path=args.var_dir / "gunicorn.log", cwd=REPO
        ) as port:
            open311.check_endpoints(port, open311.first_line_body(write_lines))
            pages = discover_pages(port)
            for page in pages:
                log(f"page {page['shape']}: {page['path']} ({page['bytes']:,} bytes)")
            measured = measure(args, port, database, pages, write_lines)
    finally:
        if kind == "postgres":
            pg_drop(args.pg_name)
            log(f"dropped PostgreSQL database {args.pg_name}")
    data: dict[str, Any] = {
        "benchmark": "load",
        "machine": {**machine_info(REPO), "load_average_before": load_before},
        "parameters": {
            "communes": args.communes,
            "months": args.months,
            "seed": args.seed,
            "database": kind,
            "cache": "Redis" if args.cache == "redis" else "the settings' default",
            "server": f"gunicorn, {args.workers} workers × {SERVER_THREADS} threads"
            + ("" if args.keep_rate_limits else ", public write rate limit off"),
            "load_generator": f"{generator} (reads, saturation writes); paced Python client (storm writes)",
            "connections": args.connections,
            "write_rate_per_s": args.write_rate,
            "saturation_read_connections": args.read_connections,
            "saturation_write_connections": args.write_connections,
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
    output = args.output_dir / f"load-{kind}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print_summary(data)
    log(f"written {output}")
    return data


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if not (open311.BIN / "gunicorn").exists():
        raise SystemExit("[bench] .venv is missing: run `make install` first")
    generator = loadgen.wrk_version(args.wrk)
    log(f"load generator: {generator}")
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    try:
        for kind in kinds:
            log(f"--- {kind} ---")
            run_one(args, kind, generator)
    except KeyboardInterrupt:
        log("interrupted: server stopped, no further results written")
        return 130
    except loadgen.LoadError as exc:
        raise BenchError(f"load generator failed: {exc}") from exc
    return 0


if __name__ == "__main__":
    sys.exit(main())
