"""Helpers for the API tests."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from territoire.roadmap.models import Axis, Project, ProjectStatus
from territoire.territory.models import Commune, Organisation
from territoire.territory.services import save_zones

API = "/api/v1"


def get(client: Client, path: str, **extra: Any) -> tuple[int, Any]:
    response = client.get(f"{API}{path}", **extra)
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.status_code, response.json()


def count_queries(action: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)


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


def make_project(organisation: Organisation, title: str, **fields: Any) -> Project:
    defaults: dict[str, Any] = {
        "axis": Axis.objects.get(organisation=organisation, code=fields.pop("axis_code", "services")),
        "value_score": 3,
        "complexity_score": 3,
        "cost": Decimal(10_000),
        "target_year": 2026,
        "target_quarter": 2,
        "status": ProjectStatus.PLANNED,
    }
    defaults.update(fields)
    return Project.objects.create(organisation=organisation, title=title, **defaults)
