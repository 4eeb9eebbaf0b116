"""Crew-round benchmark: solve time and saving of ``plan_round`` against nearest neighbour.

Draws ``--instances`` random rounds (seeds 0, 1, ...) of ``--stops`` stops spread uniformly
in a ~10 km × 10 km box around a depot in Toulouse (43.6045 N, 1.4440 E), with 5 to 20
minutes of work at each stop and a shift long enough for all of them, solves each with the
straight-line provider (detour factor 1.3) and the default search time, and writes
``bench/results/rounds.json``. No database, no network.

    .venv/bin/python bench/rounds.py [--instances 20] [--stops 200] [--time-limit 1.5]

Aims (issue 3): every solve ≤ 2 s; saving against nearest neighbour ≥ 15 % on average.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import log, machine_info

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "src"))

from territoire.reports.distances import StraightLineProvider  # noqa: E402
from territoire.reports.routing import Stop, plan_round  # noqa: E402

RESULTS = BENCH_DIR / "results" / "rounds.json"
DEPOT = (43.6045, 1.4440)
HALF_BOX_LAT = 0.045  # ± 5.0 km
HALF_BOX_LON = 0.062  # ± 5.0 km at 43.6 N
SERVICE_MINUTES = (5, 20)
DEFAULTS = inspect.signature(plan_round).parameters
AIM = {"max_solve_s": 2.0, "min_mean_saving_percent": 15.0}


def instance(seed: int, stops: int) -> list[Stop]:
    rng = random.Random(seed)
    return [
        Stop(
            id=f"{seed}-{i}",
            lat=round(DEPOT[0] + rng.uniform(-HALF_BOX_LAT, HALF_BOX_LAT), 6),
            lon=round(DEPOT[1] + rng.uniform(-HALF_BOX_LON, HALF_BOX_LON), 6),
            service_minutes=rng.randint(*SERVICE_MINUTES),
        )
        for i in range(stops)
    ]


def solve(seed: int, args: argparse.Namespace, provider: StraightLineProvider) -> dict[str, Any]:
    stops = instance(seed, args.stops)
    # Every stop's work plus a whole day of driving: all stops fit, the figure is the distance.
    shift = sum(s.service_minutes for s in stops) + 24 * 60
    started = time.perf_counter()
    plan = plan_round(DEPOT, stops, shift, provider=provider, time_limit_s=args.time_limit)
    wall = time.perf_counter() - started
    return {
        "seed": seed,
        "stops": len(stops),
        "served": len(plan.order),
        "left_over": len(plan.left_over),
        "solve_s": round(plan.solve_seconds, 3),
        "wall_s": round(wall, 3),
        "distance_m": round(plan.distance_m),
        "baseline_distance_m": round(plan.baseline_distance_m),
        "saving_percent": None if plan.saving_percent is None else round(plan.saving_percent, 2),
        "ratio_to_baseline": round(plan.distance_m / plan.baseline_distance_m, 4)
        if plan.baseline_distance_m
        else None,
        "total_minutes": round(plan.total_minutes, 1),
        "shift_minutes": shift,
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    solve = [r["solve_s"] for r in rows]
    wall = [r["wall_s"] for r in rows]
    savings = [r["saving_percent"] for r in rows if r["saving_percent"] is not None]
    return {
        "solve_s": {"mean": round(statistics.fmean(solve), 3), "worst": max(solve)},
        "wall_s": {"mean": round(statistics.fmean(wall), 3), "worst": max(wall)},
        "saving_percent": {
            "mean": round(statistics.fmean(savings), 2),
            "worst": min(savings),
            "best": max(savings),
            "median": round(statistics.median(savings), 2),
        },
        "all_stops_served": all(r["left_over"] == 0 for r in rows),
    }


def print_table(data: dict[str, Any]) -> None:
    header = f"{'seed':>4} {'served':>7} {'solve s':>8} {'NN km':>8} {'planned km':>11} {'saving %':>9}"
    print()
    print(header)
    print("-" * len(header))
    for row in data["instances"]:
        print(
            f"{row['seed']:>4} {row['served']:>3}/{row['stops']:<3} {row['solve_s']:>8.2f} "
            f"{row['baseline_distance_m'] / 1000:>8.1f} {row['distance_m'] / 1000:>11.1f} {row['saving_percent']:>9.2f}"
        )
    s = data["summary"]
    aim = data["aim"]
    print(
        f"\nSolve time: mean {s['solve_s']['mean']:.2f} s, worst {s['solve_s']['worst']:.2f} s "
        f"(aim ≤ {aim['max_solve_s']:g} s each: {'met' if aim['solve_time_met'] else 'NOT met'})."
    )
    print(
        f"Saving vs nearest neighbour: mean {s['saving_percent']['mean']:.2f} %, "
        f"worst {s['saving_percent']['worst']:.2f} %, best {s['saving_percent']['best']:.2f} % "
        f"(aim ≥ {aim['min_mean_saving_percent']:g} % on average: {'met' if aim['saving_met'] else 'NOT met'})."
    )
    m = data["machine"]
    print(
        f"{m['nproc']} CPU(s), load average {m['load_average_before'][0]} before, {m['load_average_after'][0]} after."
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=20, help="random rounds, seeds 0..N-1 (default 20)")
    parser.add_argument("--stops", type=int, default=200, help="stops per round (default 200)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="search time per round in seconds (default: plan_round's)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    if args.instances < 1 or args.stops < 1:
        parser.error("--instances and --stops must be at least 1")
    if args.time_limit is None:
        args.time_limit = DEFAULTS["time_limit_s"].default
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    provider = StraightLineProvider(detour_factor=1.3)
    load_before = [round(x, 2) for x in os.getloadavg()]
    log(
        f"{args.instances} rounds of {args.stops} stops, search {args.time_limit:g} s each; "
        f"load average {load_before[0]} on {os.cpu_count()} CPU(s)"
    )
    started = time.perf_counter()
    rows = []
    for seed in range(args.instances):
        row = solve(seed, args, provider)
        rows.append(row)
        log(
            f"seed {seed}: {row['served']}/{row['stops']} served, {row['solve_s']:.2f} s, "
            f"saving {row['saving_percent']} %"
        )
    data: dict[str, Any] = {
        "benchmark": "rounds",
        "machine": {**machine_info(REPO, ("ortools",)), "load_average_before": load_before},
        "parameters": {
            "instances": args.instances,
            "seeds": f"0..{args.instances - 1}",
            "stops": args.stops,
            "depot": list(DEPOT),
            "box_km": "10 × 10, depot in the middle",
            "service_minutes": list(SERVICE_MINUTES),
            "shift": "all service + 24 h of driving (every stop fits)",
            "provider": "straight-line, detour factor 1.3",
            "speed_kmh": DEFAULTS["speed_kmh"].default,
            "time_limit_s": args.time_limit,
            "search": "OR-Tools CHRISTOFIDES first solution, then GUIDED_LOCAL_SEARCH",
            "total_s": 0.0,
        },
        "summary": summary(rows),
        "instances": rows,
    }
    s = data["summary"]
    data["aim"] = {
        **AIM,
        "solve_time_met": s["solve_s"]["worst"] <= AIM["max_solve_s"],
        "saving_met": s["saving_percent"]["mean"] >= AIM["min_mean_saving_percent"],
        "note": "solve_s is plan_round's own time (model, search, baseline), without the distance "
        "matrix; wall_s includes the matrix. The saving is bounded by how far nearest neighbour "
        "happens to be from the optimum on each instance.",
    }
    data["parameters"]["total_s"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print_table(data)
    log(f"written {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
