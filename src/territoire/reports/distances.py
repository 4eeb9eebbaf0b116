"""Distance matrices between points for crew rounds: straight line, or a road network (OSRM).

A provider turns ``(lat, lon)`` points into a square matrix of distances in metres
(``matrix[i][j]`` from point ``i`` to point ``j``; it may be asymmetric on a road network).
``provider_from_settings()`` picks one from ``settings.TERRITOIRE["ROUTING"]``:

    "ROUTING": {
        "PROVIDER": "straight-line",   # or "osrm"
        "DETOUR_FACTOR": 1.3,          # straight-line only: roads are longer than the crow flies
        "OSRM_URL": "",                # osrm only, e.g. "http://osrm.internal:5000"
        "OSRM_PROFILE": "driving",
        "OSRM_TIMEOUT_S": 10,
        "OSRM_MAX_TABLE_SIZE": 100,    # the server's --max-table-size
    }

The OSRM provider talks to a server the installation runs itself (no third-party request).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from territoire.core.geo import haversine_m

Point = tuple[float, float]  # (lat, lon) in WGS 84

STRAIGHT_LINE = "straight-line"
OSRM = "osrm"
DEFAULT_DETOUR_FACTOR = 1.3


class DistanceError(RuntimeError):
    """The distances could not be obtained (routing server down, unreachable point...)."""


class DistanceProvider(Protocol):
    name: str

    def matrix(self, points: Sequence[Point]) -> list[list[float]]:
        """Distances in metres between every pair of ``(lat, lon)`` points."""
        ...


def check_point(point: Sequence[float], what: str = "point") -> Point:
    """Return ``(lat, lon)`` as floats, or raise ValueError naming the bad coordinate."""
    try:
        lat, lon = (float(point[0]), float(point[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"{what}: expected (latitude, longitude), got {point!r}") from exc
    if len(point) != 2:
        raise ValueError(f"{what}: expected (latitude, longitude), got {point!r}")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(f"{what}: latitude {lat!r} is outside -90..90")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(f"{what}: longitude {lon!r} is outside -180..180")
    return lat, lon


class StraightLineProvider:
    """Great-circle distance times a detour factor: no network, good enough to order a round."""

    name = STRAIGHT_LINE

    def __init__(self, detour_factor: float = DEFAULT_DETOUR_FACTOR) -> None:
        if not (math.isfinite(detour_factor) and detour_factor >= 1):
            raise ValueError(f"detour_factor must be a number ≥ 1, not {detour_factor!r}")
        self.detour_factor = float(detour_factor)

    def matrix(self, points: Sequence[Point]) -> list[list[float]]:
        checked = [check_point(p, f"point {i}") for i, p in enumerate(points)]
        size = len(checked)
        result = [[0.0] * size for _ in range(size)]
        for i in range(size):
            for j in range(i + 1, size):
                d = haversine_m(*checked[i], *checked[j]) * self.detour_factor
                result[i][j] = result[j][i] = d
        return result


class OsrmTableProvider:
    """Road distances from an OSRM server's table service (``/table/v1/{profile}/...``).

    Matrices larger than the server's ``--max-table-size`` (100 by default) are fetched in
    blocks through the ``sources``/``destinations`` parameters.
    """

    name = OSRM

    def __init__(
        self,
        base_url: str,
        profile: str = "driving",
        timeout_s: float = 10,
        max_table_size: int = 100,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError(f"OSRM URL must be an http(s) URL, not {base_url!r}")
        if not profile or not profile.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"invalid OSRM profile {profile!r}")
        if not timeout_s > 0:
            raise ValueError("timeout_s must be positive")
        if max_table_size < 2:
            raise ValueError("max_table_size must be at least 2")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout_s = float(timeout_s)
        self.max_table_size = int(max_table_size)

    def matrix(self, points: Sequence[Point]) -> list[list[float]]:
        checked = [check_point(p, f"point {i}") for i, p in enumerate(points)]
        size = len(checked)
        if size <= 1:
            return [[0.0] * size for _ in range(size)]
        if size <= self.max_table_size:
            return self._table(checked, None, None)
        result = [[0.0] * size for _ in range(size)]
        block = self.max_table_size
        starts = range(0, size, block)
        for row_start in starts:
            rows = list(range(row_start, min(row_start + block, size)))
            for col_start in starts:
                cols = list(range(col_start, min(col_start + block, size)))
                # Coordinates of both blocks (once when they are the same block); the
                # server's limit is on sources × destinations, here at most block².
                indices = rows if rows == cols else rows + cols
                coordinates = [checked[i] for i in indices]
                sources = list(range(len(rows)))
                destinations = sources if rows == cols else list(range(len(rows), len(indices)))
                part = self._table(coordinates, sources, destinations)
                for a, i in enumerate(rows):
                    for b, j in enumerate(cols):
                        result[i][j] = part[a][b]
        return result

    def _table(
        self,
        coordinates: Sequence[Point],
        sources: Sequence[int] | None,
        destinations: Sequence[int] | None,
    ) -> list[list[float]]:
        locations = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in coordinates)
        query = {"annotations": "distance"}
        if sources is not None and destinations is not None:
            query["sources"] = ";".join(map(str, sources))
            query["destinations"] = ";".join(map(str, destinations))
        url = f"{self.base_url}/table/v1/{self.profile}/{locations}?{urllib.parse.urlencode(query, safe=';')}"
        payload = self._get(url)
        expected_rows = len(sources) if sources is not None else len(coordinates)
        expected_cols = len(destinations) if destinations is not None else len(coordinates)
        return _parse_distances(payload, expected_rows, expected_cols)

    def _get(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (scheme checked in __init__)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = _osrm_message(exc.read())
            raise DistanceError(f"OSRM answered HTTP {exc.code}{detail}") from exc
        except TimeoutError as exc:
            raise DistanceError(f"OSRM did not answer within {self.timeout_s:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise DistanceError(f"OSRM did not answer within {self.timeout_s:g} s") from exc
            raise DistanceError(f"OSRM server unreachable at {self.base_url}: {exc.reason}") from exc
        except OSError as exc:
            raise DistanceError(f"OSRM request failed: {exc}") from exc
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise DistanceError("OSRM answered with something that is not JSON") from exc
        if not isinstance(payload, dict):
            raise DistanceError("OSRM answer is not a JSON object")
        if payload.get("code") != "Ok":
            raise DistanceError(f"OSRM answered code {payload.get('code')!r}{_osrm_message(body)}")
        return payload


def _osrm_message(body: bytes) -> str:
    """``": <code>: <message>"`` from an OSRM error body, or "" when there is none."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [str(payload[key]) for key in ("code", "message") if payload.get(key)]
    return f": {' — '.join(parts)}" if parts else ""


