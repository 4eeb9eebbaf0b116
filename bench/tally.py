"""Tally benchmark: speed of the participatory-budget rules, and agreement with pabutools.

Generates seeded approval elections (200 projects; ballots of 1 to 10 projects drawn with
skewed popularity, as in real votes), then:

1. 1 000 000 ballots: times ``greedy`` and Equal Shares (cost satisfaction) through
   ``territoire.participation.rules.tally``. Aims: greedy ≤ 2 s, Equal Shares ≤ 60 s.
2. 50 000 ballots: times our Equal Shares against ``pabutools.rules.method_of_equal_shares``
   (``Cost_Sat``) on the same election and checks both select the same projects in the same
   order. Aim: ours ≥ 10× faster.

Writes ``bench/results/tally.json`` and prints a summary. See ``bench/README.md``.

    .venv/bin/python bench/tally.py [--ballots 1000000] [--compare-ballots 50000] [--seed 7]
                                    [--real-files DIR]

``--real-files DIR`` also runs, on every ``.pb`` file of DIR, our ``mes`` and ``mes-complete``
and pabutools' ``method_of_equal_shares`` and full completion combination, timing both and
checking they agree (about 10 minutes on the 26 files of /work/shared/data/pabulib).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from common import log, machine_info

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "src"))

from territoire.participation.rules import Election, Project, tally  # noqa: E402

RESULTS = BENCH_DIR / "results" / "tally.json"
AIMS = {"greedy_1m_max_s": 2.0, "mes_1m_max_s": 60.0, "mes_speedup_vs_pabutools_min": 10.0}


def generate(num_ballots: int, num_projects: int, seed: int) -> Election:
    """A seeded approval election; the budget funds about a quarter of the total cost."""
    rng = np.random.default_rng(seed)
    costs = rng.integers(10, 500, size=num_projects) * 1000
    popularity = rng.pareto(1.5, size=num_projects) + 0.05  # a few favourites, a long tail
    log_popularity = np.log(popularity / popularity.sum())
    ids = [f"p{j:03d}" for j in range(num_projects)]
    longest = 10
    ballots: list[dict[str, int]] = []
    chunk = 50_000
    for start in range(0, num_ballots, chunk):
        size = min(chunk, num_ballots - start)
        # Gumbel top-k: sampling without replacement proportionally to popularity.
        keys = log_popularity + rng.gumbel(size=(size, num_projects))
        top = np.argpartition(-keys, longest, axis=1)[:, :longest]
        lengths = rng.integers(1, longest + 1, size=size)
        for row, length in zip(top.tolist(), lengths.tolist(), strict=True):
            ballots.append(dict.fromkeys([ids[j] for j in row[:length]], 1))
    budget = Fraction(int(costs.sum()) // 4)
    projects = tuple(Project(id=pid, cost=int(cost)) for pid, cost in zip(ids, costs, strict=True))
    return Election(budget=budget, projects=projects, ballots=tuple(ballots))


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def pabutools_mes(election: Election) -> tuple[list[str], float, float]:
    """pabutools' Equal Shares (Cost_Sat): (selection, seconds to build its input, seconds to run)."""
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance
    from pabutools.election import Project as PbtProject
    from pabutools.rules import method_of_equal_shares

    started = time.perf_counter()
    projects = {p.id: PbtProject(p.id, p.cost) for p in election.projects}
    instance = Instance(projects.values(), budget_limit=Fraction(election.budget))
    profile = ApprovalProfile(
        [ApprovalBallot(projects[pid] for pid in ballot) for ballot in election.ballots]
    )
    built = time.perf_counter() - started
    outcome, seconds = timed(method_of_equal_shares, instance, profile, sat_class=Cost_Sat)
    return [p.name for p in outcome], built, seconds


