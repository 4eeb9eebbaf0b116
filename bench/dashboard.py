"""Dashboard benchmark: throughput and latency of the public pages against a trivial view.

Builds the demo territory at benchmark scale in a fresh SQLite database under
``bench/var/``, serves it with gunicorn (2 workers) on a free loopback port, loads each
target for a fixed time with ``wrk`` (or a Python fallback), and writes
``bench/results/dashboard.json``. See ``bench/README.md``.

    .venv/bin/python bench/dashboard.py [--duration 10] [--warmup 2] [--skip-setup]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import loadgen
from common import (
    LOOPBACK,
    SERVER_THREADS,
    fresh_sqlite,
    gunicorn_server,
    http_request,
    log,
    machine_info,
    run_step,
    stop_on_signals,
    territoire_env,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var"
DB_PATH = VAR_DIR / "bench.sqlite3"
RESULTS = BENCH_DIR / "results" / "dashboard.json"
BIN = REPO / ".venv" / "bin"

ORGANISATION = "200099001"  # the demo territory's SIREN
BASELINE = "baseline"
AIM = {"target": "home", "min_ratio_to_baseline": 0.5}
PYTHON_CAVEAT = (
    "measured with the Python load generator: the client saturates before the server on the"
    " cheap baseline, which understates it and inflates every ratio; use wrk to judge the aim"
)


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    description: str


TARGETS = [
    Target(BASELINE, "/healthz/live", "trivial Django view (full middleware stack, no database)"),
    Target("home", "/", "territory home, anonymous"),
    Target(
        "indicator",
        f"/t/{ORGANISATION}/indicateurs/services.taux_usage/",
        "indicator page (history chart, table, target), anonymous",
    ),
    Target(
        "measurements_api",
        f"/api/v1/measurements?organisation={ORGANISATION}&page_size=100",
        "measurements list, JSON API, 100 per page",
    ),
]


def bench_env() -> dict[str, str]:
    return territoire_env(VAR_DIR, DB_PATH)


def build_database(args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    fresh_sqlite(DB_PATH)
    log(f"fresh database {DB_PATH.relative_to(REPO)}")
    territoire = str(BIN / "territoire")
    timings = {
        "migrate_s": run_step("migrate", [territoire, "migrate", "--verbosity", "0"], env, REPO, timeout=600),
        "demo_s": run_step(
            "demo",
            [
                territoire,
                "demo",
                "--communes",
                str(args.communes),
                "--months",
                str(args.months),
                "--seed",
                str(args.seed),
                "--reset",
            ],
            env,
            REPO,
            timeout=1800,
        ),
    }
    return {k: round(v, 1) for k, v in timings.items()}


def dataset_size() -> dict[str, int]:
    """Row counts of the benchmark database (read-only), to show the scale that was loaded."""
    tables = {
        "communes": "territory_commune",
        "indicators": "indicators_indicatordefinition",
        "measurements": "indicators_measurement",
        "projects": "roadmap_project",
    }
    sizes: dict[str, int] = {}
    with sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True) as db:
        for label, table in tables.items():
            try:
                sizes[label] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            except sqlite3.Error:
                continue
    return sizes


def check_targets(port: int) -> dict[str, int]:
    """Every target must answer 200 before it is loaded; return each response's size."""
    sizes = {}
    for target in TARGETS:
        status, _headers, body = http_request(port, target.path, timeout=60)
        if status != 200:
            raise SystemExit(f"[bench] {target.path} answered {status}, expected 200")
        sizes[target.name] = len(body)
        log(f"check {target.name}: 200, {len(body):,} bytes")
    return sizes


def load(args: argparse.Namespace, url: str, duration: float) -> loadgen.LoadResult:
    options = {"duration": duration, "threads": args.threads, "connections": args.connections}
    if args.wrk:
        return loadgen.run_wrk(args.wrk, url, **options)
    return loadgen.run_python(url, **options)


def measure(args: argparse.Namespace, port: int) -> dict[str, loadgen.LoadResult]:
    results = {}
    for target in TARGETS:
        url = f"http://{LOOPBACK}:{port}{target.path}"
        if args.warmup > 0:
            done, failed = loadgen.warm_up(url, duration=args.warmup, clients=2 * args.workers)
            log(f"{target.name}: warm-up {args.warmup:g} s, {done} requests, {failed} failed")
        log(f"{target.name}: loading {args.duration:g} s — {target.path}")
        result = load(args, url, args.duration)
        results[target.name] = result
        log(
            f"{target.name}: {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms, errors {result.errors}"
        )
    return results


