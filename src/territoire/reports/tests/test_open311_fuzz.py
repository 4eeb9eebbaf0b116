"""Outside input, generated: the intake and the Open311 parameters answer with errors, never crash."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoire.reports import services
from territoire.reports.models import Report
from territoire.reports.tests.conftest import Territory
from territoire.reports.tests.open311_client import BASE

pytestmark = [pytest.mark.django_db, pytest.mark.urls("territoire.reports.tests.urls_open311")]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(max_size=60)
number_like = st.one_of(text, st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers().map(str))


@FUZZ
@given(
    service_code=st.one_of(text, st.sampled_from(["voirie", "eclairage", "encombrants"])),
    lat=number_like,
    lon=number_like,
    description=st.text(max_size=300),
    email=text,
    media_url=text,
    taille=st.one_of(text, st.lists(text, max_size=3)),
)
def test_validate_submission_never_crashes(
    territory: Territory,
    service_code: str,
    lat: str,
    lon: str,
    description: str,
    email: str,
    media_url: str,
    taille: Any,
) -> None:
    data = {
        "service_code": service_code,
        "lat": lat,
        "long": lon,
        "description": description,
        "email": email,
        "media_url": media_url,
        "attribute": {"taille": taille},
    }
    errors: list[services.FieldError] = []
    status = 0
    try:
        clean = services.validate_submission(data, organisation=territory.organisation)
    except services.ReportError as exc:
        errors, status = exc.errors, exc.status
    else:
        assert -90 <= (clean.lat or 0) <= 90
        assert clean.category.service_code == service_code
        return
    assert errors
    assert status in (400, 403, 404)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "start_date",
                "end_date",
                "status",
                "page",
                "page_size",
                "service_code",
                "service_request_id",
                "jurisdiction_id",
            ]
        ),
        text,
    )
)
def test_listing_parameters_never_crash(client: Client, territory: Territory, params: dict[str, str]) -> None:
    response = client.get(f"{BASE}requests.json", params)
    assert response.status_code in (200, 400, 404)
    body = response.json()
    assert isinstance(body, list)
    if response.status_code != 200:
        assert {"code", "description"} == set(body[0])


@FUZZ
@given(raw=text)
def test_date_parameter(raw: str) -> None:
    field = ""
    try:
        value = services.parse_date_param(raw, "start_date")
    except services.ReportError as exc:
        field = exc.errors[0].field
    else:
        assert value.tzinfo is not None
        return
    assert field == "start_date"


def test_nothing_stored_by_the_fuzzing(territory: Territory) -> None:
    assert Report.objects.count() == 0


@pytest.mark.parametrize("raw", ["¹", "²5", "٣", "１"])
def test_a_digit_int_refuses_is_a_400_not_a_500(client: Client, territory: Territory, raw: str) -> None:
    """A superscript passes isdigit() and int() refuses it: found by the fuzzing above."""
    response = client.get(f"{BASE}requests.json", {"page_size": raw})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
