"""Helpers for the API tests."""

from __future__ import annotations

from typing import Any

from django.test import Client

from territoire.roadmap.tests.helpers import count_queries, make_project
from territoire.territory.models import Commune
from territoire.territory.services import save_zones

API = "/api/v1"


def get(client: Client, path: str, **extra: Any) -> tuple[int, Any]:
    response = client.get(f"{API}{path}", **extra)
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.status_code, response.json()


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def add_zones(commune: Commune, names: list[str]) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"name": name, "population": 100 * (k + 1)},
            "geometry": square(2.0 + k * 0.02, 47.0),
        }
        for k, name in enumerate(names)
    ]
    save_zones(features={"type": "FeatureCollection", "features": features}, commune=commune, source="test")


__all__ = ["add_zones", "count_queries", "get", "make_project", "square"]
