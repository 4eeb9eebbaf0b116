"""Open311 conformance: discovery, service list and service definitions, in both formats."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from territoire.reports import services
from territoire.reports.tests.conftest import Territory
from territoire.reports.tests.open311_client import BASE, FORMATS, get

pytestmark = [pytest.mark.django_db, pytest.mark.urls("territoire.reports.tests.urls_open311")]

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client: Client, territory: Territory, fmt: str) -> None:
    response, doc = get(client, "discovery", fmt)
    assert response.status_code == 200
    assert doc["changeset"][:4].isdigit()
    assert "+" in doc["changeset"] or doc["changeset"].endswith("Z")
    assert doc["contact"]
    endpoint = doc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_discovery_contact_from_settings(client: Client, territory: Territory, settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "OPEN311_CONTACT": "numerique@example.org",
        "SITE_URL": "https://x.fr",
    }
    _response, doc = get(client, "discovery", "json")
    assert doc["contact"] == "numerique@example.org"
    assert doc["endpoints"][0]["url"] == "https://x.fr/open311/v2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(client: Client, territory: Territory, fmt: str) -> None:
    response, doc = get(client, "services", fmt)
    assert response.status_code == 200
    by_code = {s["service_code"]: s for s in doc}
    assert list(by_code) == ["voirie", "eclairage", "encombrants"]
    voirie = by_code["voirie"]
    assert voirie["service_name"] == "Nid-de-poule"
    assert voirie["description"] == "Trou dans la chaussée"
    assert voirie["group"] == "Voirie"
    assert voirie["keywords"] == "route, trou"
    metadata = {code: str(s["metadata"]).lower() for code, s in by_code.items()}
    assert metadata == {"voirie": "true", "eclairage": "true", "encombrants": "false"}
    assert by_code["encombrants"]["type"] == "batch"
    assert voirie["type"] == "realtime"


def test_service_list_xml_element_order(client: Client, territory: Territory) -> None:
    root = ET.fromstring(client.get(f"{BASE}services.xml").content)
    assert root.tag == "services"
    assert [child.tag for child in root[0]] == SERVICE_FIELDS


def test_inactive_service_is_not_listed(client: Client, territory: Territory) -> None:
    territory.eclairage.active = False
    territory.eclairage.save()
    _response, doc = get(client, "services", "json")
    assert "eclairage" not in [s["service_code"] for s in doc]
    response, _doc = get(client, "services/eclairage", "json")
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client: Client, territory: Territory, fmt: str) -> None:
    response, doc = get(client, "services/voirie", fmt)
    assert response.status_code == 200
    assert doc["service_code"] == "voirie"
    attributes = doc["attributes"]
    assert [a["code"] for a in attributes] == ["taille", "profondeur", "constat"]
    taille = attributes[0]
    assert str(taille["required"]).lower() == "true"
    assert str(attributes[1]["required"]).lower() == "false"
    assert str(taille["variable"]).lower() == "true"
    assert [str(a["order"]) for a in attributes] == ["1", "2", "3"]
    assert [a["datatype"] for a in attributes] == ["singlevaluelist", "number", "datetime"]
    assert taille["values"] == [{"key": "petit", "name": "Petit"}, {"key": "grand", "name": "Grand"}]
    assert taille["description"] == "Quelle taille ?"


def test_service_definition_xml_element_order(client: Client, territory: Territory) -> None:
    root = ET.fromstring(client.get(f"{BASE}services/eclairage.xml").content)
    assert root.tag == "service_definition"
    assert [child.tag for child in root] == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert attribute is not None
    assert [child.tag for child in attribute] == ATTRIBUTE_FIELDS
    assert [a.findtext("datatype") for a in root.iterfind("attributes/attribute")] == [
        "multivaluelist",
        "text",
        "string",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404(client: Client, territory: Territory, fmt: str) -> None:
    response, doc = get(client, "services/inconnu", fmt)
    assert response.status_code == 404
    assert str(doc[0]["code"]) == "404"
    assert "service_code" in doc[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction(client: Client, territory: Territory, other_organisation: Any, fmt: str) -> None:
    # Two organisations: the jurisdiction must be said.
    response, doc = get(client, "services", fmt)
    assert response.status_code == 400
    assert "jurisdiction_id" in doc[0]["description"]
    response, doc = get(client, "services", fmt, jurisdiction_id="99101")
    assert response.status_code == 200
    assert len(doc) == 3
    response, doc = get(client, "services", fmt, jurisdiction_id="200000001")  # the SIREN works too
    assert response.status_code == 200
    assert len(doc) == 3
    response, doc = get(
        client, "services", fmt, jurisdiction_id="99201"
    )  # the other organisation: no service
    assert response.status_code == 200
    assert doc in ([], "")
    response, doc = get(client, "services", fmt, jurisdiction_id="12345")
    assert response.status_code == 404
    assert str(doc[0]["code"]) == "404"
    response, doc = get(client, "services/voirie", fmt, jurisdiction_id="99201")
    assert response.status_code == 404


def test_default_organisation_setting_names_the_jurisdiction(
    client: Client, territory: Territory, other_organisation: Any, settings: Any
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "DEFAULT_ORGANISATION": "200000001"}
    response, doc = get(client, "services", "json")
    assert response.status_code == 200
    assert len(doc) == 3


def test_special_characters_are_escaped_in_xml(client: Client, territory: Territory) -> None:
    services.save_category(
        organisation=territory.organisation,
        service_code="tags",
        name="Tags & <graffitis>",
        description='"quotes" & ]]> end',
    )
    response = client.get(f"{BASE}services.xml")
    root = ET.fromstring(response.content)
    names = [s.findtext("service_name") for s in root]
    assert "Tags & <graffitis>" in names
    assert b"<graffitis>" not in response.content
