"""The OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

EXPECTED_GETS = [
    "/api/v1/organisations",
    "/api/v1/organisations/{siren}",
    "/api/v1/communes",
    "/api/v1/communes/{insee_code}",
    "/api/v1/zones",
    "/api/v1/organisations/{siren}/axes",
    "/api/v1/organisations/{siren}/objectives",
    "/api/v1/organisations/{siren}/projects",
    "/api/v1/indicators",
    "/api/v1/indicators/{code}",
    "/api/v1/measurements",
]


@pytest.fixture(scope="module")
def document(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    doc: dict[str, Any] = json.loads(response.content)
    return doc


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def test_document_header(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Territoire API"
    assert document["info"]["version"]
    assert document["info"]["license"]["name"] == "AGPL-3.0-or-later"


def test_every_endpoint_is_listed(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in EXPECTED_GETS:
        assert "get" in paths.get(path, {}), path
    assert "post" in paths["/api/v1/measurements"]
    assert "/api/v1/" not in paths  # the root is not part of the contract


def test_every_operation_is_well_formed(document: dict[str, Any]) -> None:
    operation_ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert method in {"get", "post", "put", "patch", "delete"}, (path, method)
            operation_ids.append(operation["operationId"])
            assert operation["responses"], (path, method)
            for status in operation["responses"]:
                assert status.isdigit(), (path, method, status)
            # Every path parameter in the template is declared, and the other way round.
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            in_template = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            assert declared == in_template, (path, method)
    assert len(operation_ids) == len(set(operation_ids)), "operationId must be unique"


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(document, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


def test_errors_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    communes = paths["/api/v1/communes"]["get"]["responses"]
    assert {"200", "401", "422"} <= set(communes)
    error = resolve(document, communes["422"]["content"]["application/json"]["schema"])
    assert {"detail", "errors"} <= set(error["properties"])
    assert "404" in paths["/api/v1/organisations/{siren}"]["get"]["responses"]
    assert {"401", "403", "422"} <= set(paths["/api/v1/measurements"]["post"]["responses"])


def test_pagination_and_filters_are_documented(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/organisations/{siren}/projects"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"siren", "status", "axis", "page", "page_size"} <= names
    page = resolve(document, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"count", "page", "page_size", "next_page", "results"} <= set(page["properties"])
    project = resolve(document, page["properties"]["results"]["items"])
    assert "product_owner" not in project["properties"]
    status = next(p for p in operation["parameters"] if p["name"] == "status")
    choices = [resolve(document, option) for option in status["schema"]["anyOf"]]
    assert any("cancelled" in choice.get("enum", []) for choice in choices)


def test_writes_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"]
    assert bearer
    security = document["paths"]["/api/v1/measurements"]["post"]["security"]
    assert any(name in entry for entry in security for name in bearer)


@pytest.mark.skipif(
    importlib.util.find_spec("openapi_spec_validator") is None,
    reason="openapi-spec-validator is not installed (the structural checks above still run)",
)
def test_document_validates_against_the_openapi_schema(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)


def test_docs_page_makes_no_third_party_request(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"https://" not in response.content
    assert b"http://" not in response.content
