"""reports.locate: the grid finds every zone that may hold a point, and locate() gives
the zone a search over all of them would give (the first, in order, that covers it)."""

from __future__ import annotations

import random

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from territoire.reports.locate import Grid, Territory

coordinate = st.floats(min_value=-10, max_value=10, allow_nan=False)


@st.composite
def boxes(draw: st.DrawFn) -> list[list[float]]:
    out = []
    for _ in range(draw(st.integers(1, 30))):
        x, y = draw(coordinate), draw(coordinate)
        w, h = draw(st.floats(0, 5)), draw(st.floats(0, 5))
        out.append([x, y, x + w, y + h])
    return out


@settings(max_examples=150, deadline=None)
@given(boxes(), st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=20))
def test_the_grid_lists_every_box_holding_a_point_in_order(
    bounds: list[list[float]], points: list[tuple[float, float]]
) -> None:
    grid = Grid(bounds)
    for x, y in points + [(b[0], b[1]) for b in bounds] + [(b[2], b[3]) for b in bounds]:
        found = grid.candidates(x, y)
        assert found == sorted(found)
        holding = [i for i, (x0, y0, x1, y1) in enumerate(bounds) if x0 <= x <= x1 and y0 <= y <= y1]
        assert set(holding) <= set(found), (x, y)


def test_boxes_far_apart_or_far_larger_than_the_others_are_found() -> None:
    # Two small communes 7,000 km apart (Europe, the Caribbean), and a zone over both.
    bounds = [[2.0, 47.0, 2.1, 47.1], [-61.6, 16.0, -61.5, 16.1], [-62.0, 15.0, 3.0, 48.0]]
    grid = Grid(bounds)
    assert grid.everywhere == [2]
    assert len(grid.cells) <= 18  # the occupied cells only: 3 × 3 at most for each small box
    assert grid.candidates(2.05, 47.05) == [0, 2]
    assert grid.candidates(-61.55, 16.05) == [1, 2]
    assert grid.candidates(-20.0, 30.0) == [2]


def test_a_territory_of_one_point_has_a_grid_all_the_same() -> None:
    grid = Grid([[2.0, 47.0, 2.0, 47.0]])
    assert grid.candidates(2.0, 47.0) == [0]
    assert grid.candidates(3.0, 47.0) == []


def test_locate_finds_the_zone_a_search_of_every_zone_finds() -> None:
    rng = random.Random(7)
    seeds = shapely.MultiPoint([(rng.uniform(-1.5, 0.5), rng.uniform(46.5, 47.5)) for _ in range(60)])
    frame = shapely.box(-1.6, 46.4, 0.6, 47.6)
    cells = [cell.intersection(frame) for cell in shapely.voronoi_polygons(seeds, extend_to=frame).geoms]
    snap = Territory(key=())
    for index, cell in enumerate(cells):
        shapely.prepare(cell)
        snap.zone_order.append((1000 + index, index % 7))
        snap.geometries.append(cell)
    snap.grid = Grid(shapely.bounds(snap.geometries).tolist())
    vertices = [xy for cell in cells for xy in cell.exterior.coords][:200]
    points = [(rng.uniform(-1.7, 0.7), rng.uniform(46.3, 47.7)) for _ in range(2000)] + vertices
    scopes: list[set[int] | None] = [None, {0, 3}, {5}]
    for lon, lat in points:
        for scope in scopes:
            expected = next(
                (
                    (zone_id, commune_id)
                    for (zone_id, commune_id), cell in zip(snap.zone_order, cells, strict=True)
                    if (scope is None or commune_id in scope) and cell.covers(shapely.Point(lon, lat))
                ),
                None,
            )
            found = snap.locate(lat, lon, scope)
            assert (None if found is None else (found.zone_id, found.commune_id)) == expected, (
                lon,
                lat,
                scope,
            )
