"""The report form's address field: JSON search and nearest address (public, rate-limited,
no personal data), the server-side search without JavaScript, a report located from its
address, and the address of a pin filled in on submit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from territoire.reports.models import Report
from territoire.reports.tests.ban import ECOLES_14, GRANDE_RUE_3, PRES_3, ban
from territoire.reports.tests.conftest import ALPHA_SUD, Territory

pytestmark = pytest.mark.django_db
__all__ = ["ban"]

SIREN = "200000001"
SEARCH = f"/t/{SIREN}/signalements/adresses/"
NEAREST = f"/t/{SIREN}/signalements/adresses/proche/"
NEW = f"/t/{SIREN}/signalements/nouveau/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def report_data(**extra: Any) -> dict[str, Any]:
    return {
        "category": "voirie",
        "description": "Un trou profond devant l'école.",
        "attr__voirie__taille": "grand",
        **extra,
    }


def test_search_suggests_the_places_addresses_only(client: Client, ban: Territory) -> None:
    response = client.get(SEARCH, {"q": "14 rue des eco"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    results = response.json()["results"]
    assert [r["label"] for r in results] == ["14 Rue des Écoles, 10000 Alpha"]
    # Public open data only: exactly these keys, nothing about any report or person.
    assert set(results[0]) == {"label", "id", "type", "lat", "lon", "commune"}
    assert results[0]["id"] == ECOLES_14
    streets = client.get(SEARCH, {"q": "grande rue"}).json()["results"]
    assert streets[0]["type"] == "street"
    assert streets[0]["id"].startswith("~")
    # A commune's page suggests that commune's addresses only.
    assert client.get("/t/99101/signalements/adresses/", {"q": "grande rue"}).json()["results"] == []
    assert client.get(SEARCH, {"q": ""}).json()["results"] == []
    assert client.get(SEARCH, {"q": "x" * 10_000}).status_code == 200
    assert client.get("/t/999999999/signalements/adresses/", {"q": "rue"}).status_code == 404
    assert client.post(SEARCH, {"q": "rue"}).status_code == 405


def test_nearest_address_of_a_point(client: Client, ban: Territory) -> None:
    result = client.get(NEAREST, {"lat": "47.00521", "lon": "2.00521"}).json()["result"]
    assert result["label"] == "14 Rue des Écoles, 10000 Alpha"
    assert result["distance_m"] < 5
    assert client.get(NEAREST, {"lat": "47.3", "lon": "2.3"}).json() == {"result": None}
    for bad in ({"lat": "nord", "lon": "2"}, {"lat": "95", "lon": "2"}, {"lat": "nan", "lon": "2"}, {}):
        response = client.get(NEAREST, bad)
        assert response.status_code == 400
        assert "Indiquez lat" in response.json()["error"]


def test_the_endpoints_are_rate_limited(client: Client, ban: Territory, settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "RATE_LIMITS": {**settings.TERRITOIRE["RATE_LIMITS"], "address_lookup": "3/m"},
    }
    statuses = [client.get(SEARCH, {"q": "rue"}).status_code for _ in range(3)]
    statuses.append(client.get(NEAREST, {"lat": "47", "lon": "2"}).status_code)
    assert statuses == [200, 200, 200, 429]


def test_without_javascript_a_typed_address_offers_choices(client: Client, ban: Territory) -> None:
    response = client.post(NEW, report_data(address="14 rue des ecoles", find_address="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="address-results"' in html
    assert f'value="{ECOLES_14}" checked' in html
    assert "14 Rue des Écoles, 10000 Alpha" in html
    assert "Un trou profond devant l&#x27;école." in html  # what was typed is kept
    assert "field-error" not in html  # no error before the form is sent
    assert not Report.objects.exists()
    # The chosen address places the report.
    response = client.post(NEW, report_data(address="14 rue des ecoles", address_id=ECOLES_14))
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.lat, report.lon) == (47.0052, 2.0052)
    assert report.address_string == "14 Rue des Écoles, 10000 Alpha"
    assert report.address_id == ECOLES_14
    assert report.zone is not None
    assert report.zone.name == "Sud"


def test_a_street_chosen_without_number_places_it_on_the_street(client: Client, ban: Territory) -> None:
    choice = client.get(SEARCH, {"q": "rue des ecoles"}).json()["results"][0]["id"]
    assert client.post(NEW, report_data(address="rue des ecoles", address_id=choice)).status_code == 302
    report = Report.objects.get()
    assert report.address_string == "Rue des Écoles, 10000 Alpha"
    assert report.address_id == ""
    assert report.lat == 47.0052


def test_a_report_filed_by_address_alone_is_located(client: Client, ban: Territory) -> None:
    response = client.post(NEW, report_data(address="14, rue des Écoles"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.lat, report.lon, report.commune.insee_code) == (47.0052, 2.0052, "99101")
    assert report.address_string == "14, rue des Écoles"
    assert report.address_id == ECOLES_14


def test_an_address_outside_the_district_outlines_is_placed_without_district(
    client: Client, ban: Territory
) -> None:
    assert client.post(NEW, report_data(address="3 chemin des pres")).status_code == 302
    report = Report.objects.get()
    assert (report.lat, report.address_id, report.zone) == (46.995, PRES_3, None)


def test_an_address_of_another_commune_page_is_not_used(client: Client, ban: Territory) -> None:
    response = client.post(
        "/t/99101/signalements/nouveau/", report_data(address="x", address_id=GRANDE_RUE_3, zone="")
    )
    assert response.status_code in (302, 422)
    assert not Report.objects.filter(address_id=GRANDE_RUE_3).exists()


def test_a_pin_without_address_gets_the_nearest_on_submit(client: Client, ban: Territory) -> None:
    assert client.post(NEW, report_data(lat="47.00541", long="2.00541")).status_code == 302
    report = Report.objects.get()
    assert report.address_string == "16 Rue des Écoles, 10000 Alpha"
    assert report.lat == 47.00541  # the pin stays where it was put
    far = report_data(lat=str(ALPHA_SUD[0] + 0.004), long=str(ALPHA_SUD[1] + 0.004), description="Ailleurs.")
    assert client.post(NEW, far).status_code == 302
    assert Report.objects.get(description="Ailleurs.").address_string == ""


def test_open311_address_id_alone_locates(client: Client, ban: Territory) -> None:
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": ban.raw_key,
            "service_code": "voirie",
            "address_id": GRANDE_RUE_3,
            "description": "Trou",
            "attribute[taille]": "petit",
        },
    )
    assert response.status_code == 200, response.content
    report = Report.objects.get()
    assert (report.lat, report.commune.insee_code, report.zone.name if report.zone else "") == (
        47.005,
        "99102",
        "Bourg",
    )


IGN_PLAN = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)


def test_the_documented_ign_base_layer_and_the_csp_follow_the_setting(
    client: Client, territory: Territory, settings: Any
) -> None:
    default = client.get(NEW)
    assert 'data-tiles=""' in default.content.decode()  # outlines only
    assert "img-src 'self' data:;" in default["Content-Security-Policy"]
    settings.TERRITOIRE = {**settings.TERRITOIRE, "MAP_TILE_URL": IGN_PLAN, "MAP_TILE_ATTRIBUTION": "© IGN"}
    response = client.get(NEW)
    assert "img-src 'self' data: https://data.geopf.fr;" in response["Content-Security-Policy"]
    assert "TILEMATRIX={z}&amp;TILEROW={y}&amp;TILECOL={x}" in response.content.decode()
    operations = (Path(__file__).resolve().parents[4] / "docs" / "operations.md").read_text()
    assert IGN_PLAN in operations
