"""GET /api/v1/organisations, /communes, /zones."""

from __future__ import annotations

import pytest
from django.test import Client

from territoire.api.tests.helpers import add_zones, count_queries, get
from territoire.territory.models import Commune, Organisation
from territoire.territory.services import add_commune

pytestmark = pytest.mark.django_db


def test_list_organisations(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    status, body = get(client, "/organisations")
    assert status == 200
    assert body == [
        {
            "siren": "200000002",
            "name": "CA Voisine",
            "kind": "CA",
            "slug": other_organisation.slug,
            "population": 20_000,
        },
        {
            "siren": "200000001",
            "name": "CC des Essais",
            "kind": "CC",
            "slug": organisation.slug,
            "population": 14_000,
        },
    ]


def test_get_organisation(client: Client, organisation: Organisation) -> None:
    status, body = get(client, "/organisations/200000001")
    assert status == 200
    assert body["name"] == "CC des Essais"
    assert body["population"] == 14_000


def test_unknown_organisation_is_a_json_404(client: Client, organisation: Organisation) -> None:
    status, body = get(client, "/organisations/999999999")
    assert status == 404
    assert "999999999" in body["detail"]
    assert [(e["field"], e["message"]) for e in body["errors"]] == [("siren", body["detail"])]


def test_list_communes(client: Client, organisation: Organisation, other_organisation: Organisation) -> None:
    status, body = get(client, "/communes")
    assert status == 200
    assert body["count"] == 4
    assert body["next_page"] is None
    assert [c["insee_code"] for c in body["results"]] == ["99101", "99102", "99103", "99201"]
    assert body["results"][0] == {
        "insee_code": "99101",
        "name": "Alpha",
        "population": 10_000,
        "postcodes": ["10000"],
        "organisation": "200000001",
    }


def test_communes_filtered_by_organisation(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    _, body = get(client, "/communes?organisation=200000002")
    assert [c["name"] for c in body["results"]] == ["Delta"]
    _, body = get(client, "/communes?organisation=200000001")
    assert body["count"] == 3
    _, body = get(client, "/communes?organisation=123456789")
    assert body == {"count": 0, "page": 1, "page_size": 100, "next_page": None, "results": []}


def test_communes_pagination(client: Client, organisation: Organisation) -> None:
    _, first = get(client, "/communes?page_size=2")
    assert (first["count"], first["page"], first["page_size"], first["next_page"]) == (3, 1, 2, 2)
    assert [c["insee_code"] for c in first["results"]] == ["99101", "99102"]
    _, second = get(client, "/communes?page_size=2&page=2")
    assert [c["insee_code"] for c in second["results"]] == ["99103"]
    assert second["next_page"] is None
    _, beyond = get(client, "/communes?page_size=2&page=3")
    assert beyond["results"] == []
    assert beyond["count"] == 3


def test_communes_outside_any_organisation_are_not_listed(client: Client, organisation: Organisation) -> None:
    Commune.objects.filter(insee_code="99103").update(organisation=None)
    _, body = get(client, "/communes")
    assert [c["insee_code"] for c in body["results"]] == ["99101", "99102"]
    assert get(client, "/communes/99103")[0] == 404


def test_get_commune(client: Client, organisation: Organisation) -> None:
    status, body = get(client, "/communes/99102")
    assert status == 200
    assert body["name"] == "Bêta"
    assert body["organisation"] == "200000001"


def test_unknown_commune_is_a_json_404(client: Client, organisation: Organisation) -> None:
    status, body = get(client, "/communes/98765")
    assert status == 404
    assert body["errors"][0]["field"] == "insee_code"
    assert "98765" in body["detail"]


def test_list_zones(client: Client, organisation: Organisation, commune: Commune) -> None:
    add_zones(commune, ["Centre", "Port"])
    add_zones(Commune.objects.get(insee_code="99102"), ["Bourg"])
    status, body = get(client, "/zones")
    assert status == 200
    assert body["count"] == 3
    centre = body["results"][0]
    assert (centre["code"], centre["name"], centre["commune"], centre["population"]) == (
        "centre",
        "Centre",
        "99101",
        100,
    )
    assert centre["geometry"]["type"] == "Polygon"
    _, filtered = get(client, "/zones?commune=99102")
    assert [z["name"] for z in filtered["results"]] == ["Bourg"]
    _, paged = get(client, "/zones?page_size=1&page=2")
    assert [z["name"] for z in paged["results"]] == ["Port"]
    assert paged["next_page"] == 3


def test_list_queries_do_not_grow_with_communes(client: Client, organisation: Organisation) -> None:
    def queries(path: str) -> int:
        return count_queries(lambda: client.get(f"/api/v1{path}"))

    paths = ["/organisations", "/communes", "/zones", "/communes?organisation=200000001"]
    add_zones(Commune.objects.get(insee_code="99101"), ["A"])
    few = {path: queries(path) for path in paths}
    for i in range(12):
        commune = add_commune(
            organisation=organisation, insee_code=f"99{110 + i}", name=f"C{i}", population=10
        )
        add_zones(commune, ["A", "B"])
    _, body = get(client, "/communes")
    assert body["count"] == 15
    assert {path: queries(path) for path in paths} == few
