"""Staff pages that record figures: one by hand, or a CSV upload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from territoire.indicators.models import Measurement, MeasurementOrigin
from territoire.territory.models import Commune, Organisation, Role

CODE = "services.taux_usage"
URL = f"/t/99101/indicateurs/{CODE}/saisir/"
FIGURE = {"period_start": "2026-01-01", "period_end": "2026-01-31", "value": "42,5", "note": ""}

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client: Client, organisation: Organisation) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_agent_of_the_commune_records_then_corrects(
    client: Client, organisation: Organisation, commune: Commune, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(organisation, Role.AGENT, commune)
    client.force_login(user)
    assert client.get(URL).status_code == 200
    response = client.post(URL, FIGURE)
    assert response.status_code == 302
    first = Measurement.objects.get(indicator__code=CODE, scope__code="99101")
    assert str(first.value) == "42.500000"
    assert first.origin == MeasurementOrigin.MANUAL
    assert first.recorded_by == user
    client.post(URL, {**FIGURE, "value": "43"})
    rows = list(Measurement.objects.filter(indicator__code=CODE, scope__code="99101").order_by("version"))
    assert [(r.version, r.is_current) for r in rows] == [(1, False), (2, True)]
    page = client.get(f"/t/99101/indicateurs/{CODE}/").content.decode()
    assert "Correction enregistrée" in page


@pytest.mark.parametrize(
    ("field", "value"), [("value", "beaucoup"), ("period_end", "2025-12-01"), ("value", "NaN")]
)
def test_bad_figure_is_refused_with_the_field_named(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], field: str, value: str
) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    response = client.post(URL, {**FIGURE, field: value})
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Measurement.objects.filter(indicator__code=CODE).exists()


@pytest.mark.parametrize("who", ["other_commune_agent", "elu", "other_organisation"])
def test_no_write_right_answers_404(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
    who: str,
) -> None:
    user = {
        "other_commune_agent": lambda: make_staff(
            organisation, Role.AGENT, Commune.objects.get(insee_code="99102")
        ),
        "elu": lambda: make_staff(organisation, Role.ELU),
        "other_organisation": lambda: make_staff(other_organisation, Role.ADMINISTRATEUR),
    }[who]()
    client.force_login(user)
    assert client.get(URL).status_code == 404
    assert client.post(URL, FIGURE).status_code == 404
    assert not Measurement.objects.exists()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("figures.csv", text.encode(), content_type="text/csv")


def test_csv_upload_all_or_nothing(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    url = "/t/200000001/importer/"
    good = f"indicator,scope,period_start,period_end,value\n{CODE},99101,2026-01-01,2026-01-31,40\n"
    bad = good + f"{CODE},99999,2026-02-01,2026-02-28,x\n"
    response = client.post(url, {"file": _csv(bad)})
    assert response.status_code == 422
    content = response.content.decode()
    assert "99999" in content
    assert "scope" in content
    assert not Measurement.objects.exists()
    response = client.post(url, {"file": _csv(good)})
    assert response.status_code == 200
    assert Measurement.objects.get(scope__code="99101").origin == MeasurementOrigin.IMPORT
    # The organisation's figure follows from its communes' at once.
    assert Measurement.objects.get(scope__code="200000001").origin == MeasurementOrigin.AGGREGATED


def test_csv_upload_cannot_write_another_organisation(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    text = f"indicator,scope,period_start,period_end,value\n{CODE},99201,2026-01-01,2026-01-31,40\n"
    response = client.post("/t/200000001/importer/", {"file": _csv(text)})
    assert response.status_code == 422
    assert "unknown scope" in response.content.decode()
    assert not Measurement.objects.exists()