def _parse_distances(payload: dict[str, Any], rows: int, cols: int) -> list[list[float]]:
    distances = payload.get("distances")
    if not isinstance(distances, list) or len(distances) != rows:
        raise DistanceError(f"OSRM answer has no {rows}×{cols} 'distances' table")
    result: list[list[float]] = []
    for i, row in enumerate(distances):
        if not isinstance(row, list) or len(row) != cols:
            raise DistanceError(f"OSRM answer has no {rows}×{cols} 'distances' table")
        values = []
        for j, value in enumerate(row):
            if value is None:
                raise DistanceError(
                    f"OSRM found no route from point {i} to point {j}: one of them is unreachable by road"
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise DistanceError(f"OSRM answer has an invalid distance {value!r}")
            if value < 0:
                raise DistanceError(f"OSRM answer has a negative distance {value!r}")
            values.append(float(value))
        result.append(values)
    return result


def provider_from_settings() -> DistanceProvider:
    """The provider configured in ``settings.TERRITOIRE["ROUTING"]`` (read now, not at import)."""
    config: dict[str, Any] = getattr(settings, "TERRITOIRE", {}).get("ROUTING", {}) or {}
    kind = config.get("PROVIDER") or STRAIGHT_LINE
    if kind == STRAIGHT_LINE:
        try:
            return StraightLineProvider(float(config.get("DETOUR_FACTOR", DEFAULT_DETOUR_FACTOR)))
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"TERRITOIRE['ROUTING']['DETOUR_FACTOR']: {exc}") from exc
    if kind == OSRM:
        url = config.get("OSRM_URL") or ""
        if not url:
            raise ImproperlyConfigured(
                "TERRITOIRE['ROUTING']['OSRM_URL'] must be set when PROVIDER is 'osrm'"
            )
        try:
            return OsrmTableProvider(
                url,
                profile=config.get("OSRM_PROFILE") or "driving",
                timeout_s=float(config.get("OSRM_TIMEOUT_S", 10)),
                max_table_size=int(config.get("OSRM_MAX_TABLE_SIZE", 100)),
            )
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"TERRITOIRE['ROUTING']: {exc}") from exc
    raise ImproperlyConfigured(
        f"TERRITOIRE['ROUTING']['PROVIDER'] must be {STRAIGHT_LINE!r} or {OSRM!r}, not {kind!r}"
    )
