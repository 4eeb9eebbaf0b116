"""Where the time of the mixed load's pages goes: each page replayed in-process.

Reads the pages of the last mixed run (``bench/results/load-<database>.json``), then, in
this process, against the benchmark's database (``bench/var/load/bench.sqlite3`` or the
``--database-url`` given, e.g. a PostgreSQL copy): for each page, ``--repeat`` anonymous
GETs with an empty cache (what a reader pays after a write bumped the page's version) and as
many with a warm one, through Django's test client and the whole middleware stack. For each
page it reports the median time of both, the SQL queries and their time (Django's query log,
``CaptureQueriesContext``), and the functions of the project where a cold render spends its
time (``cProfile``, cumulative time). Writes ``bench/results/profile-<database>.json`` and
prints a table. See ``bench/README.md``.

    .venv/bin/python bench/profile_pages.py [--database sqlite] [--repeat 5] [--top 12]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", help="default: the SQLite file of bench/load.py")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page and state (default 5)")
    parser.add_argument("--top", type=int, default=12, help="project functions listed per page (default 12)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def project_functions(profile: cProfile.Profile, top: int) -> list[dict[str, Any]]:
    """The project's functions (``src/territoire``) with the most cumulative time."""
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "/territoire/" not in filename or "/migrations/" in filename:
            continue
        short = filename.split("/territoire/", 1)[1]
        rows.append(
            {
                "function": f"{short}:{line} {name}",
                "calls": calls,
                "cumulative_ms": round(cumulative * 1000, 1),
            }
        )
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]


def own_time(profile: cProfile.Profile, top: int) -> list[dict[str, Any]]:
    """Any function (Django's, the templates', the project's) by its own time, callees excluded."""
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_cc, calls, own, _cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename.split("site-packages/", 1)[-1].split("/src/", 1)[-1]
        rows.append({"function": f"{where}:{line} {name}", "calls": calls, "own_ms": round(own * 1000, 1)})
    rows.sort(key=lambda r: -r["own_ms"])
    return rows[:top]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results_file = RESULTS_DIR / f"load-{args.database}.json"
    if not results_file.exists():
        raise SystemExit(
            f"[bench] {results_file} is missing: run bench/load.py --database {args.database} first"
        )
    pages = json.loads(results_file.read_text())["pages"]
    var_dir = BENCH_DIR / "var" / "load"
    os.environ.update(
        TERRITOIRE_VAR_DIR=str(var_dir),
        DATABASE_URL=args.database_url or f"sqlite:///{var_dir / 'bench.sqlite3'}",
        TERRITOIRE_ENV="development",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="territoire.settings",
    )
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    report: list[dict[str, Any]] = []
    for page in pages:
        path = page["path"]
        cold: list[float] = []
        warm: list[float] = []
        profile = cProfile.Profile()
        queries: list[dict[str, str]] = []
        status = 0
        client.get(path)  # the first request of a process builds the URL conf: not the page's cost
        for _ in range(args.repeat):
            cache.clear()  # the state right after a write bumped the page's version
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                profile.enable()
                response = client.get(path)
                profile.disable()
                cold.append((time.perf_counter() - started) * 1000)
            status = response.status_code
            queries = list(captured.captured_queries)
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(path)
            warm.append((time.perf_counter() - started) * 1000)
        slow = sorted(queries, key=lambda q: -float(q["time"]))[:3]
        report.append(
            {
                "path": path,
                "shape": page["shape"],
                "status": status,
                "cold_ms": round(statistics.median(cold), 1),
                "warm_ms": round(statistics.median(warm), 1),
                "queries": len(queries),
                "queries_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
                "slowest_queries": [
                    {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]} for q in slow
                ],
                "project_functions": project_functions(profile, args.top),
                "own_time": own_time(profile, args.top),
            }
        )
    report.sort(key=lambda r: -r["cold_ms"])
    header = f"{'page':<34} {'cold ms':>8} {'warm ms':>8} {'queries':>8} {'SQL ms':>7}"
    print(header)
    print("-" * len(header))
    for row in report:
        print(
            f"{row['shape'][:34]:<34} {row['cold_ms']:>8.1f} {row['warm_ms']:>8.1f} "
            f"{row['queries']:>8} {row['queries_ms']:>7.1f}"
        )
    output = RESULTS_DIR / f"profile-{args.database}.json"
    output.write_text(
        json.dumps(
            {"database": args.database, "repeat": args.repeat, "pages": report}, indent=2, ensure_ascii=False
        )
        + "\n"
    )
    print(f"[bench] written {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