def report(
    args: argparse.Namespace,
    results: dict[str, loadgen.LoadResult],
    sizes: dict[str, int],
    extra: dict[str, Any],
) -> dict[str, Any]:
    base_rate = results[BASELINE].requests_per_s
    targets = {}
    for target in TARGETS:
        result = results[target.name]
        targets[target.name] = {
            "path": target.path,
            "description": target.description,
            "requests_per_s": round(result.requests_per_s, 1),
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "errors": result.errors,
            "ratio_to_baseline": round(result.requests_per_s / base_rate, 3) if base_rate else None,
            "requests": result.requests,
            "response_bytes": sizes[target.name],
            "non_2xx": result.non_2xx,
            "socket_errors": result.socket_errors,
        }
    ratio = targets[AIM["target"]]["ratio_to_baseline"]
    return {
        "benchmark": "dashboard",
        "machine": machine_info(REPO),
        "parameters": {
            "communes": args.communes,
            "months": args.months,
            "seed": args.seed,
            "database": "sqlite",
            "server": f"gunicorn, {args.workers} workers × {SERVER_THREADS} threads",
            "load_generator": extra["generator"],
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "dataset": extra["dataset"],
        "setup": extra["setup"],
        "targets": targets,
        "aim": {
            **AIM,
            "ratio": ratio,
            "met": ratio is not None and ratio >= AIM["min_ratio_to_baseline"],
            **({"caveat": PYTHON_CAVEAT} if not args.wrk else {}),
        },
    }


def print_table(data: dict[str, Any]) -> None:
    header = f"{'target':<18} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'× baseline':>11}"
    print()
    print(header)
    print("-" * len(header))
    for name, row in data["targets"].items():
        ratio = "n/a" if row["ratio_to_baseline"] is None else f"{row['ratio_to_baseline']:.3f}"
        print(
            f"{name:<18} {row['requests_per_s']:>9,.1f} {row['p50_ms']:>9.2f} {row['p99_ms']:>9.2f} "
            f"{row['errors']:>7} {ratio:>11}"
        )
    aim = data["aim"]
    verdict = "met" if aim["met"] else "NOT met"
    print(
        f"\nAim: {aim['target']} ≥ {aim['min_ratio_to_baseline']}× baseline throughput — "
        f"{verdict} ({aim['ratio']}×)."
    )
    if "caveat" in aim:
        print(f"Caveat: {aim['caveat']}.")
    params = data["parameters"]
    print(
        f"{params['load_generator']}, {params['threads']} threads, {params['connections']} connections, "
        f"{params['duration_s']:g} s per target; {data['machine']['nproc']} CPU(s), "
        f"load average {data['machine']['load_average_before'][0]} before, "
        f"{data['machine']['load_average_after'][0]} after."
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per target (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per target (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="load generator threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (default: wrk if found)",
    )
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="reuse the existing bench/var/bench.sqlite3 instead of rebuilding",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.connections < 1 or args.threads < 1 or args.workers < 1:
        parser.error("--duration, --connections, --threads and --workers must be at least 1")
    args.wrk = loadgen.wrk_path() if args.generator in {"auto", "wrk"} else None
    if args.generator == "wrk" and not args.wrk:
        parser.error("wrk is not installed (apt-get install wrk), or use --generator python")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if not (BIN / "gunicorn").exists():
        raise SystemExit("[bench] .venv is missing: run `make install` first")
    if args.wrk:
        generator = loadgen.wrk_version(args.wrk)
    else:
        generator = "python" if args.generator == "python" else "python (wrk not found)"
    log(f"load generator: {generator}")
    env = bench_env()
    started = time.perf_counter()
    try:
        if args.skip_setup and DB_PATH.exists():
            log(f"reusing {DB_PATH.relative_to(REPO)}")
            setup: dict[str, Any] = {"reused_database": True}
        else:
            setup = build_database(args, env)
        dataset = dataset_size()
        log("dataset: " + ", ".join(f"{v:,} {k}" for k, v in dataset.items()))
        load_before = [round(x, 2) for x in os.getloadavg()]
        log(f"load average before the server starts: {load_before[0]} on {os.cpu_count()} CPU(s)")
        with gunicorn_server(env, workers=args.workers, log_path=VAR_DIR / "gunicorn.log", cwd=REPO) as port:
            sizes = check_targets(port)
            results = measure(args, port)
    except KeyboardInterrupt:
        log("interrupted: server stopped, no results written")
        return 130
    except loadgen.LoadError as exc:
        raise SystemExit(f"[bench] load generator failed: {exc}") from exc
    data = report(args, results, sizes, {"generator": generator, "dataset": dataset, "setup": setup})
    data["machine"]["load_average_before"] = load_before
    data["parameters"]["total_s"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print_table(data)
    log(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
