"""Where a point falls: the commune and zone containing it (point-in-polygon with shapely).

The territory's outline is the union of its communes' zones: a point in none of them is
outside the territory. Prepared geometries are kept per process and rebuilt when a zone
changes (its ``updated_at``), so a lookup costs one small query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep

from territoire.territory.models import Commune, Zone


@dataclass(frozen=True)
class _Prepared:
    updated_at: datetime
    bounds: tuple[float, float, float, float]
    geometry: PreparedGeometry


@dataclass(frozen=True)
class Location:
    commune_id: int
    zone_id: int


_cache: dict[int, _Prepared] = {}
_lock = threading.Lock()


def _prepared(rows: Iterable[tuple[int, datetime]]) -> dict[int, _Prepared]:
    rows = list(rows)
    stale = [
        zone_id for zone_id, updated in rows if zone_id not in _cache or _cache[zone_id].updated_at != updated
    ]
    if stale:
        fresh: dict[int, _Prepared] = {}
        for zone_id, updated, geometry in Zone.objects.filter(pk__in=stale).values_list(
            "id", "updated_at", "geometry"
        ):
            try:
                geom: Any = shape(geometry)
            except Exception:  # noqa: S112  (a zone saved without validation: skip it)
                continue
            fresh[zone_id] = _Prepared(updated, tuple(geom.bounds), prep(geom))
        with _lock:
            _cache.update(fresh)
    return {zone_id: _cache[zone_id] for zone_id, _ in rows if zone_id in _cache}


def locate(lat: float, lon: float, communes: Iterable[Commune] | None = None) -> Location | None:
    """The zone (and its commune) containing the point, among ``communes`` (default: all)."""
    zones = Zone.objects.all()
    if communes is not None:
        zones = zones.filter(commune__in=[c.pk for c in communes])
    rows = list(zones.order_by("commune_id", "id").values_list("id", "updated_at", "commune_id"))
    prepared = _prepared((zone_id, updated) for zone_id, updated, _ in rows)
    point = Point(lon, lat)
    for zone_id, _updated, commune_id in rows:
        entry = prepared.get(zone_id)
        if entry is None:
            continue
        min_x, min_y, max_x, max_y = entry.bounds
        if min_x <= lon <= max_x and min_y <= lat <= max_y and entry.geometry.covers(point):
            return Location(commune_id=commune_id, zone_id=zone_id)
    return None


def clear_cache() -> None:
    with _lock:
        _cache.clear()
