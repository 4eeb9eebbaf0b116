"""A small Open311 client for the conformance tests: parses XML with xml.etree, JSON with json."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from django.test import Client

BASE = "/open311/v2/"
FORMATS = ("xml", "json")
PERSONAL_VALUES = ("resident@example.org", "Camille", "Martin", "0612345678", "device-123", "account-456")


def parse(response: Any, fmt: str) -> Any:
    """The document as Python data: XML elements become dicts (repeated children → lists)."""
    body = response.content
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(body)
    assert response["Content-Type"].startswith("text/xml")
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return element_to_data(ET.fromstring(body))


LIST_PARENTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def element_to_data(element: ET.Element) -> Any:
    child_name = LIST_PARENTS.get(element.tag)
    if child_name is not None:
        return [element_to_data(child) for child in element if child.tag == child_name]
    children = list(element)
    if not children:
        return element.text or ""
    return {child.tag: element_to_data(child) for child in children}


def get(client: Client, path: str, fmt: str, **params: Any) -> tuple[Any, Any]:
    response = client.get(f"{BASE}{path}.{fmt}", params)
    return response, parse(response, fmt)


def post(client: Client, fmt: str, data: dict[str, Any], **extra: Any) -> tuple[Any, Any]:
    response = client.post(f"{BASE}requests.{fmt}", data, **extra)
    return response, parse(response, fmt)


def as_text(value: Any) -> str:
    """JSON values compared with XML text: numbers and booleans as the XML writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
