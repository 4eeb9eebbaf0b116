"""The staff form that records one figure: the period by the indicator's frequency, the
unit and the last value shown, messages in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from territoire.indicators.models import IndicatorDefinition, Measurement, Periodicity
from territoire.indicators.tests.helpers import ALPHA, PUBLIC_CODE
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db

URL = f"/t/{ALPHA}/indicateurs/{PUBLIC_CODE}/saisir/"


@pytest.fixture
def agent(client: Client, organisation: Organisation, make_staff: Callable[..., Any]) -> Any:
    client.force_login(make_staff(organisation, Role.AGENT))


def stored() -> list[tuple[date, date, Decimal]]:
    return list(
        Measurement.objects.filter(indicator__code=PUBLIC_CODE, scope__code=ALPHA, is_current=True)
        .order_by("period_start")
        .values_list("period_start", "period_end", "value")
    )


def test_a_monthly_indicator_asks_for_a_month_shows_unit_and_last_value(client: Client, agent: None) -> None:
    page = client.get(URL)
    form = page.context["form"]
    assert set(form.fields) == {"year", "month", "value", "note"}
    text = page.content.decode()
    assert "Valeur (en %)" in text
    assert "aucune valeur enregistrée" in text
    assert ">Janvier<" in text
    response = client.post(URL, {"year": "2025", "month": "2", "value": "61,5"})
    assert response.status_code == 302
    assert stored() == [(date(2025, 2, 1), date(2025, 2, 28), Decimal("61.5"))]
    follow = client.get(response["Location"]).content.decode()
    assert "Valeur enregistrée pour février 2025." in follow
    again = client.get(URL).content.decode()
    assert "61,5 % pour février 2025" in again


def test_a_quarterly_indicator_asks_for_a_quarter(client: Client, agent: None) -> None:
    IndicatorDefinition.objects.filter(code=PUBLIC_CODE).update(periodicity=Periodicity.QUARTERLY)
    form = client.get(URL).context["form"]
    assert set(form.fields) == {"year", "quarter", "value", "note"}
    assert client.post(URL, {"year": "2025", "quarter": "2", "value": "12"}).status_code == 302
    assert stored() == [(date(2025, 4, 1), date(2025, 6, 30), Decimal("12"))]
    assert "12 % pour T2 2025" in client.get(URL).content.decode()


def test_a_yearly_indicator_asks_for_a_year(client: Client, agent: None) -> None:
    IndicatorDefinition.objects.filter(code=PUBLIC_CODE).update(periodicity=Periodicity.YEARLY)
    form = client.get(URL).context["form"]
    assert set(form.fields) == {"year", "value", "note"}
    assert client.post(URL, {"year": "2024", "value": "70"}).status_code == 302
    assert stored() == [(date(2024, 1, 1), date(2024, 12, 31), Decimal("70"))]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"value": "soixante"}, "value", "« soixante » n'est pas un nombre"),
        ({"value": "1e20"}, "value", "valeur hors limites"),
        ({"month": "13"}, "month", "Sélectionnez un choix valide"),
        ({"year": "3000"}, "year", "inférieure ou égale"),
    ],
)
def test_errors_are_in_french_on_the_field(
    client: Client, agent: None, data: dict[str, str], field: str, message: str
) -> None:
    response = client.post(URL, {"year": "2025", "month": "1", "value": "1", **data})
    assert response.status_code == 422
    assert any(message in error for error in response.context["form"].errors[field])
    assert not stored()


def test_the_english_page_speaks_english(client: Client, agent: None) -> None:
    page = client.get("/en" + URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert '<html lang="en">' in text
    assert ">January<" in text
