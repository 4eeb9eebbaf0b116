"""Staff pages that record figures: one by hand, or a CSV upload (preview, then confirmation)."""

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
FIGURE = {"year": "2026", "month": "1", "value": "42,5", "note": ""}

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
    ("field", "value"), [("value", "beaucoup"), ("month", "13"), ("year", "1789"), ("value", "NaN")]
)
def test_bad_figure_is_refused_with_the_field_named(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], field: str, value: str
) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    response = client.post(URL, {**FIGURE, field: value})
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Measurement.objects.filter(indicator__code=CODE).exists()


@pytest.mark.parametrize(
    ("who", "status"), [("other_commune_agent", 403), ("elu", 403), ("other_organisation", 404)]
)
def test_no_write_right_is_told_another_tenant_is_404(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
    who: str,
    status: int,
) -> None:
    user = {
        "other_commune_agent": lambda: make_staff(
            organisation, Role.AGENT, Commune.objects.get(insee_code="99102")
        ),
        "elu": lambda: make_staff(organisation, Role.ELU),
        "other_organisation": lambda: make_staff(other_organisation, Role.ADMINISTRATEUR),
    }[who]()
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == status
    assert client.post(URL, FIGURE).status_code == status
    assert not Measurement.objects.exists()
    if status == 403:
        # Told why, in their language, naming their role: not a data error.
        text = page.content.decode()
        assert "Action non autorisée" in text
        assert ("Élu" in text) if who == "elu" else ("Bêta" in text or "99102" in text or "Alpha" in text)
        english = client.get("/en" + URL)
        assert english.status_code == 403
        assert '<html lang="en">' in english.content.decode()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("figures.csv", text.encode(), content_type="text/csv")


def _confirm(client: Client, response: Any) -> Any:
    pending = response.context["pending"]
    return client.post(f"/t/200000001/importer/{pending.public_id}/confirmer/")


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
    # A preview: nothing is written before the confirmation.
    assert not Measurement.objects.exists()
    assert _confirm(client, response).status_code == 302
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
    # Another tenant's commune reads as unknown: nothing tells that it exists.
    assert "périmètre inconnu « 99201 »" in response.content.decode()
    assert not Measurement.objects.exists()
