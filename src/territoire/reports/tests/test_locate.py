"""reports.locate: locate() gives the zone a search over every zone would give (the first,
in commune and id order, that covers the point), within the scope asked for."""

from __future__ import annotations

import random

import pytest
import shapely

from territoire.reports import locate
from territoire.reports.locate import ZoneIndex
from territoire.reports.tests.conftest import ALPHA_NORD, Territory, square, zones


def test_locate_finds_the_zone_a_search_of_every_zone_finds() -> None:
    rng = random.Random(7)
    seeds = shapely.MultiPoint([(rng.uniform(-1.5, 0.5), rng.uniform(46.5, 47.5)) for _ in range(60)])
    frame = shapely.box(-1.6, 46.4, 0.6, 47.6)
    cells = [cell.intersection(frame) for cell in shapely.voronoi_polygons(seeds, extend_to=frame).geoms]
    order = sorted((index % 7, 1000 + index) for index in range(len(cells)))
    zone_order = [(zone_id, commune_id) for commune_id, zone_id in order]
    cells = [cells[zone_id - 1000] for zone_id, _commune in zone_order]
    snap = ZoneIndex.of(0, [(z, c, 1, cell) for (z, c), cell in zip(zone_order, cells, strict=True)])
    vertices = [xy for cell in cells for xy in cell.exterior.coords][:200]
    points = [(rng.uniform(-1.7, 0.7), rng.uniform(46.3, 47.7)) for _ in range(2000)] + vertices
    scopes: list[set[int] | None] = [None, {0, 3}, {5}]
    for lon, lat in points:
        for scope in scopes:
            expected = next(
                (
                    (zone_id, commune_id)
                    for (zone_id, commune_id), cell in zip(zone_order, cells, strict=True)
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


@pytest.mark.django_db
def test_the_index_follows_a_change_of_the_zones(territory: Territory) -> None:
    found = locate.locate(*ALPHA_NORD)
    assert found is not None
    assert found.commune_id == territory.alpha.pk
    # Alpha's zones move away: the saved zones bump the published version.
    zones(territory.alpha, ("Nord", square(40.0, 10.0, 0.01)), ("Sud", square(40.1, 10.0, 0.01)))
    assert locate.locate(*ALPHA_NORD) is None


def test_a_commune_without_organisation_is_outside_the_territory() -> None:
    index = ZoneIndex.of(0, [(1, 1, None, shapely.box(0, 0, 1, 1)), (2, 2, 5, shapely.box(0, 0, 2, 2))])
    assert index.locate(0.5, 0.5) == locate.Location(commune_id=2, zone_id=2)
    assert index.locate(0.5, 0.5, {1}) == locate.Location(commune_id=1, zone_id=1)
    assert index.locate(0.5, 0.5, organisation_id=6) is None
    assert index.locate(5, 5) is None
