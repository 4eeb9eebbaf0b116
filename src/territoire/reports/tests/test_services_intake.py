"""Intake: validation at the edge, zone by point-in-polygon, nothing stored on error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from territoire.core.models import AuditEvent
from territoire.reports import services
from territoire.reports.models import EventKind, QueuedRequest, Report, ReportEvent
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, BETA, OUTSIDE, Territory

pytestmark = pytest.mark.django_db


def submit(territory: Territory, **data: Any) -> Report:
    base: dict[str, Any] = {
        "service_code": "voirie",
        "lat": str(ALPHA_SUD[0]),
        "long": str(ALPHA_SUD[1]),
        "attribute": {"taille": "grand"},
    }
    base.update(data)
    return services.submit_report(base, organisation=territory.organisation)


def errors_of(territory: Territory, **data: Any) -> dict[str, list[str]]:
    with pytest.raises(services.ReportError) as caught:
        submit(territory, **data)
    assert Report.objects.count() == 0
    return caught.value.by_field()


def test_report_gets_commune_zone_status_and_due_date(territory: Territory) -> None:
    report = submit(territory, description="<b>Trou</b>", email="a@example.org")
    assert report.commune == territory.alpha
    assert report.zone is not None
    assert report.zone.name == "Sud"
    assert report.status.code == "nouveau"
    assert report.is_open
    assert report.due_at == report.requested_at + timedelta(days=7)
    assert report.description == "<b>Trou</b>"  # stored as given, escaped when rendered
    assert report.attributes == {"taille": "grand"}
    assert report.zipcode == "10000"
    assert ReportEvent.objects.filter(report=report, kind=EventKind.SUBMITTED).count() == 1
    assert AuditEvent.objects.filter(action="reports.submitted", object_id=str(report.pk)).exists()


def test_zone_by_point_in_polygon(territory: Territory) -> None:
    assert submit(territory, lat=str(ALPHA_NORD[0]), long=str(ALPHA_NORD[1])).zone.name == "Nord"  # type: ignore[union-attr]
    beta = submit(territory, lat=str(BETA[0]), long=str(BETA[1]))
    assert beta.commune == territory.beta
    assert beta.zone is not None
    assert beta.zone.name == "Bourg"


def test_outside_the_territory_is_refused(territory: Territory) -> None:
    errors = errors_of(territory, lat=str(OUTSIDE[0]), long=str(OUTSIDE[1]))
    assert "en dehors du territoire" in errors["lat"][0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service_code": "inconnu"}, "service_code"),
        ({"service_code": ""}, "service_code"),
        ({"lat": "", "long": ""}, "lat"),
        ({"lat": "91", "long": "2"}, "lat"),
        ({"lat": "47", "long": "181"}, "long"),
        ({"lat": "abc"}, "lat"),
        ({"lat": "nan"}, "lat"),
        ({"long": ""}, "long"),
        ({"description": "x" * 4001}, "description"),
        ({"description": "nul\x00"}, "description"),
        ({"description": "tab\x0bvertical"}, "description"),
        ({"description": "unit\x1fseparator"}, "description"),
        ({"address_string": "\x08rue"}, "address_string"),
        ({"email": "pas-une-adresse"}, "email"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"media_url": "ftp://example.org/a.jpg"}, "media_url"),
        ({"phone": "appelez-moi"}, "phone"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"attribute": {}}, "attribute[taille]"),
        ({"attribute": {"taille": "moyen"}}, "attribute[taille]"),
        ({"attribute": {"taille": "petit", "profondeur": "beaucoup"}}, "attribute[profondeur]"),
        ({"attribute": {"taille": "petit", "constat": "hier"}}, "attribute[constat]"),
        ({"attribute": {"taille": "petit", "inconnue": "x"}}, "attribute[inconnue]"),
        ({"attribute": {"taille": ["petit", "grand"]}}, "attribute[taille]"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    territory: Territory, data: dict[str, Any], field: str
) -> None:
    assert field in errors_of(territory, **data)


def test_tab_and_line_breaks_are_kept(territory: Territory) -> None:
    report = submit(territory, description="Ligne 1\r\nLigne 2\tfin", address_string="1\true")
    assert report.description == "Ligne 1\r\nLigne 2\tfin"


def test_all_errors_collected(territory: Territory) -> None:
    errors = errors_of(territory, lat="", long="", description="x" * 4001, email="bad")
    assert {"lat", "description", "email"} <= set(errors)


def test_attribute_types(territory: Territory) -> None:
    report = submit(
        territory,
        service_code="eclairage",
        attribute={"symptome": ["eteint", "clignote", "eteint"], "note": "près de l'école", "poteau": "A12"},
    )
    assert report.attributes == {
        "symptome": ["eteint", "clignote"],
        "note": "près de l'école",
        "poteau": "A12",
    }
    report = submit(
        territory, attribute={"taille": "petit", "profondeur": "12.5", "constat": "2026-05-01T08:30:00+02:00"}
    )
    assert report.attributes["profondeur"] == "12.5"


def test_address_only_needs_a_jurisdiction(territory: Territory) -> None:
    errors = errors_of(territory, lat="", long="", address_string="1 rue de la Paix")
    assert "jurisdiction_id" in errors
    report = services.submit_report(
        {"service_code": "voirie", "address_string": "1 rue de la Paix", "attribute": {"taille": "petit"}},
        organisation=territory.organisation,
        jurisdiction_id="99103",
    )
    assert report.commune == territory.gamma
    assert report.zone is None
    assert report.lat is None


def test_unknown_jurisdiction_is_404(territory: Territory) -> None:
    with pytest.raises(services.ReportError) as caught:
        services.submit_report(
            {"service_code": "voirie", "address_string": "x"},
            organisation=territory.organisation,
            jurisdiction_id="99999",
        )
    assert caught.value.status == 404


def test_category_of_another_organisation_is_unknown(territory: Territory, other_organisation: Any) -> None:
    errors = errors_of(territory, service_code="eclairage", lat=str(OUTSIDE[0]))
    assert "lat" in errors or "service_code" in errors


def test_inactive_category_is_refused(territory: Territory) -> None:
    territory.voirie.active = False
    territory.voirie.save()
    assert "service_code" in errors_of(territory)


def test_batch_service_is_queued_then_processed(territory: Territory) -> None:
    queued = services.submit_open311(
        {
            "service_code": "encombrants",
            "lat": str(ALPHA_SUD[0]),
            "long": str(ALPHA_SUD[1]),
            "email": "x@example.org",
        },
        api_key=territory.api_key,
    )
    assert isinstance(queued, QueuedRequest)
    assert Report.objects.count() == 0
    assert services.process_queue() == (1, 0)
    queued.refresh_from_db()
    assert queued.report is not None
    assert queued.report.email == "x@example.org"
    assert "email" not in queued.payload  # personal data leaves the queue once processed
    assert services.process_queue() == (0, 0)


def test_queued_request_fails_when_category_disappears(territory: Territory) -> None:
    queued = services.submit_open311(
        {"service_code": "encombrants", "lat": str(ALPHA_SUD[0]), "long": str(ALPHA_SUD[1])},
        api_key=territory.api_key,
    )
    assert isinstance(queued, QueuedRequest)
    territory.encombrants.active = False
    territory.encombrants.save()
    assert services.process_queue() == (0, 1)
    queued.refresh_from_db()
    assert queued.state == "failed"
    assert queued.error


def test_key_of_another_organisation_is_refused(territory: Territory, other_organisation: Any) -> None:
    key, _raw = services.create_api_key("Autre", organisation=other_organisation)
    with pytest.raises(services.ReportError) as caught:
        services.submit_open311(
            {"service_code": "voirie", "lat": str(ALPHA_SUD[0]), "long": str(ALPHA_SUD[1])},
            api_key=key,
            organisation=territory.organisation,
        )
    # Out of the key's reach: not found, as a jurisdiction that does not exist.
    assert caught.value.status == 404
