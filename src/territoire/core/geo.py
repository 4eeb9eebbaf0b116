"""Geometry without GDAL: shapely for validation and point-in-polygon, GeoJSON in and out."""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity

EARTH_RADIUS_M = 6_371_008.8


class GeometryError(ValueError):
    pass


def validate_polygon(geometry: Any) -> dict[str, Any]:
    """Check a GeoJSON Polygon or MultiPolygon in WGS 84; return it unchanged if valid."""
    if not isinstance(geometry, dict):
        raise GeometryError("geometry is missing or is not an object")
    kind = geometry.get("type")
    if not isinstance(kind, str) or kind not in {"Polygon", "MultiPolygon"}:
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GeometryError(f"malformed coordinates ({exc})") from exc
    if geom.is_empty:
        raise GeometryError("empty geometry")
    # GeoJSON (RFC 7946 §3.1.6) requires closed rings; shapely would close them silently.
    polygons = geometry["coordinates"] if kind == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
                raise GeometryError(
                    "a ring is not closed: it needs at least 4 positions, the first and last equal"
                )
    min_x, min_y, max_x, max_y = geom.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise GeometryError("coordinates out of range: expected longitude, latitude in WGS 84")
    if not geom.is_valid:
        raise GeometryError(f"invalid geometry: {explain_validity(geom)}")
    return geometry


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
