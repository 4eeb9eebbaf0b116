"""Open311 conformance: GET requests (every filter, defaults, paging), GET requests/{id},
and the personal-data rule: nothing personal ever appears in a GET."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from territoire.reports import open311, services
from territoire.reports.models import Report
from territoire.reports.tests.conftest import ALPHA_NORD, BETA, Territory
from territoire.reports.tests.open311_client import BASE, FORMATS, PERSONAL_VALUES, as_text, get

pytestmark = [pytest.mark.django_db, pytest.mark.urls("territoire.reports.tests.urls_open311")]

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
PERSONAL = {
    "email": PERSONAL_VALUES[0],
    "first_name": PERSONAL_VALUES[1],
    "last_name": PERSONAL_VALUES[2],
    "phone": PERSONAL_VALUES[3],
    "device_id": PERSONAL_VALUES[4],
    "account_id": PERSONAL_VALUES[5],
}


@pytest.fixture
def reports(territory: Territory, make_report: Callable[..., Report], make_staff: Any) -> dict[str, Report]:
    """Five reports: open/closed, two categories, two communes, one old, one hidden."""
    now = timezone.now()
    staff = make_staff(territory.organisation)
    made = {
        "recent": make_report(description="récent", **PERSONAL),
        "nord": make_report(ALPHA_NORD, requested_at=now - timedelta(days=10), **PERSONAL),
        "eclairage": make_report(
            BETA, service_code="eclairage", requested_at=now - timedelta(days=20), **PERSONAL
        ),
        "old": make_report(requested_at=now - timedelta(days=120), **PERSONAL),
        "hidden": make_report(requested_at=now - timedelta(days=5), **PERSONAL),
    }
    services.change_status(made["nord"], "resolu", actor=staff, answer="Rebouché le 3 mai.")
    services.hide_report(made["hidden"], "Propos injurieux", actor=staff)
    return made


def ids(doc: Any) -> set[str]:
    return {entry["service_request_id"] for entry in doc}


def sid(report: Report) -> str:
    return str(report.public_id)


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_listing(client: Client, reports: dict[str, Report], fmt: str) -> None:
    response, doc = get(client, "requests", fmt)
    assert response.status_code == 200
    # Last 90 days, newest first; hidden reports never listed.
    assert [e["service_request_id"] for e in doc] == [
        sid(reports[k]) for k in ("recent", "nord", "eclairage")
    ]
    nord = next(e for e in doc if e["service_request_id"] == sid(reports["nord"]))
    assert nord["status"] == "closed"
    assert nord["status_notes"] == "Rebouché le 3 mai."
    assert nord["service_code"] == "voirie"
    assert nord["service_name"] == "Nid-de-poule"
    assert nord["agency_responsible"] == "Voirie"
    assert as_text(nord["lat"]) == str(ALPHA_NORD[0])
    assert as_text(nord["long"]) == str(ALPHA_NORD[1])
    assert nord["requested_datetime"].endswith(("+01:00", "+02:00"))
    assert nord["updated_datetime"] >= nord["requested_datetime"]
    assert set(nord) == set(REQUEST_FIELDS)


def test_xml_element_order(client: Client, reports: dict[str, Report]) -> None:
    root = ET.fromstring(client.get(f"{BASE}requests.xml").content)
    assert root.tag == "service_requests"
    assert all(child.tag == "request" for child in root)
    assert [child.tag for child in root[0]] == REQUEST_FIELDS


def test_json_types(client: Client, reports: dict[str, Report]) -> None:
    _response, doc = get(client, "requests", "json")
    entry = doc[0]
    assert isinstance(entry["lat"], float)
    assert isinstance(entry["long"], float)
    assert entry["expected_datetime"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters(client: Client, reports: dict[str, Report], fmt: str) -> None:
    r = reports
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({"service_code": "eclairage"}, {sid(r["eclairage"])}),
        ({"service_code": "voirie,eclairage"}, {sid(r["recent"]), sid(r["nord"]), sid(r["eclairage"])}),
        ({"service_code": "inconnu"}, set()),
        ({"status": "open"}, {sid(r["recent"]), sid(r["eclairage"])}),
        ({"status": "closed"}, {sid(r["nord"])}),
        ({"status": "open,closed"}, {sid(r["recent"]), sid(r["nord"]), sid(r["eclairage"])}),
        ({"status": "closed", "service_code": "eclairage"}, set()),
        ({"start_date": _iso(days=15)}, {sid(r["recent"]), sid(r["nord"])}),
        ({"end_date": _iso(days=15)}, {sid(r["eclairage"])}),
        ({"start_date": _iso(days=200), "end_date": _iso(days=100)}, {sid(r["old"])}),
        ({"start_date": _iso(days=200)}, {sid(r["old"])}),  # start + 90 days
        (
            {"start_date": _iso(days=200), "end_date": _iso(days=-1)},
            {sid(r[k]) for k in ("recent", "nord", "eclairage", "old")},
        ),
        (
            {"start_date": (timezone.localdate() - timedelta(days=15)).isoformat()},
            {sid(r["recent"]), sid(r["nord"])},
        ),
    ]
    for params, expected in cases:
        response, doc = get(client, "requests", fmt, **params)
        assert response.status_code == 200, params
        assert ids(doc or []) == expected, params


def _iso(days: int) -> str:
    return (timezone.now() - timedelta(days=days)).isoformat(timespec="seconds")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_id_overrides_other_filters(
    client: Client, reports: dict[str, Report], fmt: str
) -> None:
    wanted = f"{sid(reports['old'])},{sid(reports['nord'])},pas-un-id,{sid(reports['hidden'])}"
    _response, doc = get(
        client, "requests", fmt, service_request_id=wanted, status="open", service_code="eclairage"
    )
    assert ids(doc) == {sid(reports["old"]), sid(reports["nord"])}


@pytest.mark.parametrize("fmt", FORMATS)
def test_paging(client: Client, reports: dict[str, Report], fmt: str) -> None:
    pages = [ids(get(client, "requests", fmt, page_size="2", page=str(p))[1] or []) for p in (1, 2, 3)]
    assert pages[0] == {sid(reports["recent"]), sid(reports["nord"])}
    assert pages[1] == {sid(reports["eclairage"])}
    assert pages[2] == set()


def test_at_most_1000_by_default(client: Client, reports: dict[str, Report], monkeypatch: Any) -> None:
    monkeypatch.setattr(open311.views, "MAX_RESULTS", 2)
    _response, doc = get(client, "requests", "json")
    assert len(doc) == 2
    _response, doc = get(client, "requests", "json", page_size="50")
    assert len(doc) == 2


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "28/11/2026"},
        {"end_date": "hier"},
        {"start_date": "2026-13-45"},
        {"start_date": _iso(days=1), "end_date": _iso(days=10)},
        {"status": "ouvert"},
        {"page": "0"},
        {"page_size": "-5"},
        {"page_size": "beaucoup"},
    ],
)
def test_bad_parameters_are_400(
    client: Client, reports: dict[str, Report], fmt: str, params: dict[str, str]
) -> None:
    response, doc = get(client, "requests", fmt, **params)
    assert response.status_code == 400
    assert str(doc[0]["code"]) == "400"
    assert next(iter(params)) in doc[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_filters_the_commune(
    client: Client, reports: dict[str, Report], other_organisation: Any, fmt: str
) -> None:
    response, _doc = get(client, "requests", fmt)
    assert response.status_code == 400  # two organisations: say which
    _response, doc = get(client, "requests", fmt, jurisdiction_id="99102")
    assert ids(doc) == {sid(reports["eclairage"])}
    _response, doc = get(client, "requests", fmt, jurisdiction_id="200000001")
    assert len(doc) == 3
    _response, doc = get(client, "requests", fmt, jurisdiction_id="99201")
    assert doc in ([], "")
    response, _doc = get(client, f"requests/{sid(reports['recent'])}", fmt, jurisdiction_id="99201")
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_single_request(client: Client, reports: dict[str, Report], fmt: str) -> None:
    response, doc = get(client, f"requests/{sid(reports['old'])}", fmt)
    assert response.status_code == 200
    assert len(doc) == 1
    assert doc[0]["service_request_id"] == sid(reports["old"])
    for missing in (sid(reports["hidden"]), "00000000-0000-0000-0000-000000000000", "12345"):
        response, doc = get(client, f"requests/{missing}", fmt)
        assert response.status_code == 404
        assert str(doc[0]["code"]) == "404"
        assert "service_request_id" in doc[0]["description"]


def test_duplicate_shows_closed_with_its_answer(
    client: Client, reports: dict[str, Report], make_staff: Any
) -> None:
    staff = make_staff(reports["recent"].organisation)
    services.merge_duplicate(reports["eclairage"], reports["recent"], actor=staff)
    _response, doc = get(client, f"requests/{sid(reports['eclairage'])}", "json")
    assert doc[0]["status"] == "closed"
    assert sid(reports["recent"]) in doc[0]["status_notes"]


def test_no_personal_data_in_any_get(client: Client, reports: dict[str, Report]) -> None:
    paths = [
        "discovery",
        "services",
        "services/voirie",
        "requests",
        f"requests/{sid(reports['recent'])}",
        f"requests/{sid(reports['old'])}",
    ]
    for fmt in FORMATS:
        for path in paths:
            for params in ({}, {"service_request_id": ",".join(sid(r) for r in reports.values())}):
                body = client.get(f"{BASE}{path}.{fmt}", params).content.decode()
                for value in PERSONAL_VALUES:
                    assert value not in body, (path, fmt, value)
                for key in PERSONAL:
                    assert f'"{key}"' not in body
                    assert f"<{key}>" not in body


def test_listing_query_count_is_bounded(
    client: Client,
    reports: dict[str, Report],
    make_report: Callable[..., Report],
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(10):
        make_report()
    # The jurisdiction, categories of the codes, a page of ids, its rows, their photos.
    with django_assert_max_num_queries(5):
        response = client.get(f"{BASE}requests.json", {"status": "open", "service_code": "voirie"})
    assert response.status_code == 200
    assert len(response.json()) == 11


def test_unknown_endpoint_and_format(client: Client, reports: dict[str, Report]) -> None:
    for path in ("requests.csv", "inconnu.json", "services/voirie.html", "requests"):
        response = client.get(f"{BASE}{path}")
        assert response.status_code == 404
        if path.endswith(".json"):
            assert response.json()[0]["code"] == 404
        else:
            assert ET.fromstring(response.content).tag == "errors"


def test_wrong_method(client: Client, reports: dict[str, Report]) -> None:
    assert client.put(f"{BASE}requests.json").status_code == 405
    assert client.post(f"{BASE}services.json").status_code == 405
    assert client.delete(f"{BASE}requests/{sid(reports['recent'])}.json").status_code == 405


def test_xml_stays_well_formed_whatever_the_stored_text(client: Client, reports: dict[str, Report]) -> None:
    # Text that did not come through the intake's checks (an import, an old record).
    Report.objects.filter(pk=reports["recent"].pk).update(
        description="bip\x07 & <b>]]></b> \"q\" 'a' é ☃", address_string="\x01rue"
    )
    _response, doc = get(client, f"requests/{sid(reports['recent'])}", "xml")
    assert doc[0]["description"] == "bip & <b>]]></b> \"q\" 'a' é ☃"
    assert doc[0]["address"] == "rue"
    _response, doc = get(client, f"requests/{sid(reports['recent'])}", "json")
    assert doc[0]["description"].startswith("bip\x07")