def real_files(directory: Path) -> list[dict[str, Any]]:
    """Ours against pabutools, MES and completed MES (cost satisfaction), on real files."""
    from pabutools.election import Cost_Sat
    from pabutools.election import parse_pabulib as pabutools_parse
    from pabutools.rules import (
        completion_by_rule_combination,
        exhaustion_by_budget_increase,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    from territoire.participation.pabulib import parse_pabulib
    from territoire.participation.rules import election_from_pabulib

    rows = []
    for path in sorted(directory.glob("*.pb")):
        election = election_from_pabulib(parse_pabulib(path))
        instance, profile = pabutools_parse(str(path))
        mes, mes_s = timed(tally, election, "mes")
        theirs, theirs_s = timed(method_of_equal_shares, instance, profile, sat_class=Cost_Sat)
        complete, complete_s = timed(tally, election, "mes-complete")
        theirs_complete, theirs_complete_s = timed(
            completion_by_rule_combination,
            instance,
            profile,
            [exhaustion_by_budget_increase, greedy_utilitarian_welfare],
            [
                {"rule": method_of_equal_shares, "rule_params": {"sat_class": Cost_Sat}},
                {"sat_class": Cost_Sat},
            ],
        )
        row = {
            "file": path.name,
            "ballots": len(election.ballots),
            "mes_same": mes.selected == [p.name for p in theirs],
            "mes_s": round(mes_s, 3),
            "pabutools_mes_s": round(theirs_s, 2),
            "mes_complete_same": complete.selected == [p.name for p in theirs_complete],
            "mes_complete_s": round(complete_s, 3),
            "pabutools_mes_complete_s": round(theirs_complete_s, 2),
        }
        log(
            f"{path.name}: mes {row['mes_same']} ({mes_s:.2f} s vs {theirs_s:.2f} s), "
            f"mes-complete {row['mes_complete_same']} ({complete_s:.2f} s vs {theirs_complete_s:.2f} s)"
        )
        rows.append(row)
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ballots", type=int, default=1_000_000, help="ballots of the large election")
    parser.add_argument(
        "--compare-ballots", type=int, default=50_000, help="ballots of the pabutools comparison"
    )
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    parser.add_argument(
        "--real-files", type=Path, default=None, help="also compare with pabutools on every .pb file of DIR"
    )
    args = parser.parse_args(argv)
    if args.ballots < 1 or args.compare_ballots < 1 or args.projects < 11:
        parser.error("--ballots and --compare-ballots must be positive, --projects at least 11")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()

    log(f"generating {args.ballots:,} ballots over {args.projects} projects (seed {args.seed})")
    large, generation_s = timed(generate, args.ballots, args.projects, args.seed)
    greedy, greedy_s = timed(tally, large, "greedy")
    log(f"greedy: {greedy_s:.2f} s, {len(greedy.selected)} projects funded")
    mes, mes_s = timed(tally, large, "mes")
    log(f"Equal Shares (cost): {mes_s:.2f} s, {len(mes.selected)} projects funded, {len(mes.rounds)} rounds")
    del large

    log(f"comparison election: {args.compare_ballots:,} ballots (seed {args.seed + 1})")
    small = generate(args.compare_ballots, args.projects, args.seed + 1)
    ours, ours_s = timed(tally, small, "mes")
    log(f"ours: {ours_s:.2f} s; running pabutools (this is the slow part)")
    theirs, pabutools_build_s, pabutools_s = pabutools_mes(small)
    same = ours.selected == theirs
    speedup = pabutools_s / ours_s if ours_s else None
    log(
        f"pabutools: {pabutools_s:.2f} s (+{pabutools_build_s:.2f} s to build its profile); same result: {same}"
    )

    checked = real_files(args.real_files) if args.real_files else []
    agree = all(row["mes_same"] and row["mes_complete_same"] for row in checked)

    data = {
        "benchmark": "tally",
        "machine": {
            **machine_info(REPO, ("numpy", "pabutools", "gmpy2")),
            "load_average_before": load_before,
        },
        "parameters": {
            "projects": args.projects,
            "ballot_length": "1 to 10 approvals, popularity ~ Pareto(1.5)",
            "budget": "a quarter of the total cost",
            "seed": args.seed,
            "total_s": round(time.perf_counter() - started, 1),
        },
        "large": {
            "ballots": args.ballots,
            "generation_s": round(generation_s, 2),
            "greedy_s": round(greedy_s, 3),
            "greedy_selected": len(greedy.selected),
            "mes_s": round(mes_s, 2),
            "mes_selected": len(mes.selected),
            "mes_budget_classes": max((r.get("budget_classes", 0) for r in mes.rounds), default=0),
        },
        "comparison": {
            "ballots": args.compare_ballots,
            "ours_s": round(ours_s, 3),
            "pabutools_s": round(pabutools_s, 2),
            "pabutools_build_s": round(pabutools_build_s, 2),
            "speedup": round(speedup, 1) if speedup else None,
            "same_result": same,
            "selected": len(ours.selected),
        },
        "real_files": checked,
        "aims": {
            **AIMS,
            "greedy_met": greedy_s <= AIMS["greedy_1m_max_s"],
            "mes_met": mes_s <= AIMS["mes_1m_max_s"],
            "speedup_met": bool(speedup and speedup >= AIMS["mes_speedup_vs_pabutools_min"]),
            "same_result": same,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2) + "\n")
    aims = data["aims"]
    print()
    print(f"{'measure':<42} {'value':>12}  aim")
    print("-" * 70)
    print(f"{f'greedy, {args.ballots:,} ballots':<42} {greedy_s:>10.2f} s  ≤ 2 s: {aims['greedy_met']}")
    print(f"{f'Equal Shares, {args.ballots:,} ballots':<42} {mes_s:>10.2f} s  ≤ 60 s: {aims['mes_met']}")
    print(f"{f'Equal Shares, {args.compare_ballots:,} ballots (ours)':<42} {ours_s:>10.2f} s")
    print(f"{f'Equal Shares, {args.compare_ballots:,} ballots (pabutools)':<42} {pabutools_s:>10.2f} s")
    print(f"{'speed-up':<42} {speedup or 0:>10.1f} ×  ≥ 10×: {aims['speedup_met']}")
    print(f"{'same result as pabutools':<42} {same!s:>12}")
    if checked:
        print(
            f"{'real files agreeing with pabutools':<42} {sum(r['mes_same'] and r['mes_complete_same'] for r in checked):>9}/{len(checked)}"
        )
    print(
        f"\nResults written to {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}."
    )
    return 0 if same and agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
