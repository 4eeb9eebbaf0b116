"""Where a point falls: the zone (and commune) whose polygon covers it.

The territory's outline is the union of its communes' zones: a point in none of them is
outside the territory. The zones' polygons are parsed, prepared and indexed in a shapely
``STRtree`` once per process and per version of the published data (``core.cache``: a
change to a commune or a zone bumps it), so that locating a point costs one indexed read
of that version instead of loading and parsing every polygon. The cache holds ids and
geometries only, never model instances: the caller loads the rows it needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Any

import shapely
from django.db import connection
from shapely.geometry import shape

from territoire.core.cache import data_version
from territoire.territory.models import Zone


@dataclass(frozen=True)
class Location:
    commune_id: int
    zone_id: int


@dataclass(frozen=True)
class ZoneIndex:
    """The locatable zones of one version of the territory, in (commune, id) order."""

    version: int
    zone_ids: list[int]
    commune_ids: list[int]
    organisation_ids: list[int | None]
    tree: shapely.STRtree

    @classmethod
    def of(cls, version: int, zones: Iterable[tuple[int, int, int | None, Any]]) -> ZoneIndex:
        """An index of (zone id, commune id, organisation id, GeoJSON or shapely geometry),
        given in (commune, id) order; a zone whose geometry is empty or invalid is left out."""
        zone_ids: list[int] = []
        commune_ids: list[int] = []
        organisation_ids: list[int | None] = []
        geometries: list[Any] = []
        for zone_id, commune_id, organisation_id, raw in zones:
            try:
                geometry: Any = raw if isinstance(raw, shapely.Geometry) else shape(raw)
            except Exception:  # noqa: S112  (a zone saved without validation: not locatable)
                continue
            if geometry.is_empty:
                continue
            shapely.prepare(geometry)
            zone_ids.append(zone_id)
            commune_ids.append(commune_id)
            organisation_ids.append(organisation_id)
            geometries.append(geometry)
        return cls(version, zone_ids, commune_ids, organisation_ids, shapely.STRtree(geometries))

    def locate(
        self, lat: float, lon: float, communes: Set[int] | None = None, organisation_id: int | None = None
    ) -> Location | None:
        """The first zone (in commune, id order) covering the point, boundary included,
        among ``communes`` if given, else among the communes of ``organisation_id``, else
        among every commune that has an organisation."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        for index in sorted(hits.tolist()):
            commune_id = self.commune_ids[index]
            organisation = self.organisation_ids[index]
            if communes is not None:
                if commune_id not in communes:
                    continue
            elif organisation is None or (organisation_id is not None and organisation != organisation_id):
                continue
            return Location(commune_id=commune_id, zone_id=self.zone_ids[index])
        return None


def _build(version: int) -> ZoneIndex:
    rows = Zone.objects.order_by("commune_id", "id").values_list(
        "id", "commune_id", "commune__organisation_id", "geometry"
    )
    return ZoneIndex.of(version, rows.iterator(chunk_size=200))


# One index per process (and database alias, for the tests' several databases).
_indexes: dict[str, ZoneIndex] = {}
_lock = threading.Lock()


def zone_index() -> ZoneIndex:
    """The zones' index at the current published version (one query when it is current)."""
    version = data_version()
    current = _indexes.get(connection.alias)
    if current is None or current.version != version:
        current = _build(version)
        with _lock:
            _indexes[connection.alias] = current
    return current


def locate(lat: float, lon: float, communes: Iterable[Any] | None = None) -> Location | None:
    """The zone (and its commune) containing the point, among ``communes`` (default: all)."""
    ids = None if communes is None else {c if isinstance(c, int) else c.pk for c in communes}
    return zone_index().locate(lat, lon, ids)


def clear_cache() -> None:
    """Forget the indexes (tests that write zones without bumping the version)."""
    with _lock:
        _indexes.clear()
