"""Schemathesis against /api/v1/openapi.json, in process (WSGI): no 500, answers match the schema.

Bounded and reproducible: at most ``MAX_EXAMPLES`` generated requests per operation, derandomized
(a fixed seed derived from each test), so a failure found once is found every time.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from territoire.api.api import api
from territoire.indicators.models import Measurement
from territoire.indicators.services import record_figures, validate_rows

ON_POSTGRESQL = connection.vendor == "postgresql"
MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
PUBLIC_CODE = "connectivite.foyers_raccordables"
VALID_BATCH = {
    "measurements": [
        {
            "indicator": PUBLIC_CODE,
            "scope": "99101",
            "period_start": "2025-03-01",
            "period_end": "2025-03-31",
            "value": "72.5",
        }
    ]
}


_handlers: dict[tuple[str, ...], WSGIHandler] = {}


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
    """The project as a WSGI application, following the test's MIDDLEWARE setting."""
    middleware = tuple(django_settings.MIDDLEWARE)
    if middleware not in _handlers:
        _handlers[middleware] = WSGIHandler()
    # As Django's test client does: the test's database connection (and its transaction)
    # must survive the request, so the end-of-request clean-up is off while it runs.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = _handlers[middleware](environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded from the API object itself (the document /api/v1/openapi.json serves; test_openapi
# checks they are the same): collecting the tests must not touch a database.
# (``schemathesis.pytest.from_fixture`` would load it per test, but schemathesis 4.32 reads a
# private attribute that pytest 9 no longer has.)
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = wsgi_app


@pytest.fixture(autouse=True)
def api_data(organisation: Any, settings: Any) -> None:
    """The conftest organisation and a few figures."""
    # Generated requests come from one address: rate limits are tested on their own.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RateLimitMiddleware")]
    rows = [
        (
            n,
            {
                "indicator": PUBLIC_CODE,
                "scope": scope,
                "period_start": start,
                "period_end": end,
                "value": value,
            },
        )
        for n, (scope, start, end, value) in enumerate(
            [
                ("99101", "2025-01-01", "2025-01-31", "61.5"),
                ("99102", "2025-01-01", "2025-01-31", "40"),
                ("99101", "2025-02-01", "2025-02-28", "63"),
                ("99103", "2025-02-01", "2025-02-28", "12.25"),
            ],
            start=1,
        )
    ]
    clean, errors = validate_rows(rows)
    assert errors == []
    record_figures(clean, origin="import", provenance="test")


@pytest.fixture
def write_token(organisation: Any, make_token: Any) -> str:
    return str(make_token(organisation, write=True))


@schema.include(method="GET").parametrize()
@BOUNDED
def test_get_operations(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.include(method="POST", path="/api/v1/measurements").parametrize()
@BOUNDED
def test_post_measurements_without_token(case: Any) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code != 201, "a write without a token was accepted"


@schema.include(method="POST", path="/api/v1/measurements").parametrize()
@BOUNDED
def test_post_measurements_with_a_write_token(case: Any, write_token: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {write_token}"}
    response = case.call_and_validate(checks=CHECKS)
    allowed = {201, 401, 403, 422} if case.method.upper() == "POST" else {405}
    if response.status_code == 400:
        assert response.json()["detail"] == "Cannot parse request body"
    else:
        assert response.status_code in allowed


def test_a_valid_batch_is_stored_and_its_answer_matches_the_schema(write_token: str) -> None:
    operation = schema["/api/v1/measurements"]["POST"]
    case = operation.Case(body=VALID_BATCH, headers={"Authorization": f"Bearer {write_token}"})
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 201
    assert response.json() == {"created": 1, "corrected": 0, "unchanged": 0}
    stored = Measurement.objects.get(
        indicator__code=PUBLIC_CODE, scope__commune__insee_code="99101", period_start=date(2025, 3, 1)
    )
    assert stored.value == Decimal("72.5")


@pytest.mark.filterwarnings("error::django.core.cache.CacheKeyWarning")
def test_a_long_path_makes_a_valid_cache_key(client: Any) -> None:
    assert client.get("/api/v1/organisations/" + "x" * 300).status_code == 404


@pytest.mark.parametrize(
    "field",
    [
        "indicator",
        "scope",
        # A valid row with a NUL in its note: stored as is on SQLite, a 500 on PostgreSQL.
        "note",
    ],
)
def test_a_nul_character_is_refused_not_a_500(client: Any, write_token: str, field: str) -> None:
    item = {**VALID_BATCH["measurements"][0], field: "72\x00"}
    response = client.post(
        "/api/v1/measurements",
        data=json.dumps({"measurements": [item]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {write_token}"},
    )
    assert response.status_code == 422
    assert not Measurement.objects.filter(period_start=date(2025, 3, 1)).exists()
