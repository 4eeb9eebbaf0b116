"""Crew rounds: hand-checkable cases, left-over stops, GeoJSON, never worse than nearest neighbour."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from shapely.geometry import shape

from territoire.core.geo import haversine_m
from territoire.reports import routing
from territoire.reports.distances import DistanceError
from territoire.reports.routing import RoundPlan, Stop, nearest_neighbour, plan_round, round_distance

FAST = 0.1  # seconds of search per solve; the small rounds below need < 0.01 s to settle


class PlanarProvider:
    """Coordinates read as kilometres on a plane: hand-checkable distances.

    With ``speed_kmh=60`` one unit of coordinate is one minute of travel.
    """

    name = "planar"

    def matrix(self, points: Sequence[tuple[float, float]]) -> list[list[float]]:
        return [[math.hypot(a[0] - b[0], a[1] - b[1]) * 1000 for b in points] for a in points]


class OneWayProvider(PlanarProvider):
    """Like a road network with one-way streets: going west costs half as much again."""

    name = "one-way"

    def matrix(self, points: Sequence[tuple[float, float]]) -> list[list[float]]:
        planar = super().matrix(points)
        return [
            [d * (1.5 if points[j][1] < points[i][1] else 1.0) for j, d in enumerate(row)]
            for i, row in enumerate(planar)
        ]


class BrokenProvider:
    name = "broken"

    def matrix(self, points: Sequence[tuple[float, float]]) -> list[list[float]]:
        return [[0.0]]


def plan(depot: tuple[float, float], stops: Sequence[Stop], shift: float = 600, **kwargs: Any) -> RoundPlan:
    kwargs.setdefault("provider", PlanarProvider())
    kwargs.setdefault("speed_kmh", 60)
    kwargs.setdefault("time_limit_s", FAST)
    return plan_round(depot, stops, shift, **kwargs)


def ids(stops: Sequence[Stop]) -> list[str]:
    return [s.id for s in stops]


def random_stops(rng: random.Random, count: int, service: float = 0) -> list[Stop]:
    return [Stop(f"s{i}", rng.uniform(0, 10), rng.uniform(0, 10), service) for i in range(count)]


def brute_force_optimum(matrix: list[list[float]], indices: list[int]) -> float:
    return min(round_distance(matrix, list(p)) for p in itertools.permutations(indices))


# --- hand-checkable rounds -----------------------------------------------------------------------


def test_square_round_is_its_perimeter() -> None:
    # Depot at one corner of a 1 km square, stops at the three others, listed in a bad order.
    stops = [Stop("far", 1, 1, 0), Stop("a", 0, 1, 0), Stop("b", 1, 0, 0)]
    result = plan((0, 0), stops)
    assert result.distance_m == pytest.approx(4000)
    assert ids(result.order) in (["a", "far", "b"], ["b", "far", "a"])
    assert result.left_over == []
    assert result.travel_minutes == pytest.approx(4)  # 4 km at 60 km/h
    assert result.provider == "planar"


def test_arrival_times_add_travel_and_the_service_before() -> None:
    # At 60 km/h one unit is one minute: out 1 min to "a", 10 min of work, 1 min to "far"…
    stops = [Stop("far", 1, 1, 5), Stop("a", 0, 1, 10), Stop("b", 1, 0, 20)]
    result = plan((0, 0), stops)
    services = {s.id: s.service_minutes for s in result.order}
    first, middle, _last = result.order
    assert middle.id == "far"
    assert result.arrival_minutes == pytest.approx(
        [1, 1 + services[first.id] + 1, 1 + services[first.id] + 1 + 5 + 1], abs=1 / 60
    )


def test_depot_in_the_middle_of_a_square() -> None:
    stops = [Stop("ne", 1, 1, 10), Stop("sw", -1, -1, 10), Stop("nw", 1, -1, 10), Stop("se", -1, 1, 10)]
    result = plan((0, 0), stops)
    # Out to one corner, round the square, back from the neighbouring corner.
    assert result.distance_m == pytest.approx(2 * math.sqrt(2) * 1000 + 3 * 2000)
    assert result.service_minutes == 40
    assert result.total_minutes == pytest.approx(result.travel_minutes + 40)
    for first, second in itertools.pairwise(result.order):
        assert first.lat == second.lat or first.lon == second.lon  # along a side, not across


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_brute_force_on_small_rounds(seed: int) -> None:
    rng = random.Random(seed)
    stops = random_stops(rng, 7)
    depot = (5.0, 5.0)
    result = plan(depot, stops)
    matrix = PlanarProvider().matrix([depot, *((s.lat, s.lon) for s in stops)])
    optimum = brute_force_optimum(matrix, list(range(1, 8)))
    assert result.distance_m == pytest.approx(optimum, abs=8)  # arc costs are whole metres
    assert result.distance_m <= result.baseline_distance_m


@pytest.mark.parametrize("seed", [4, 5])
def test_asymmetric_distances(seed: int) -> None:
    rng = random.Random(seed)
    stops = random_stops(rng, 6)
    depot = (5.0, 5.0)
    result = plan(depot, stops, provider=OneWayProvider())
    matrix = OneWayProvider().matrix([depot, *((s.lat, s.lon) for s in stops)])
    assert result.distance_m == pytest.approx(brute_force_optimum(matrix, list(range(1, 7))), abs=7)
    assert result.provider == "one-way"


def test_beats_nearest_neighbour_where_it_zigzags() -> None:
    # Two pairs of stops 5 km apart. Nearest neighbour takes both close ones first (a, b),
    # then crosses to the far pair and comes back diagonally; the best round goes round.
    stops = [Stop("a", 0, 1, 0), Stop("b", 0, -1.1, 0), Stop("c", 5, 1, 0), Stop("d", 5, -1.1, 0)]
    result = plan((0, 0), stops)
    assert ids(result.baseline_order) == ["a", "b", "d", "c"]
    assert result.baseline_distance_m == pytest.approx(1000 + 2100 + 5000 + 2100 + math.hypot(5, 1) * 1000)
    assert result.distance_m == pytest.approx(14_200)
    assert ids(result.order) in (["a", "c", "d", "b"], ["b", "d", "c", "a"])
    assert result.saving_percent == pytest.approx(
        (result.baseline_distance_m - result.distance_m) / result.baseline_distance_m * 100
    )
    assert result.saving_percent == pytest.approx(7.19, abs=0.01)


def test_never_worse_than_nearest_neighbour_even_if_the_solver_is(monkeypatch: pytest.MonkeyPatch) -> None:
    stops = [Stop("a", 0, 1, 0), Stop("b", 0, 2, 0), Stop("c", 0, 3, 0), Stop("d", 0, 4, 0)]
    zigzag = [1, 4, 2, 3]  # matrix rows of a, d, b, c: 16 km instead of 8
    monkeypatch.setattr(routing, "_solve", lambda *args: zigzag)
    result = plan((0, 0), stops)
    assert ids(result.order) == ids(result.baseline_order) == ["a", "b", "c", "d"]
    assert result.distance_m == result.baseline_distance_m == pytest.approx(8000)
    assert result.saving_percent == 0


def test_never_fewer_stops_than_a_greedy_crew(monkeypatch: pytest.MonkeyPatch) -> None:
    # Three stops, 20 minutes each, within 70 minutes: all three fit. A solver stuck on two
    # is overruled by the greedy round.
    stops = [Stop("a", 0, 1, 20), Stop("b", 0, 2, 20), Stop("c", 0, 3, 20)]
    monkeypatch.setattr(routing, "_solve", lambda *args: [1, 2])
    result = plan((0, 0), stops, shift=70)
    assert ids(result.order) == ["a", "b", "c"]
    assert result.left_over == []


def test_nearest_neighbour() -> None:
    matrix = [
        [0, 5, 1, 9],
        [5, 0, 2, 3],
        [1, 2, 0, 7],
        [9, 3, 7, 0],
    ]
    assert nearest_neighbour(matrix, [1, 2, 3]) == [2, 1, 3]
    assert nearest_neighbour(matrix, [3, 1]) == [1, 3]
    assert nearest_neighbour(matrix, []) == []
    # Ties go to the index listed first.
    assert nearest_neighbour([[0, 1, 1], [1, 0, 1], [1, 1, 0]], [2, 1]) == [2, 1]


# --- shift and left-over stops -------------------------------------------------------------------


def test_stops_that_do_not_fit_are_left_over() -> None:
    # Five stops close to the depot, an hour each, in a 150-minute shift: two fit.
    stops = [Stop(f"s{i}", 0, 0.1 * (i + 1), 60) for i in range(5)]
    result = plan((0, 0), stops, shift=150)
    assert len(result.order) == 2
    assert sorted(ids(result.order) + ids(result.left_over)) == ids(stops)
    assert ids(result.left_over) == sorted(ids(result.left_over))  # input order
    assert result.total_minutes <= 150
    assert set(ids(result.baseline_order)) == set(ids(result.order))


def test_serves_as_many_stops_as_possible_before_shortening() -> None:
    # "near" alone: 1 min of travel + 90 of service. "west-1" + "west-2": 40 min of travel.
    # Both cannot be combined with "near" in 95 minutes: two stops beat one, although longer.
    stops = [Stop("near", 0, 0.5, 90), Stop("west-1", 0, -20, 0), Stop("west-2", 0.1, -20, 0)]
    result = plan((0, 0), stops, shift=95)
    assert sorted(ids(result.order)) == ["west-1", "west-2"]
    assert ids(result.left_over) == ["near"]
    assert result.total_minutes <= 95


def test_a_stop_longer_than_the_shift_is_left_over() -> None:
    stops = [Stop("long", 0, 1, 500), Stop("quick", 0, 2, 5)]
    result = plan((0, 0), stops, shift=480)
    assert ids(result.order) == ["quick"]
    assert ids(result.left_over) == ["long"]


def test_nothing_fits() -> None:
    result = plan((0, 0), [Stop("far", 0, 50, 0)], shift=60)  # 100 minutes there and back
    assert result.order == []
    assert ids(result.left_over) == ["far"]
    assert result.distance_m == 0
    assert result.saving_percent is None


# --- edge cases ----------------------------------------------------------------------------------


def test_zero_stops() -> None:
    result = plan((43.6, 1.44), [])
    assert result.order == result.left_over == result.baseline_order == []
    assert (result.distance_m, result.total_minutes, result.baseline_distance_m) == (0, 0, 0)
    assert result.saving_percent is None
    line = result.geojson()["features"][0]["geometry"]
    assert line == {"type": "LineString", "coordinates": [[1.44, 43.6], [1.44, 43.6]]}


def test_one_stop() -> None:
    result = plan((0, 0), [Stop("only", 0, 3, 15)], shift=60)
    assert ids(result.order) == ["only"]
    assert result.distance_m == pytest.approx(6000)
    assert result.total_minutes == pytest.approx(6 + 15)
    assert result.saving_percent == 0


def test_stops_at_identical_coordinates() -> None:
    at_depot = [Stop(f"d{i}", 0, 0, 1) for i in range(3)]
    result = plan((0, 0), at_depot)
    assert sorted(ids(result.order)) == ["d0", "d1", "d2"]
    assert result.distance_m == 0
    assert result.saving_percent is None
    same_place = [Stop(f"p{i}", 2, 0, 1) for i in range(4)]
    result = plan((0, 0), same_place)
    assert len(result.order) == 4
    assert result.distance_m == pytest.approx(4000)


@pytest.mark.parametrize(
    ("depot", "stops", "message"),
    [
        ((91, 0), [], "depot: latitude"),
        ((0, -181), [], "depot: longitude"),
        ((0, 0), [Stop("x", math.nan, 0, 0)], "stop 'x': latitude"),
        ((0, 0), [Stop("x", 0, math.inf, 0)], "stop 'x': longitude"),
        ((0, 0), [Stop("x", 0, 1, -5)], "stop 'x': service_minutes"),
        ((0, 0), [Stop("x", 0, 1, math.nan)], "stop 'x': service_minutes"),
        ((0, 0), [Stop("x", 0, 1, "5")], "stop 'x': service_minutes"),  # type: ignore[arg-type]
        ((0, 0), [Stop("x", 0, 1, None)], "stop 'x': service_minutes"),  # type: ignore[arg-type]
        ((0, 0), [Stop("x", 0, 1, 0), Stop("x", 0, 2, 0)], "'x' appears twice"),
    ],
)
def test_invalid_input(depot: Any, stops: list[Stop], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(depot, stops)


def test_a_stop_that_fits_to_the_second() -> None:
    # 1 min there, 6 s of work, 1 min back: exactly the 2.1-minute shift, no rounding lost.
    result = plan((0, 0), [Stop("x", 0, 1, 0.1)], shift=2.1)
    assert ids(result.order) == ["x"]
    assert result.total_minutes == pytest.approx(2.1)


def test_decimal_input() -> None:
    # What a DecimalField gives: accepted, and the GeoJSON stays serialisable.
    stops = [Stop("a", Decimal("0"), Decimal("1"), Decimal("1.5")), Stop("b", 0, 2, Decimal("0"))]  # type: ignore[arg-type]
    result = plan((Decimal("0"), Decimal("0")), stops, shift=Decimal("95"))  # type: ignore[arg-type]
    assert ids(result.order) == ["a", "b"]
    assert result.total_minutes == pytest.approx(4 + 1.5)
    assert json.loads(json.dumps(result.geojson()))["features"][0]["geometry"]["coordinates"][1] == [1.0, 0.0]


@pytest.mark.parametrize("shift", [0, -10, math.nan, math.inf, "480", None, True])
def test_invalid_shift(shift: Any) -> None:
    with pytest.raises(ValueError, match="shift_minutes must be a positive number"):
        plan((0, 0), [Stop("x", 0, 1, 0)], shift=shift)


@pytest.mark.parametrize("name", ["speed_kmh", "time_limit_s"])
def test_invalid_speed_or_time_limit(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        plan((0, 0), [], **{name: 0})


def test_malformed_matrix_is_a_distance_error() -> None:
    with pytest.raises(DistanceError, match="not 3×3"):
        plan((0, 0), [Stop("a", 0, 1, 0), Stop("b", 0, 2, 0)], provider=BrokenProvider())


def test_default_provider_comes_from_settings(settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "ROUTING": {"PROVIDER": "straight-line", "DETOUR_FACTOR": 1.0},
    }
    depot, stop = (43.6, 1.44), Stop("a", 43.61, 1.45, 0)
    result = plan_round(depot, [stop], 60, time_limit_s=FAST)
    assert result.provider == "straight-line"
    assert result.distance_m == pytest.approx(2 * haversine_m(43.6, 1.44, 43.61, 1.45))


# --- GeoJSON -------------------------------------------------------------------------------------


def test_geojson() -> None:
    stops = [Stop("a", 43.60, 1.45, 5), Stop("b", 43.61, 1.45, 5), Stop("huge", 43.61, 1.46, 900)]
    result = plan_round((43.6, 1.44), stops, 120, provider=PlanarProvider(), time_limit_s=FAST)
    data = json.loads(json.dumps(result.geojson()))  # serialisable as it is
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    assert all(f["type"] == "Feature" and shape(f["geometry"]).is_valid for f in features)
    line, depot, *points = features
    assert line["geometry"]["type"] == "LineString"
    assert line["properties"]["kind"] == "route"
    expected_line = [[1.44, 43.6], *([s.lon, s.lat] for s in result.order), [1.44, 43.6]]
    assert line["geometry"]["coordinates"] == expected_line
    assert depot["geometry"] == {"type": "Point", "coordinates": [1.44, 43.6]}
    assert depot["properties"] == {"sequence": 0, "id": None, "kind": "depot"}
    assert [p["properties"] for p in points] == [
        *({"sequence": n, "id": s.id, "kind": "stop"} for n, s in enumerate(result.order, start=1)),
        {"sequence": None, "id": "huge", "kind": "left_over"},
    ]
    assert points[-1]["geometry"]["coordinates"] == [1.46, 43.61]


# --- properties ----------------------------------------------------------------------------------


def test_same_input_same_round() -> None:
    rng = random.Random(7)
    stops = random_stops(rng, 30, service=3)
    first = plan((5, 5), stops, shift=150, time_limit_s=0.3)
    second = plan((5, 5), stops, shift=150, time_limit_s=0.3)
    assert ids(first.order) == ids(second.order)
    assert ids(first.left_over) == ids(second.left_over)
    assert first.distance_m == second.distance_m


def test_seed_only_changes_the_order_in_which_stops_enter_the_model() -> None:
    rng = random.Random(3)
    stops = random_stops(rng, 12)
    # Both reach the optimum after ~0.05 s of search: 0.5 s leaves room for a loaded machine.
    plain = plan((5, 5), stops, time_limit_s=0.5)
    shuffled = plan((5, 5), stops, seed=5, time_limit_s=0.5)
    assert sorted(ids(shuffled.order)) == sorted(ids(plain.order))
    assert shuffled.distance_m == pytest.approx(plain.distance_m, abs=12)  # both optimal


stop_lists = st.lists(
    st.builds(
        Stop,
        id=st.text(alphabet="abcdefgh", min_size=1, max_size=3),
        lat=st.floats(-3, 3),
        lon=st.floats(-3, 3),
        service_minutes=st.sampled_from([0, 0, 5, 30, 120]),
    ),
    max_size=9,
    unique_by=lambda s: s.id,
)


@hypothesis_settings(max_examples=30, deadline=None)
@given(
    stops=stop_lists,
    depot=st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
    shift=st.floats(1, 600),
)
def test_round_properties(stops: list[Stop], depot: tuple[float, float], shift: float) -> None:
    result = plan(depot, stops, shift=shift, time_limit_s=0.05)
    # Every stop is either visited once or left over, never lost.
    assert sorted(ids(result.order) + ids(result.left_over)) == sorted(ids(stops))
    assert sorted(ids(result.baseline_order)) == sorted(ids(result.order))
    # Within the shift, and never worse than nearest neighbour over the same stops.
    assert result.total_minutes <= shift + 1e-9
    assert result.distance_m <= result.baseline_distance_m
    matrix = PlanarProvider().matrix([depot, *((s.lat, s.lon) for s in stops)])
    index = {s.id: k for k, s in enumerate(stops, start=1)}
    assert result.distance_m == pytest.approx(round_distance(matrix, [index[s.id] for s in result.order]))
    # A left-over stop that could be served alone means the round is full of other stops.
    # (Times are whole seconds rounded up: a few seconds of margin.)
    if result.left_over and not result.order:
        for stop in result.left_over:
            k = index[stop.id]
            alone = (matrix[0][k] + matrix[k][0]) / 1000 + stop.service_minutes
            assert alone > shift - 5 / 60
    if result.saving_percent is not None:
        assert 0 <= result.saving_percent < 100
    # One arrival per visited stop, in order, each leaving time for its service and the way back.
    assert len(result.arrival_minutes) == len(result.order)
    assert result.arrival_minutes == sorted(result.arrival_minutes)
    if result.order:
        last = result.order[-1]
        back = matrix[index[last.id]][0] / 1000
        assert result.arrival_minutes[-1] + last.service_minutes + back <= shift + 5 / 60
