"""The indicator endpoints of /api/v1/: definitions, measurements (read and write)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.indicators.models import (
    Aggregate,
    Direction,
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
    Visibility,
)
from territoire.indicators.services import sync_registry
from territoire.indicators.tests.helpers import (
    ALPHA,
    BETA,
    DELTA,
    INTERNAL_CODE,
    ORG,
    OTHER_ORG,
    PUBLIC_CODE,
    monthly,
)
from territoire.territory.models import Commune, Organisation, Scope

API = "/api/v1"
Record = Callable[..., Any]
ScopeOf = Callable[[str], Scope]
MakeToken = Callable[..., str]
START = date(2024, 1, 1)


def get(client: Client, path: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.get(f"{API}{path}", **headers)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()


def post(client: Client, payload: Any, token: str | None = None, **headers: str) -> tuple[int, Any]:
    if token is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {token}")
    response = client.post(
        f"{API}/measurements",
        data=payload if isinstance(payload, str) else json.dumps(payload),
        content_type="application/json",
        **headers,
    )
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()


def item(**changes: Any) -> dict[str, Any]:
    base = {
        "indicator": PUBLIC_CODE,
        "scope": ALPHA,
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "value": "61,5",
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


@pytest.fixture
def figures(
    public_indicator: IndicatorDefinition,
    internal_indicator: IndicatorDefinition,
    other_organisation: Organisation,
    scope_of: ScopeOf,
    record: Record,
) -> None:
    """Public: Alpha and Bêta, Jan–Jun 2024 (Alpha's March corrected). Internal: the
    organisation and Alpha, Jan–Mar 2024. The other organisation: Delta, public, Jan–Mar."""
    record(public_indicator, scope_of(ALPHA), monthly(START, [10, 11, 12, 13, 14, 15]))
    record(public_indicator, scope_of(ALPHA), {date(2024, 3, 1): "12.5"})
    record(public_indicator, scope_of(BETA), monthly(START, [20, 21, 22, 23, 24, 25]))
    record(internal_indicator, scope_of(ORG), monthly(START, [3, 2, 1]))
    record(internal_indicator, scope_of(ALPHA), monthly(START, [1, 0, 1]))
    record(public_indicator, scope_of(DELTA), monthly(START, [30, 31, 32]))


# --- Indicator definitions ---------------------------------------------------------------


def test_list_indicators(client: Client, public_indicator: IndicatorDefinition) -> None:
    status, body = get(client, "/indicators")
    assert status == 200
    codes = [d["code"] for d in body]
    assert codes == sorted(codes)
    assert PUBLIC_CODE in codes
    assert INTERNAL_CODE not in codes
    entry = next(d for d in body if d["code"] == PUBLIC_CODE)
    assert entry["method"] == public_indicator.method
    assert entry["direction"] == "higher"
    assert entry["aggregate"] == Aggregate.POPULATION_WEIGHTED_MEAN
    assert entry["visibility"] == "public"


def test_get_indicator(client: Client, public_indicator: IndicatorDefinition) -> None:
    status, body = get(client, f"/indicators/{PUBLIC_CODE}")
    assert status == 200
    assert body["code"] == PUBLIC_CODE
    assert body["name"] == public_indicator.name
    status, body = get(client, "/indicators/nope.unknown")
    assert status == 404
    assert body["detail"]


def test_internal_indicators_need_a_token(
    client: Client, internal_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    assert get(client, f"/indicators/{INTERNAL_CODE}")[0] == 404
    token = make_token(Organisation.objects.get(siren=ORG), write=False)
    assert get(client, f"/indicators/{INTERNAL_CODE}", token)[0] == 200
    assert INTERNAL_CODE in [d["code"] for d in get(client, "/indicators", token)[1]]


def test_an_organisations_own_internal_indicator_is_hidden_from_other_organisations(
    client: Client, organisation: Organisation, other_organisation: Organisation, make_token: MakeToken
) -> None:
    IndicatorDefinition.objects.create(
        code="essais.interne",
        name="Indicateur propre",
        unit="u",
        direction=Direction.HIGHER_IS_BETTER,
        method="m",
        visibility=Visibility.INTERNAL,
        organisation=organisation,
    )
    own = make_token(organisation, write=False)
    other = make_token(other_organisation, write=False)
    assert get(client, "/indicators/essais.interne", own)[0] == 200
    assert "essais.interne" in [d["code"] for d in get(client, "/indicators", own)[1]]
    assert get(client, "/indicators/essais.interne", other)[0] == 404
    assert "essais.interne" not in [d["code"] for d in get(client, "/indicators", other)[1]]
    assert get(client, "/indicators/essais.interne")[0] == 404
    assert "essais.interne" not in [d["code"] for d in get(client, "/indicators")[1]]


def test_list_indicators_of_an_organisation(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    IndicatorDefinition.objects.create(
        code="voisine.public",
        name="Public de la voisine",
        unit="u",
        direction=Direction.HIGHER_IS_BETTER,
        method="m",
        organisation=other_organisation,
    )
    codes = [d["code"] for d in get(client, f"/indicators?organisation={ORG}")[1]]
    assert PUBLIC_CODE in codes
    assert "voisine.public" not in codes
    assert "voisine.public" in [d["code"] for d in get(client, f"/indicators?organisation={OTHER_ORG}")[1]]
    assert get(client, "/indicators?organisation=999999999")[0] == 404


def test_a_public_indicator_of_an_organisation_is_public(
    client: Client, organisation: Organisation, other_organisation: Organisation, make_token: MakeToken
) -> None:
    # Regression: the list showed it to everyone but the detail answered 404 to anonymous
    # readers, and a token of another organisation hid it although its page is public.
    IndicatorDefinition.objects.create(
        code="voisine.public",
        name="Public de la voisine",
        unit="u",
        direction=Direction.HIGHER_IS_BETTER,
        method="m",
        organisation=other_organisation,
    )
    token = make_token(organisation, write=False)
    for reader in (None, token):
        assert get(client, "/indicators/voisine.public", reader)[0] == 200
        assert "voisine.public" in [d["code"] for d in get(client, "/indicators", reader)[1]]


# --- Reading measurements -----------------------------------------------------------------


def keys(body: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(m["indicator"], m["scope"], m["period_start"], m["version"]) for m in body["results"]]


def test_list_measurements_public(client: Client, figures: None) -> None:
    status, body = get(client, "/measurements")
    assert status == 200
    # Current public figures of every organisation: 6 + 6 + 3.
    assert body["count"] == 15
    assert body["next_page"] is None
    assert {m["indicator"] for m in body["results"]} == {PUBLIC_CODE}
    first = body["results"][0]
    assert first == {
        "indicator": PUBLIC_CODE,
        "scope": ALPHA,
        "period_start": "2024-01-01",
        "period_end": "2024-01-31",
        "value": first["value"],
        "version": 1,
        "is_current": True,
        "origin": MeasurementOrigin.MANUAL,
        "provenance": "test",
        "recorded_at": first["recorded_at"],
    }
    assert Decimal(str(first["value"])) == 10


FILTERS: list[tuple[str, int]] = [
    (f"scope={ALPHA}", 6),
    (f"scope={DELTA}", 3),
    (f"organisation={ORG}", 12),
    (f"organisation={OTHER_ORG}", 3),
    (f"indicator={PUBLIC_CODE}&scope={BETA}", 6),
    (f"indicator={INTERNAL_CODE}", 0),
    ("indicator=nope.unknown", 0),
    ("scope=99999", 0),
    ("period_from=2024-04-01", 6),  # Apr–Jun for Alpha and Bêta (periods ending on or after)
    ("period_from=2024-03-15", 9),  # March ends on the 31st: in, Delta's March too
    ("period_to=2024-01-31", 3),  # January for Alpha, Bêta, Delta
    ("period_from=2024-02-01&period_to=2024-03-31", 6),
    (f"scope={ALPHA}&include_superseded=true", 7),
    (f"scope={ALPHA}&include_superseded=false", 6),
]


def test_measurement_filters(client: Client, figures: None) -> None:
    for query, expected in FILTERS:
        status, body = get(client, f"/measurements?{query}")
        assert status == 200, (query, body)
        assert (body["count"], len(body["results"])) == (expected, expected), query


def test_superseded_versions_on_request(client: Client, figures: None) -> None:
    _, body = get(client, f"/measurements?scope={ALPHA}&period_from=2024-03-01&period_to=2024-03-31")
    assert [(m["version"], m["is_current"]) for m in body["results"]] == [(2, True)]
    _, body = get(
        client,
        f"/measurements?scope={ALPHA}&period_from=2024-03-01&period_to=2024-03-31&include_superseded=1",
    )
    assert [(m["version"], m["is_current"], Decimal(str(m["value"]))) for m in body["results"]] == [
        (1, False, Decimal(12)),
        (2, True, Decimal("12.5")),
    ]


def test_pagination(client: Client, figures: None) -> None:
    _, first = get(client, "/measurements?page_size=4")
    assert (first["count"], first["page"], first["page_size"], first["next_page"]) == (15, 1, 4, 2)
    pages = [first]
    while pages[-1]["next_page"] is not None:
        pages.append(get(client, f"/measurements?page_size=4&page={pages[-1]['next_page']}")[1])
    assert [len(p["results"]) for p in pages] == [4, 4, 4, 3]
    everything = [k for p in pages for k in keys(p)]
    assert everything == keys(get(client, "/measurements?page_size=500")[1])
    assert len(set(everything)) == 15
    # Past the end: an empty page, not an error.
    _, beyond = get(client, "/measurements?page_size=4&page=9")
    assert (beyond["results"], beyond["next_page"]) == ([], None)


BAD_QUERIES: list[tuple[str, str]] = [
    ("page_size=501", "page_size"),
    ("page_size=0", "page_size"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("page_size=ten", "page_size"),
    ("period_from=notadate", "period_from"),
    ("period_to=2024-02-30", "period_to"),
    ("include_superseded=maybe", "include_superseded"),
]


def test_bad_query_parameters_are_422_naming_the_field(client: Client, figures: None) -> None:
    for query, field in BAD_QUERIES:
        status, body = get(client, f"/measurements?{query}")
        assert status == 422, query
        assert field in body["detail"] or field in fields(body), (query, body)


def test_unknown_organisation_is_404(client: Client, figures: None) -> None:
    status, body = get(client, "/measurements?organisation=999999999")
    assert status == 404
    assert "detail" in body


def test_internal_figures_are_visible_with_a_token_of_their_organisation(
    client: Client, figures: None, make_token: MakeToken
) -> None:
    query = f"/measurements?indicator={INTERNAL_CODE}"
    assert get(client, query)[1]["count"] == 0
    own = make_token(Organisation.objects.get(siren=ORG), write=False)
    _, body = get(client, query, own)
    assert body["count"] == 6
    assert {m["scope"] for m in body["results"]} == {ORG, ALPHA}
    # A token of another organisation sees only the public figures.
    other = make_token(Organisation.objects.get(siren=OTHER_ORG), write=False)
    assert get(client, query, other)[1]["count"] == 0
    assert get(client, "/measurements", other)[1]["count"] == 15


def test_a_commune_token_sees_the_internal_figures_of_its_commune_only(
    client: Client, figures: None, make_token: MakeToken
) -> None:
    organisation = Organisation.objects.get(siren=ORG)
    token = make_token(organisation, write=False, commune=Commune.objects.get(insee_code=ALPHA))
    _, body = get(client, f"/measurements?indicator={INTERNAL_CODE}", token)
    assert {m["scope"] for m in body["results"]} == {ALPHA}
    token = make_token(organisation, write=False, commune=Commune.objects.get(insee_code=BETA))
    assert get(client, f"/measurements?indicator={INTERNAL_CODE}", token)[1]["count"] == 0


def test_a_bad_token_on_a_read_is_401(client: Client, figures: None, make_token: MakeToken) -> None:
    revoked = make_token(Organisation.objects.get(siren=ORG))
    ApiToken.objects.filter(key_prefix=revoked[:12]).update(revoked_at=timezone.now())
    headers = ["Bearer trt_wrong", "Basic dXNlcjpwYXNz", "Bearer", "trt_nobearer", f"Bearer {revoked}"]
    for header in headers:
        for path in ("/measurements", "/indicators", f"/indicators/{PUBLIC_CODE}"):
            response = client.get(f"{API}{path}", HTTP_AUTHORIZATION=header)
            assert response.status_code == 401, (path, header)
            assert response.json()["detail"]


def _count_queries(client: Client, url: str, token: str | None = None) -> int:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, **headers).status_code == 200
    return len(context.captured_queries)


def test_measurement_list_query_count_is_constant(
    client: Client, figures: None, make_token: MakeToken, scope_of: ScopeOf, record: Record
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG), write=False)
    get(client, "/measurements", token)  # the token's last use is recorded once a minute
    small = [_count_queries(client, f"{API}/measurements?page_size={n}", token) for n in (1, 5)]
    anonymous = [_count_queries(client, f"{API}/measurements?page_size={n}") for n in (1, 5)]
    # More indicators, scopes and figures.
    for k in range(5):
        definition = IndicatorDefinition.objects.create(
            code=f"test.extra_{k}",
            name=f"Extra {k}",
            unit="u",
            direction=Direction.LOWER_IS_BETTER,
            method="m",
        )
        for code in (ALPHA, BETA, ORG):
            record(definition, scope_of(code), monthly(START, list(range(12))))
    large = [_count_queries(client, f"{API}/measurements?page_size={n}", token) for n in (100, 500)]
    assert len(set(small + large)) == 1, (small, large)
    assert len({*anonymous, _count_queries(client, f"{API}/measurements?page_size=500")}) == 1
    assert small[0] <= 4
    indicators = [
        _count_queries(client, f"{API}/indicators", token),
        _count_queries(client, f"{API}/indicators"),
    ]
    assert max(indicators) <= 3


# --- Writing measurements -------------------------------------------------------------------


def test_post_measurements(
    client: Client, public_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG))
    payload = {
        "measurements": [
            item(),
            item(scope=BETA, value=40),
            item(scope=ORG, value=12.25, note="relevé automatique"),
        ]
    }
    status, body = post(client, payload, token)
    assert status == 201, body
    assert body == {"created": 3, "corrected": 0, "unchanged": 0}
    alpha = Measurement.objects.get(scope__code=ALPHA)
    assert alpha.value == Decimal("61.5")
    assert (alpha.origin, alpha.provenance) == (MeasurementOrigin.API, "api:test")
    org = Measurement.objects.get(scope__code=ORG)
    assert (org.value, org.note) == (Decimal("12.25"), "relevé automatique")
    # Same figures again: unchanged; a different one: a correction.
    assert post(client, payload, token) == (201, {"created": 0, "corrected": 0, "unchanged": 3})
    status, body = post(client, {"measurements": [item(value="62")]}, token)
    assert (status, body) == (201, {"created": 0, "corrected": 1, "unchanged": 0})
    assert [
        (m.version, m.is_current) for m in Measurement.objects.filter(scope__code=ALPHA).order_by("version")
    ] == [(1, False), (2, True)]


def test_a_commune_token_writes_for_its_commune(
    client: Client, public_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG), commune=Commune.objects.get(insee_code=ALPHA))
    assert post(client, {"measurements": [item()]}, token)[0] == 201
    for scope in (BETA, ORG):
        status, body = post(client, {"measurements": [item(scope=scope, period_start="2025-02-01")]}, token)
        assert status == 422
        # The API answers in English once the catalogue has it; the code is named either way.
        assert body["errors"][0]["field"] == "measurements.0.scope"
        assert scope in body["errors"][0]["message"]


def test_writing_needs_a_valid_token(
    client: Client, public_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    organisation = Organisation.objects.get(siren=ORG)
    payload = {"measurements": [item()]}
    expired = make_token(organisation, expires_at=timezone.now() - timedelta(minutes=1))
    revoked = make_token(organisation)
    ApiToken.objects.filter(key_prefix=revoked[:12]).update(revoked_at=timezone.now())
    for token in (None, "trt_not_a_token", expired, revoked):
        status, body = post(client, payload, token)
        assert status == 401, token
        assert body["detail"]
    assert post(client, payload, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")[0] == 401
    assert not Measurement.objects.exists()


def test_a_read_only_token_cannot_write(
    client: Client, public_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG), write=False)
    status, body = post(client, {"measurements": [item()]}, token)
    assert status == 403
    assert "read-only" in body["detail"]
    assert not Measurement.objects.exists()


BAD_ITEMS: list[tuple[dict[str, Any], str, str]] = [
    # The messages' words depend on the English catalogue: the fragments checked are the
    # values they quote.
    (item(scope="99999"), "measurements.1.scope", "99999"),
    (item(scope=DELTA), "measurements.1.scope", DELTA),
    (item(scope=OTHER_ORG), "measurements.1.scope", OTHER_ORG),
    (item(indicator="nope.unknown"), "measurements.1.indicator", "nope.unknown"),
    (item(value="beaucoup"), "measurements.1.value", "beaucoup"),
    (item(value=""), "measurements.1.value", ""),
    (item(value="NaN"), "measurements.1.value", ""),
    (item(value="-Infinity"), "measurements.1.value", ""),
    (item(value=[1]), "measurements.1.value", ""),
    (item(value=True), "measurements.1.value", ""),
    (item(value=12.5, period_start="2025-02-01", period_end="2025-01-31"), "measurements.1.period_end", ""),
    (item(period_end="2024-12-31"), "measurements.1.period_end", ""),
    (item(period_start="2025/01/01"), "measurements.1.period_start", "2025/01/01"),
    (item(period_end="2025-01-15"), "measurements.1.period_end", PUBLIC_CODE),
    (item(value=None), "measurements.1.value", ""),
    (item(scope=None), "measurements.1.scope", ""),
    (item(indicator=None), "measurements.1.indicator", ""),
    (item(period_start="2025-01-01T00:00:00"), "measurements.1.period_start", ""),
    (item(note="x" * 501), "measurements.1.note", ""),
    (item(), "measurements.1.indicator", "measurements.0"),
]


def test_bad_items_are_422_naming_the_field_and_nothing_is_stored(
    client: Client,
    public_indicator: IndicatorDefinition,
    other_organisation: Organisation,
    make_token: MakeToken,
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG))
    for bad, field, message in BAD_ITEMS:
        # A good item first, then the bad one: all or nothing.
        status, body = post(client, {"measurements": [item(), bad]}, token)
        assert status == 422, (bad, body)
        assert field in fields(body), (bad, body)
        error = next(e for e in body["errors"] if e["field"] == field)
        assert message in error["message"], (bad, error)
        assert not Measurement.objects.exists(), bad


def test_another_organisations_scope_reads_as_unknown(
    client: Client,
    public_indicator: IndicatorDefinition,
    other_organisation: Organisation,
    make_token: MakeToken,
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG))
    unknown = post(client, {"measurements": [item(scope="99999")]}, token)[1]
    foreign = post(client, {"measurements": [item(scope=DELTA)]}, token)[1]
    # Same answer as for a scope that does not exist: nothing tells that Delta exists.
    assert foreign["errors"][0]["message"] == unknown["errors"][0]["message"].replace("99999", DELTA)
    assert "Delta" not in json.dumps(foreign)


def test_every_bad_item_is_reported(
    client: Client, public_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG))
    payload = {
        "measurements": [
            item(),
            item(scope="00000"),
            item(period_start="2025-02-01", period_end="2025-02-28", value="x"),
            item(period_start="2025-03-01", period_end="2025-02-01"),
        ]
    }
    status, body = post(client, payload, token)
    assert status == 422
    assert fields(body) == ["measurements.1.scope", "measurements.2.value", "measurements.3.period_end"]
    assert "3 error(s)" in body["detail"]
    assert not Measurement.objects.exists()


def test_a_computed_indicator_cannot_be_written(
    client: Client, organisation: Organisation, make_token: MakeToken
) -> None:
    sync_registry()
    token = make_token(organisation)
    status, body = post(
        client, {"measurements": [item(indicator="roadmap.portfolio_progress", scope=ORG)]}, token
    )
    assert status == 422
    assert fields(body) == ["measurements.0.indicator"]
    assert "roadmap" in body["errors"][0]["message"]  # the module that computes it


# (body, field named in the error, status): a body that is not JSON is 400, JSON of the
# wrong shape is 422.
MALFORMED: list[tuple[Any, str, int]] = [
    ({"measurements": []}, "measurements", 422),  # empty list
    ({}, "measurements", 422),  # no list
    ({"measurements": "nope"}, "measurements", 422),  # not a list
    ({"measurements": [None]}, "measurements.0", 422),  # not an object
    ("not json", "", 400),
    ("[1, 2]", "", 422),
]


def test_malformed_bodies_are_422_or_400(
    client: Client, organisation: Organisation, make_token: MakeToken
) -> None:
    token = make_token(organisation)
    for payload, field, expected in MALFORMED:
        status, body = post(client, payload, token)
        assert status == expected, (payload, body)
        assert body["detail"], payload
        if field:
            assert any(f.startswith(field) for f in fields(body)), (payload, body)


def test_too_many_items_are_refused(
    client: Client, public_indicator: IndicatorDefinition, make_token: MakeToken
) -> None:
    token = make_token(Organisation.objects.get(siren=ORG))
    status, body = post(client, {"measurements": [item()] * 5001}, token)
    assert status == 422
    assert "measurements" in fields(body)


def test_openapi_documents_the_write(client: Client, db: Any) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()["components"]["schemas"]["MeasurementIn"]
    assert schema["properties"]["value"]["anyOf"] == [{"type": "number"}, {"type": "string"}]
    assert set(schema["required"]) == {"indicator", "scope", "period_start", "period_end", "value"}
