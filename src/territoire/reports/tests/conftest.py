"""Fixtures of the reports tests: zones, categories, crews and an Open311 key on the root territory.

Alpha (99101) has two square zones, Bêta (99102) one; Gamma (99103) has none (a point
there is outside the territory). Points: ``ALPHA_NORD`` and ``ALPHA_SUD`` in Alpha's
zones, ``BETA`` in Bêta's, ``OUTSIDE`` in none.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from territoire.api.models import ApiToken
from territoire.reports import services
from territoire.reports.models import Crew, Report, ServiceCategory, ServiceType
from territoire.reports.services import AttributeSpec
from territoire.territory.models import Commune, Organisation
from territoire.territory.services import save_zones

ALPHA_NORD = (47.015, 2.005)
ALPHA_SUD = (47.005, 2.005)
BETA = (47.005, 2.025)
OUTSIDE = (46.5, 1.5)


def square(lat: float, lon: float, size: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def zones(commune: Commune, *squares: tuple[str, dict[str, Any]]) -> None:
    save_zones(
        features={
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"name": name}, "geometry": geometry}
                for name, geometry in squares
            ],
        },
        commune=commune,
        source="test",
    )


@dataclass
class Territory:
    organisation: Organisation
    alpha: Commune
    beta: Commune
    gamma: Commune
    voirie: ServiceCategory
    eclairage: ServiceCategory
    encombrants: ServiceCategory
    crew: Crew
    api_key: ApiToken
    raw_key: str


@pytest.fixture
def territory(organisation: Organisation) -> Territory:
    alpha = Commune.objects.get(insee_code="99101")
    beta = Commune.objects.get(insee_code="99102")
    gamma = Commune.objects.get(insee_code="99103")
    zones(alpha, ("Sud", square(47.0, 2.0, 0.01)), ("Nord", square(47.01, 2.0, 0.01)))
    zones(beta, ("Bourg", square(47.0, 2.02, 0.01)))
    voirie = services.save_category(
        organisation=organisation,
        service_code="voirie",
        name="Nid-de-poule",
        description="Trou dans la chaussée",
        group="Voirie",
        keywords="route, trou",
        team="Voirie",
        sla_days=7,
        service_minutes=30,
        attributes=[
            AttributeSpec(
                "taille",
                "Quelle taille ?",
                "singlevaluelist",
                required=True,
                values=[("petit", "Petit"), ("grand", "Grand")],
            ),
            AttributeSpec("profondeur", "Profondeur (cm)", "number"),
            AttributeSpec("constat", "Constaté le", "datetime"),
        ],
        position=1,
    )
    eclairage = services.save_category(
        organisation=organisation,
        service_code="eclairage",
        name="Éclairage public",
        team="Éclairage",
        sla_days=3,
        service_minutes=15,
        attributes=[
            AttributeSpec(
                "symptome",
                "Symptôme",
                "multivaluelist",
                values=[("eteint", "Éteint"), ("clignote", "Clignote")],
            ),
            AttributeSpec("note", "Précisions", "text"),
            AttributeSpec("poteau", "Numéro du poteau", "string"),
        ],
        position=2,
    )
    encombrants = services.save_category(
        organisation=organisation,
        service_code="encombrants",
        name="Dépôt sauvage",
        type=ServiceType.BATCH,
        team="Propreté",
        sla_days=None,
        position=3,
    )
    crew = services.save_crew(
        organisation=organisation,
        name="Équipe voirie",
        depot_lat=47.0,
        depot_lon=2.0,
        shift_minutes=420,
        team="Voirie",
        categories=[voirie],
    )
    key, raw = services.create_api_key("Application de test")
    return Territory(organisation, alpha, beta, gamma, voirie, eclairage, encombrants, crew, key, raw)


@pytest.fixture
def make_report(territory: Territory) -> Callable[..., Report]:
    def make(
        point: tuple[float, float] = ALPHA_SUD,
        service_code: str = "voirie",
        description: str = "Un trou",
        confirm_email: bool = True,
        **extra: Any,
    ) -> Report:
        data: dict[str, Any] = {
            "service_code": service_code,
            "lat": str(point[0]),
            "long": str(point[1]),
            "description": description,
            "attribute": {"taille": "petit"} if service_code == "voirie" else {},
        }
        kwargs = {k: extra.pop(k) for k in ("requested_at", "source", "photo") if k in extra}
        data.update(extra)
        report = services.submit_report(data, organisation=territory.organisation, **kwargs)
        if report.email and confirm_email:
            # As if the reporter had opened the confirmation link (tested in test_confirmations).
            Report.objects.filter(pk=report.pk).update(email_confirmed_at=timezone.now())
            report.refresh_from_db()
        return report

    return make


def jpeg_bytes(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()
