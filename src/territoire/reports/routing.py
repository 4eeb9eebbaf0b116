"""Crew rounds: the order in which one crew visits reported issues within its shift.

``plan_round`` builds a single-vehicle routing model with OR-Tools: the crew leaves the
depot, visits stops and comes back; each arc costs its distance in metres; a time dimension
(travel at ``speed_kmh`` plus each stop's service time) is capped at the shift. Every stop
is optional with a penalty larger than any route, so the solver serves as many stops as fit
first and only then shortens the route; stops that do not fit come back in ``left_over``,
never silently dropped.

Search: Christofides for the first solution, then guided local search until
``time_limit_s``. The search is single-threaded and has no randomness, but it is cut by
wall-clock time: the same input gives the same round whenever the search settles well
within the limit (rounds of a few dozen stops do in milliseconds); on a large round
(200 stops) on a loaded machine, two runs may return rounds that differ by a few tenths of
a percent in length. The tests only rely on the former.

The result is compared with the nearest-neighbour round over the same stops (what a crew
does by hand) and is never worse: if the solver's round were longer, the nearest-neighbour
one is returned instead.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # type: ignore[import-untyped]
from ortools.util import optional_boolean_pb2  # type: ignore[import-untyped]

from territoire.reports.distances import DistanceError, DistanceProvider, check_point, provider_from_settings

DEPOT = 0  # index of the depot in every distance matrix of this module
EPSILON_S = 1e-6  # float noise tolerated when times are rounded to whole seconds


@dataclass(frozen=True)
class Stop:
    id: str
    lat: float
    lon: float
    service_minutes: float


@dataclass
class RoundPlan:
    depot: tuple[float, float]
    order: list[Stop]  # visiting order, depot excluded
    left_over: list[Stop]  # did not fit in the shift, in input order
    distance_m: float
    travel_minutes: float
    service_minutes: float
    total_minutes: float
    baseline_order: list[Stop]  # nearest neighbour over the same visited stops
    baseline_distance_m: float
    saving_percent: float | None  # None when the baseline is 0 m
    provider: str
    solve_seconds: float
    # Minutes from the start of the shift at which the crew reaches each stop of ``order``
    # (travel at the planning speed, plus the service time of the stops before it).
    arrival_minutes: list[float] = field(default_factory=list)
    # Metres from the previous stop (the depot for the first) to each stop of ``order``.
    leg_m: list[float] = field(default_factory=list)

    def geojson(self) -> dict[str, Any]:
        """The round as a GeoJSON FeatureCollection (positions are [lon, lat], RFC 7946).

        One LineString depot → stops → depot (kind "route"), then Points: the depot
        (kind "depot", sequence 0), each visited stop (kind "stop", sequence 1..n) and each
        left-over stop (kind "left_over", sequence None).
        """
        depot_position = [float(self.depot[1]), float(self.depot[0])]
        line = [depot_position, *(_position(s) for s in self.order), depot_position]
        features: list[dict[str, Any]] = [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "kind": "route",
                    "distance_m": round(self.distance_m, 1),
                    "total_minutes": round(self.total_minutes, 1),
                },
            },
            _point(depot_position, kind="depot", sequence=0, stop_id=None),
        ]
        features += [
            _point(_position(s), kind="stop", sequence=n, stop_id=s.id)
            for n, s in enumerate(self.order, start=1)
        ]
        features += [
            _point(_position(s), kind="left_over", sequence=None, stop_id=s.id) for s in self.left_over
        ]
        return {"type": "FeatureCollection", "features": features}


def _position(stop: Stop) -> list[float]:
    return [float(stop.lon), float(stop.lat)]  # GeoJSON order; float: JSON-serialisable


def _point(position: list[float], *, kind: str, sequence: int | None, stop_id: str | None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": position},
        "properties": {"sequence": sequence, "id": stop_id, "kind": kind},
    }


def nearest_neighbour(matrix: Sequence[Sequence[float]], indices: Sequence[int]) -> list[int]:
    """Visit ``indices`` (rows of ``matrix``) from the depot (row 0), always going to the closest.

    Ties go to the index listed first, so the order is deterministic.
    """
    remaining = list(dict.fromkeys(indices))
    order: list[int] = []
    current = DEPOT
    while remaining:
        row = matrix[current]
        position = min(range(len(remaining)), key=lambda k: (row[remaining[k]], k))
        current = remaining.pop(position)
        order.append(current)
    return order


def round_distance(matrix: Sequence[Sequence[float]], order: Sequence[int]) -> float:
    """Length of depot → order → depot."""
    path = [DEPOT, *order, DEPOT]
    return float(sum(matrix[a][b] for a, b in itertools.pairwise(path))) if order else 0.0


def plan_round(
    depot: tuple[float, float],
    stops: Sequence[Stop],
    shift_minutes: float,
    *,
    provider: DistanceProvider | None = None,
    speed_kmh: float = 25.0,
    time_limit_s: float = 1.5,
    seed: int = 0,
) -> RoundPlan:
    """Plan one crew's round from ``depot`` over ``stops`` within ``shift_minutes``.

    ``provider`` defaults to ``provider_from_settings()``. ``seed`` 0 feeds the stops to
    the solver in the given order; another seed shuffles them (deterministically), which
    may lead the search to another round of equal or different length.

    Raises ValueError on invalid input (coordinates, shift, speed, duplicate stop ids) and
    DistanceError when the provider fails or returns a malformed matrix.
    """
    depot = check_point(depot, "depot")
    shift_minutes = _positive("shift_minutes", shift_minutes)
    speed_kmh = _positive("speed_kmh", speed_kmh)
    time_limit_s = _positive("time_limit_s", time_limit_s)
    stops = list(stops)
    seen: set[str] = set()
    service_minutes_of: list[float] = []
    points = [depot]
    for stop in stops:
        points.append(check_point((stop.lat, stop.lon), f"stop {stop.id!r}"))
        service = _as_float(stop.service_minutes)
        if not (math.isfinite(service) and service >= 0):
            raise ValueError(
                f"stop {stop.id!r}: service_minutes must be a number ≥ 0, not {stop.service_minutes!r}"
            )
        service_minutes_of.append(service)
        if stop.id in seen:
            raise ValueError(f"stop id {stop.id!r} appears twice")
        seen.add(stop.id)

    provider = provider if provider is not None else provider_from_settings()
    matrix = _checked_matrix(provider.matrix(points), len(points))

    started = time.perf_counter()
    metres_per_second = speed_kmh / 3.6
    # Whole seconds, rounded up: a round the solver finds feasible is feasible in real numbers.
    # (Less a microsecond first, so that 0.1 min × 60 = 6.000000000000001 s counts as 6 s.)
    service_s = [0, *(math.ceil(m * 60 - EPSILON_S) for m in service_minutes_of)]
    seconds_per_metre = 1 / metres_per_second
    time_s = [
        [math.ceil(d * seconds_per_metre - EPSILON_S) + service for d in row]
        for row, service in zip(matrix, service_s, strict=True)
    ]
    shift_s = math.floor(shift_minutes * 60 + EPSILON_S)

    # A stop that cannot be served even alone (too far, or longer than the shift) never
    # enters the model.
    candidates = [k for k in range(1, len(stops) + 1) if time_s[DEPOT][k] + time_s[k][DEPOT] <= shift_s]
    if seed:
        random.Random(seed).shuffle(candidates)  # noqa: S311 (tie-breaking, not secrecy)
    if len(candidates) <= 1:
        visited = candidates
    else:
        visited = _solve(matrix, time_s, shift_s, candidates, time_limit_s)
        # Safety net for "as many stops as fit first": a local search can stay stuck on
        # fewer stops than a greedy crew would serve.
        greedy = _greedy_within_shift(matrix, time_s, shift_s, sorted(candidates))
        if len(greedy) > len(visited):
            visited = greedy

    baseline = nearest_neighbour(matrix, sorted(visited))
    distance_m = round_distance(matrix, visited)
    baseline_distance_m = round_distance(matrix, baseline)
    if distance_m > baseline_distance_m:
        # Same stops, shorter path, so also a shorter time: still within the shift.
        visited, distance_m = baseline, baseline_distance_m

    served = set(visited)
    arrivals: list[float] = []
    legs: list[float] = []
    elapsed_s, previous = 0, DEPOT
    for k in visited:
        elapsed_s += time_s[previous][k]  # travel to k, plus the service at the previous stop
        arrivals.append(elapsed_s / 60)
        legs.append(float(matrix[previous][k]))
        previous = k
    travel_minutes = distance_m / metres_per_second / 60
    service_minutes = sum(service_minutes_of[k - 1] for k in visited)
    saving = (
        (baseline_distance_m - distance_m) / baseline_distance_m * 100 if baseline_distance_m > 0 else None
    )
    return RoundPlan(
        depot=depot,
        order=[stops[k - 1] for k in visited],
        left_over=[s for k, s in enumerate(stops, start=1) if k not in served],
        distance_m=distance_m,
        travel_minutes=travel_minutes,
        service_minutes=service_minutes,
        total_minutes=travel_minutes + service_minutes,
        baseline_order=[stops[k - 1] for k in baseline],
        baseline_distance_m=baseline_distance_m,
        saving_percent=saving,
        provider=provider.name,
        solve_seconds=time.perf_counter() - started,
        arrival_minutes=arrivals,
        leg_m=legs,
    )


def _as_float(value: object) -> float:
    """A number (int, float, Decimal) as a float; NaN for anything else, strings and booleans included."""
    if isinstance(value, bool | str | bytes):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _positive(name: str, value: float) -> float:
    """``value`` as a float, or ValueError if it is not a finite number > 0."""
    number = _as_float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return number


def _checked_matrix(matrix: Sequence[Sequence[float]], size: int) -> list[list[float]]:
    if len(matrix) != size or any(len(row) != size for row in matrix):
        raise DistanceError(f"the distance provider returned a matrix that is not {size}×{size}")
    result = []
    for row in matrix:
        values = list(map(float, row))
        # A NaN or an infinity makes the sum NaN or infinite.
        if values and (min(values) < 0 or not math.isfinite(sum(values))):
            raise DistanceError("the distance provider returned a negative or non-finite distance")
        result.append(values)
    return result


def _solve(
    matrix: list[list[float]],
    time_s: list[list[int]],
    shift_s: int,
    candidates: list[int],
    time_limit_s: float,
) -> list[int]:
    """Visiting order (indices of ``matrix``) of the candidates the solver serves."""
    nodes = [DEPOT, *candidates]  # node n of the model is row nodes[n] of the matrix
    cost = [[int(row[b] + 0.5) for b in nodes] for row in (matrix[a] for a in nodes)]  # whole metres
    transit = [[row[b] for b in nodes] for row in (time_s[a] for a in nodes)]

    manager = pywrapcp.RoutingIndexManager(len(nodes), 1, DEPOT)
    routing = pywrapcp.RoutingModel(manager)
    # Matrices live on the C++ side: no Python callback per arc, several times faster.
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost))
    routing.AddDimension(routing.RegisterTransitMatrix(transit), 0, shift_s, True, "time")
    # Leaving out one stop must cost more than any route can (at most len(nodes) arcs):
    # the solver first serves as many stops as fit, then minimises the distance.
    penalty = max(1, max(max(row) for row in cost)) * len(nodes) + 1
    for node in range(1, len(nodes)):
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    # Christofides rather than PATH_CHEAPEST_ARC: on the benchmark (bench/rounds.py) the
    # guided local search improves little on its start within the time budget, and this
    # start is better (mean saving against nearest neighbour 17.7 % instead of 15.1 %).
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.CHRISTOFIDES
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    # Swapping one served stop for two left-over ones needs a move that makes several stops
    # active at once: without this operator the search can stay on the fewer stops.
    parameters.local_search_operators.use_inactive_lns = optional_boolean_pb2.BOOL_TRUE
    parameters.time_limit.FromMicroseconds(max(1000, round(time_limit_s * 1_000_000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:  # not expected: leaving every stop out is always feasible
        return []

    order = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        order.append(nodes[manager.IndexToNode(index)])
        index = solution.Value(routing.NextVar(index))
    return order


def _greedy_within_shift(
    matrix: list[list[float]], time_s: list[list[int]], shift_s: int, candidates: list[int]
) -> list[int]:
    """Nearest neighbour that skips any stop after which the crew could not get back in time."""
    order: list[int] = []
    remaining = list(candidates)
    current, elapsed = DEPOT, 0
    while True:
        feasible = [k for k in remaining if elapsed + time_s[current][k] + time_s[k][DEPOT] <= shift_s]
        if not feasible:
            return order
        nearest = min(feasible, key=lambda k: (matrix[current][k], k))
        elapsed += time_s[current][nearest]
        order.append(nearest)
        remaining.remove(nearest)
        current = nearest
