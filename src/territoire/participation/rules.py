"""Result rules of a participatory budget: greedy, greedy with category caps, Equal Shares.

Pure Python + numpy, no Django. ``docs/participation-rules.md`` states each rule precisely;
the short version:

- **greedy**: projects by score (sum of points; one point per approval), higher score
  first, then lower cost, then project id (string order). Each project is funded if it
  still fits in what is left of the budget, otherwise skipped, and the walk goes on.
  Projects nobody voted for (score ≤ 0) are never funded.
- **greedy-caps**: the same walk, also skipping a project that would push one of its
  categories over that category's cap.
- **mes**: the Method of Equal Shares on the approval profile (a voter supports the
  projects listed in the ballot), satisfaction by cost or by cardinality. Identical to
  ``pabutools.rules.method_of_equal_shares`` with ``Cost_Sat``/``Cardinality_Sat`` and its
  default (lexicographic) tie-breaking.
- **mes-complete**: identical to pabutools'
  ``completion_by_rule_combination(exhaustion_by_budget_increase(MES), greedy_utilitarian_welfare)``:
  MES rerun with the budget raised by 1 % at a time while the result stays within the real
  budget and is not exhaustive, then a greedy completion by satisfaction density.

Speed comes from two things. Voters are grouped by identical ballot (weights), and, since a
voter's budget only depends on what they paid, voters are also grouped by current budget
("budget classes": a handful to a few thousand values, against up to millions of voters).
The affordability ``rho`` of a project is then a vectorised scan over the budget classes of
its supporters. Decisions are exact: the floating-point scan only shortlists, and every
comparison that decides something (which project wins a round, ties, whether a project is
still affordable, each voter's remaining budget) is done with ``fractions.Fraction``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from operator import methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from .pabulib import PbFile

RULES = ("greedy", "greedy-caps", "mes", "mes-complete")
SATISFACTIONS = ("cost", "cardinality")

# Relative tolerance of the floating-point shortlist. Float budgets are the correctly rounded
# values of the exact ones; the float scan then sums up to millions of them, and the payment
# of a project whose supporters are almost all exhausted divides a small difference of large
# sums. Typical errors are around 1e-13 and the worst ones far below 1e-6: every project
# within 1e-6 of the best is decided in exact arithmetic.
_TOL = 1e-6

Number = Fraction | int


@dataclass(frozen=True)
class Project:
    id: str
    cost: int
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Election:
    budget: Fraction | int
    projects: tuple[Project, ...]
    ballots: tuple[Mapping[str, int], ...]  # each ballot: project id -> points (approval = 1)


@dataclass
class Outcome:
    rule: str
    satisfaction: str
    selected: list[str]
    total_cost: int
    rounds: list[dict[str, Any]] = field(default_factory=list)  # trace, to explain and audit


def election_from_pabulib(pb: PbFile) -> Election:
    """The election described by a parsed Pabulib file.

    Approval and choose-1 ballots give one point per listed project; cumulative and scoring
    ballots give their points; ordinal ballots give one point per ranked project (the rank
    is not used by any rule here). Project categories come from the file's category column.
    """
    projects = tuple(
        Project(id=p.project_id, cost=p.cost, categories=frozenset(p.categories))
        for p in pb.projects.values()
    )
    ballots: list[Mapping[str, int]] = []
    for vote in pb.votes:
        if vote.points is not None:
            ballots.append(dict(zip(vote.vote, vote.points, strict=True)))
        else:
            ballots.append(dict.fromkeys(vote.vote, 1))
    return Election(budget=pb.budget, projects=projects, ballots=tuple(ballots))


# --------------------------------------------------------------------------------------
# Greedy


def _check_projects(election: Election) -> dict[str, Project]:
    by_id: dict[str, Project] = {}
    for project in election.projects:
        if project.id in by_id:
            raise ValueError(f"project {project.id!r} appears twice")
        if project.cost < 0:
            raise ValueError(f"project {project.id!r} has a negative cost")
        by_id[project.id] = project
    if election.budget < 0:
        raise ValueError("the budget is negative")
    return by_id


def scores(election: Election) -> dict[str, int]:
    """Sum of points per project (number of approvals for approval ballots), in project order."""
    by_id = _check_projects(election)
    counts: Counter[str] = Counter(chain.from_iterable(election.ballots))  # C speed: one per listing
    try:  # dict.values at C speed; any other Mapping through its own method
        values = set(chain.from_iterable(map(dict.values, election.ballots)))  # type: ignore[arg-type]
    except TypeError:
        values = set(chain.from_iterable(map(methodcaller("values"), election.ballots)))
    unknown = set(counts) - set(by_id)
    if unknown:
        raise ValueError(f"a ballot lists unknown project {min(unknown)!r}")
    if values <= {1}:
        return {pid: counts.get(pid, 0) for pid in by_id}
    totals = dict.fromkeys(by_id, 0)
    for ballot in election.ballots:
        for pid, points in ballot.items():
            totals[pid] += points
    return totals


def approvals(election: Election) -> dict[str, int]:
    """Number of ballots listing each project, in project order."""
    by_id = _check_projects(election)
    counts: Counter[str] = Counter(chain.from_iterable(election.ballots))
    unknown = set(counts) - set(by_id)
    if unknown:
        raise ValueError(f"a ballot lists unknown project {min(unknown)!r}")
    return {pid: counts.get(pid, 0) for pid in by_id}


def _greedy(election: Election, caps: Mapping[str, Number] | None) -> tuple[list[str], list[dict[str, Any]]]:
    score = scores(election)
    projects = sorted(election.projects, key=lambda p: (-score[p.id], p.cost, p.id))
    remaining = Fraction(election.budget)
    spent: dict[str, Fraction] = dict.fromkeys(caps or {}, Fraction(0))
    selected: list[str] = []
    trace: list[dict[str, Any]] = []
    for project in projects:
        step: dict[str, Any] = {"project": project.id, "score": score[project.id], "cost": project.cost}
        over = sorted(
            c for c in project.categories if caps and c in caps and spent[c] + project.cost > caps[c]
        )
        if score[project.id] <= 0:
            step["decision"] = "skipped: no votes"
        elif project.cost > remaining:
            step["decision"] = "skipped: does not fit"
        elif over:
            step["decision"] = f"skipped: over the cap of {', '.join(over)}"
        else:
            step["decision"] = "selected"
            selected.append(project.id)
            remaining -= project.cost
            for category in project.categories:
                if category in spent:
                    spent[category] += project.cost
        step["remaining_budget"] = _fmt(remaining)
        trace.append(step)
    return selected, trace


def greedy(election: Election) -> list[str]:
    """Greedy by votes: see the module docstring; returns ids in the order they were funded."""
    return _greedy(election, None)[0]


def greedy_with_caps(election: Election, caps: Mapping[str, Fraction | int]) -> list[str]:
    """Greedy by votes where each category's total cost stays within ``caps[category]``.

    A project counts against every category it belongs to; categories without a cap are
    unlimited.
    """
    return _greedy(election, caps)[0]


# --------------------------------------------------------------------------------------
# Method of Equal Shares


@dataclass
class _Profile:
    """The approval profile in array form: identical ballots merged, supporters per project."""

    ids: list[str]
    costs: list[int]
    num_ballots: int
    weights: npt.NDArray[np.float64]  # per distinct ballot: how many voters cast it
    supporters: list[npt.NDArray[np.intp]]  # per project: indices of the distinct ballots listing it
    support: list[int]  # per project: number of voters listing it

    @classmethod
    def build(cls, election: Election) -> _Profile:
        by_id = _check_projects(election)
        ids = list(by_id)
        index = {pid: i for i, pid in enumerate(ids)}
        ballots = election.ballots
        try:  # chain and map run at C speed: no Python loop over millions of listings
            flat = np.array(list(map(index.__getitem__, chain.from_iterable(ballots))), dtype=np.intp)
        except KeyError as exc:
            raise ValueError(f"a ballot lists unknown project {exc.args[0]!r}") from None
        lengths = np.array(list(map(len, ballots)), dtype=np.intp)
        owners = np.repeat(np.arange(len(ballots), dtype=np.intp), lengths)
        weights = np.ones(len(ballots))
        longest = int(lengths.max()) if len(lengths) else 0
        if longest > 0 and len(ballots) * longest <= 50_000_000:
            # Merge identical ballots (as sets): one row per ballot, projects sorted, padded.
            starts = np.cumsum(lengths) - lengths
            rows = np.full((len(ballots), longest), -1, dtype=np.int32)
            rows[owners, np.arange(len(flat)) - starts[owners]] = flat
            rows.sort(axis=1)
            unique_rows, counts = _unique_rows(rows)
            owners, columns = np.nonzero(unique_rows >= 0)
            flat = unique_rows[owners, columns].astype(np.intp)
            weights = counts.astype(np.float64)
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(len(ids) + 1))
        supporters = [owners[order[bounds[j] : bounds[j + 1]]] for j in range(len(ids))]
        support = [int(weights[s].sum()) for s in supporters]
        return cls(
            ids=ids,
            costs=[p.cost for p in by_id.values()],
            num_ballots=len(ballots),
            weights=weights,
            supporters=supporters,
            support=support,
        )


def _unique_rows(rows: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.intp]]:
    """The distinct rows of ``rows`` and how often each occurs.

    Grouping by a 64-bit hash of the row is far faster than ``np.unique(axis=0)``; the groups
    are then checked row by row, and a collision (never seen, but possible) falls back to the
    exact method.
    """
    multipliers = np.random.default_rng(0).integers(1, 2**62, size=rows.shape[1], dtype=np.int64)
    hashes = (rows.astype(np.int64) + 2) @ multipliers  # wraps around on overflow: fine for a hash
    _, first, inverse, counts = np.unique(hashes, return_index=True, return_inverse=True, return_counts=True)
    unique_rows = rows[first]
    if np.array_equal(unique_rows[inverse.ravel()], rows):
        return unique_rows, counts
    return np.unique(rows, axis=0, return_counts=True)


def _fmt(value: Number) -> str:
    """A fraction for the trace: exact when short, else a decimal with 12 significant digits."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    text = str(value)
    return text if len(text) <= 24 else f"{float(value):.12g}"


