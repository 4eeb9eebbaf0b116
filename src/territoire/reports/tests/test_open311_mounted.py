"""The Open311 server as the site mounts it (the real URL configuration and middleware)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from territoire.reports.models import Report
from territoire.reports.tests.conftest import ALPHA_SUD, Territory

pytestmark = pytest.mark.django_db


def test_mounted_at_open311_v2(client: Client, territory: Territory) -> None:
    assert json.loads(client.get("/open311/v2/discovery.json").content)["endpoints"][0]["url"].endswith(
        "/open311/v2"
    )
    root = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert root.tag == "services"
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": territory.raw_key,
            "service_code": "voirie",
            "lat": str(ALPHA_SUD[0]),
            "long": str(ALPHA_SUD[1]),
            "attribute[taille]": "petit",
        },
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert response.json()[0]["service_request_id"] == str(report.public_id)
    # Not under the localised part of the site: no /en/ copy.
    assert client.get("/en/open311/v2/discovery.json").status_code == 404