class _Budgets:
    """Every voter's remaining budget, exactly and approximately.

    Voters with the same budget share a *class*. Exact budgets are integers over one common
    denominator ``den`` (``nums[c] / den`` is class c's budget): comparisons and sums are then
    plain integer operations, with no gcd per operation as with ``Fraction``. ``approx[c]`` is
    the correctly rounded float of class c's budget; ``klass[i]`` is the class of distinct
    ballot i and ``per_ballot[i]`` its float budget (kept in step, for the vectorised scan).
    """

    def __init__(self, start: Fraction, num_distinct: int) -> None:
        self.den = start.denominator
        self.nums: list[int] = [start.numerator]
        self.approx = np.array([float(start)])
        self.zero: int | None = None  # the class of emptied budgets, once there is one
        self.klass = np.zeros(num_distinct, dtype=np.intp)
        self.per_ballot = np.full(num_distinct, float(start))

    def groups(
        self, members: npt.NDArray[np.intp], weights: npt.NDArray[np.float64]
    ) -> list[tuple[int, int]]:
        """(budget numerator, number of voters) of each class present among ``members``, poorest first."""
        classes, inverse = np.unique(self.klass[members], return_inverse=True)
        counts = np.bincount(inverse, weights=weights[members])
        nums = self.nums
        return sorted((nums[c], int(k)) for c, k in zip(classes.tolist(), counts.tolist(), strict=True))

    def available(self, members: npt.NDArray[np.intp], weights: npt.NDArray[np.float64]) -> Fraction:
        return Fraction(sum(num * count for num, count in self.groups(members, weights)), self.den)

    def payment(
        self, cost: int, members: npt.NDArray[np.intp], weights: npt.NDArray[np.float64]
    ) -> Fraction | None:
        """The least payment p with sum over supporters of min(budget, p) = cost, or None if unaffordable.

        The supporters' budgets are walked from the poorest up: those who cannot pay the
        current share pay everything they have, the rest share what remains (pabutools does
        the same walk voter by voter, with the same exact arithmetic).
        """
        groups = self.groups(members, weights)
        target = cost * self.den  # in units of 1/den
        paid = 0
        left = sum(count for _, count in groups)
        for num, count in groups:
            # share = (target - paid) / left; it fits this class when share <= num.
            if target - paid <= num * left:
                return Fraction(target - paid, left * self.den)
            paid += count * num
            left -= count
        return None

    def pay(self, members: npt.NDArray[np.intp], payment: Fraction) -> int:
        """Each voter of ``members`` pays min(budget, payment); returns the number of classes emptied."""
        den = math.lcm(self.den, payment.denominator)
        if den != self.den:
            scale = den // self.den
            self.nums = [num * scale for num in self.nums]
            self.den = den
        price = payment.numerator * (den // payment.denominator)
        old = self.klass[members]
        touched = np.unique(old)
        remap = np.arange(len(self.nums) + len(touched), dtype=np.intp)
        emptied = 0
        new_floats: list[float] = []
        # Voters of one class all pay the same, so each touched class moves to one new class
        # (classes are not merged across histories: equal budgets then are a coincidence).
        for c in touched.tolist():
            num = self.nums[c]
            if num <= price or c == self.zero:
                emptied += c != self.zero
                if self.zero is None:
                    self.zero = len(self.nums)
                    self.nums.append(0)
                    new_floats.append(0.0)
                remap[c] = self.zero
            else:
                remap[c] = len(self.nums)
                self.nums.append(num - price)
                new_floats.append((num - price) / den)  # int / int: correctly rounded
        if new_floats:
            self.approx = np.concatenate((self.approx, np.array(new_floats)))
        self.klass[members] = remap[old]
        self.per_ballot[members] = self.approx[self.klass[members]]
        return emptied


def _float_payment(
    budgets: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], cost: int
) -> tuple[float, float]:
    """(approximate least equal payment covering ``cost``, approximate money available)."""
    order = np.argsort(budgets, kind="stable")
    b, w = budgets[order], weights[order]
    paid = np.cumsum(b * w)
    available = float(paid[-1]) if len(paid) else 0.0
    if available < cost * (1 - _TOL):
        return math.inf, available
    before = np.concatenate(([0.0], paid[:-1]))
    left = w.sum() - np.concatenate(([0.0], np.cumsum(w)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        payments = (cost - before) / left
    fits = payments <= b * (1 + _TOL)
    payment = float(payments[int(np.argmax(fits))]) if fits.any() else float(payments[-1])
    return payment, available


def _mes(profile: _Profile, budget: Fraction, satisfaction: str) -> tuple[list[int], list[dict[str, Any]]]:
    """One run of MES with ``budget`` shared equally among all ballots; indices in selection order."""
    ids, costs = profile.ids, profile.costs
    selected: list[int] = []
    trace: list[dict[str, Any]] = []
    n = profile.num_ballots
    if n == 0:
        return selected, trace
    # Satisfaction of a supporter (the same for all supporters under approval): its cost or 1.
    utility = [Fraction(c) if satisfaction == "cost" else Fraction(1) for c in costs]
    active: set[int] = set()
    free: list[int] = []
    for j, weight in enumerate(profile.support):
        if weight == 0 or utility[j] == 0:
            continue  # pabutools drops projects of zero total satisfaction
        if costs[j] == 0:
            free.append(j)
        else:
            active.add(j)
    for j in sorted(free, key=lambda j: ids[j]):  # free and wanted (cardinality only): funded first
        selected.append(j)
        trace.append({"round": 0, "project": ids[j], "cost": 0, "note": "free project with supporters"})

    budgets = _Budgets(budget / n, len(profile.weights))
    weights = profile.weights
    # Lower bounds on each project's rho (rho only grows as budgets shrink): pabutools' trick
    # of visiting projects by increasing bound and stopping once the bound exceeds the best.
    bound = {j: costs[j] / (profile.support[j] * float(utility[j])) for j in active}
    round_number = 0
    while active:
        best = math.inf
        shortlist: dict[int, float] = {}
        evaluated = 0
        for j in sorted(active, key=bound.__getitem__):
            if bound[j] > best * (1 + _TOL):
                break
            evaluated += 1
            members = profile.supporters[j]
            payment, available = _float_payment(budgets.per_ballot[members], weights[members], costs[j])
            if available < costs[j] * (1 + _TOL) and (
                available < costs[j] * (1 - _TOL) or budgets.available(members, weights) < costs[j]
            ):
                active.discard(j)  # its supporters can no longer pay for it, and never will
                continue
            rho = payment / float(utility[j])
            bound[j] = rho * (1 - _TOL)
            shortlist[j] = rho
            best = min(best, rho)
        if not shortlist:
            break
        # Exact decision among the projects whose float rho is within tolerance of the best.
        contenders: list[tuple[Fraction, str, int, Fraction]] = []
        for j, rho in shortlist.items():
            if rho > best * (1 + 2 * _TOL):
                continue
            exact_payment = budgets.payment(costs[j], profile.supporters[j], weights)
            if exact_payment is None:
                active.discard(j)
                continue
            contenders.append((exact_payment / utility[j], ids[j], j, exact_payment))
        if not contenders:
            continue  # the float shortlist was fooled by an unaffordable project: look again
        exact_rho, _, winner, payment_exact = min(contenders)
        round_number += 1
        selected.append(winner)
        active.discard(winner)
        emptied = budgets.pay(profile.supporters[winner], payment_exact)
        trace.append(
            {
                "round": round_number,
                "project": ids[winner],
                "cost": costs[winner],
                "supporters": profile.support[winner],
                "rho": _fmt(exact_rho),
                "payment_per_supporter": _fmt(payment_exact),
                "tied": sorted(ids[j] for r, _, j, _ in contenders if r == exact_rho and j != winner),
                "evaluated": evaluated,
                "budget_classes": len(budgets.nums),
                "emptied_classes": emptied,
            }
        )
    return selected, trace


def _is_exhaustive(costs: Sequence[int], chosen: Iterable[int], budget: Fraction) -> bool:
    chosen = set(chosen)
    spent = sum(costs[j] for j in chosen)
    return all(j in chosen or spent + c > budget for j, c in enumerate(costs))


def _mes_complete(
    profile: _Profile, budget: Fraction, satisfaction: str
) -> tuple[list[int], list[dict[str, Any]]]:
    """pabutools' exhaustion_by_budget_increase(MES) then greedy_utilitarian_welfare."""
    costs = profile.costs
    step = budget / 100
    ceiling = budget * (profile.num_ballots + 1)
    current = budget
    outcome: list[int] = []
    trace: list[dict[str, Any]] = []
    kept_budget: Fraction | None = None  # None: even the first run was over budget (impossible)
    runs = 0
    while current <= ceiling:
        attempt, rounds = _mes(profile, current, satisfaction)
        runs += 1
        if sum(costs[j] for j in attempt) > budget:
            break  # over the real budget: keep the previous run
        outcome, trace, kept_budget = attempt, rounds, current
        if _is_exhaustive(costs, attempt, budget) or step == 0:
            break
        current += step
    phase = {
        "phase": "equal-shares",
        "virtual_budget": None if kept_budget is None else str(kept_budget),  # exact, to re-run
        "budget_increases": 0 if kept_budget is None else int((kept_budget - budget) / step) if step else 0,
        "runs": runs,
    }
    result = list(outcome)
    completion: list[dict[str, Any]] = []
    if not _is_exhaustive(costs, result, budget):
        remaining = budget - sum(costs[j] for j in result)
        chosen = set(result)

        def density(j: int) -> float | Fraction:
            total = profile.support[j] * (costs[j] if satisfaction == "cost" else 1)
            if total <= 0:
                return Fraction(0)
            return Fraction(total, costs[j]) if costs[j] > 0 else math.inf

        for j in sorted(
            (j for j in range(len(costs)) if j not in chosen), key=lambda j: (-density(j), profile.ids[j])
        ):
            fits = costs[j] <= remaining
            if fits:
                result.append(j)
                remaining -= costs[j]
            completion.append(
                {
                    "phase": "completion",
                    "project": profile.ids[j],
                    "cost": costs[j],
                    "supporters": profile.support[j],
                    "decision": "selected" if fits else "skipped: does not fit",
                    "remaining_budget": _fmt(remaining),
                }
            )
    return result, [phase, *trace, *completion]


def _check_satisfaction(satisfaction: str) -> None:
    if satisfaction not in SATISFACTIONS:
        raise ValueError(f"unknown satisfaction {satisfaction!r}; expected one of {', '.join(SATISFACTIONS)}")


def _equal_shares(
    election: Election, satisfaction: str, completion: bool
) -> tuple[list[str], list[dict[str, Any]]]:
    _check_satisfaction(satisfaction)
    profile = _Profile.build(election)
    budget = Fraction(election.budget)
    chosen, trace = (_mes_complete if completion else _mes)(profile, budget, satisfaction)
    return [profile.ids[j] for j in chosen], trace


def equal_shares(election: Election, satisfaction: str = "cost", completion: bool = False) -> list[str]:
    """The Method of Equal Shares; ids in the order they were funded (see module docstring)."""
    return _equal_shares(election, satisfaction, completion)[0]


def tally(
    election: Election,
    rule: str,
    satisfaction: str = "cost",
    caps: Mapping[str, Fraction | int] | None = None,
) -> Outcome:
    """Compute the result of ``election`` under ``rule`` (one of ``RULES``), with its trace.

    ``satisfaction`` only matters to the Equal Shares rules; ``caps`` (category -> cap) is
    required by ``greedy-caps`` and refused by the others.
    """
    _check_satisfaction(satisfaction)
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    if rule == "greedy-caps" and caps is None:
        raise ValueError("the greedy-caps rule needs per-category caps")
    if rule != "greedy-caps" and caps:
        raise ValueError(f"caps only apply to greedy-caps, not to {rule}")
    if rule in {"greedy", "greedy-caps"}:
        selected, rounds = _greedy(election, caps)
    else:
        selected, rounds = _equal_shares(election, satisfaction, completion=rule == "mes-complete")
    cost = {p.id: p.cost for p in election.projects}
    return Outcome(
        rule=rule,
        satisfaction=satisfaction,
        selected=selected,
        total_cost=sum(cost[pid] for pid in selected),
        rounds=rounds,
    )
