"""Service gaps: a zone for address-only reports, followers of a "+1", a status filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from territoire.reports import selectors, services
from territoire.reports.models import Report, Support
from territoire.reports.tests.conftest import ALPHA_NORD, BETA, Territory
from territoire.territory.models import Role, Zone

pytestmark = pytest.mark.django_db


def address_only(territory: Territory, **extra: Any) -> Report:
    data: dict[str, Any] = {
        "service_code": "voirie",
        "address_string": "3 rue de la Poste",
        "attribute": {"taille": "petit"},
    }
    return services.submit_report(data, organisation=territory.organisation, **extra)


# --------------------------------------------------------------------------- (a) zone


def test_address_only_report_keeps_its_zone(territory: Territory) -> None:
    nord = Zone.objects.get(commune=territory.alpha, name="Nord")
    by_object = address_only(territory, jurisdiction_id="99101", zone=nord)
    by_id = address_only(territory, jurisdiction_id="99101", zone=str(nord.pk))
    for report in (by_object, by_id):
        report.refresh_from_db()
        assert (report.commune, report.zone, report.lat) == (territory.alpha, nord, None)
    clean = services.validate_submission(
        {"service_code": "voirie", "address_id": "A-12", "attribute": {"taille": "petit"}},
        organisation=territory.organisation,
        jurisdiction_id="99101",
        zone=nord.pk,
    )
    assert clean.zone == nord


def test_zone_of_another_commune_or_unknown_is_refused(territory: Territory) -> None:
    bourg = Zone.objects.get(commune=territory.beta)
    for zone in (bourg, bourg.pk, 999_999, "pas-un-id"):
        with pytest.raises(services.ReportError) as caught:
            address_only(territory, jurisdiction_id="99101", zone=zone)
        assert list(caught.value.by_field()) == ["zone"]
    assert Report.objects.count() == 0


def test_coordinates_decide_the_zone_over_a_given_zone(territory: Territory) -> None:
    bourg = Zone.objects.get(commune=territory.beta)
    report = services.submit_report(
        {
            "service_code": "voirie",
            "lat": str(ALPHA_NORD[0]),
            "long": str(ALPHA_NORD[1]),
            "attribute": {"taille": "petit"},
        },
        organisation=territory.organisation,
        zone=bourg,
    )
    assert report.zone is not None
    assert report.zone.name == "Nord"


def test_without_zone_address_only_report_has_none(territory: Territory) -> None:
    assert address_only(territory, jurisdiction_id="99101").zone is None


# --------------------------------------------------------------------------- (b) followers


@pytest.fixture
def agent(territory: Territory, make_staff: Any) -> Any:
    return make_staff(territory.organisation, role=Role.AGENT)


def test_supporter_with_email_follows_the_report(
    make_report: Callable[..., Report], agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = make_report(email="auteur@example.org")
    assert services.support_report(report, "session-a", email="voisin@example.org", email_confirmed=True)
    assert services.support_report(report, "session-b")  # a "+1" without e-mail: not a follower
    assert services.support_report(report, "session-c", email="")
    assert services.followers_of(report) == ["voisin@example.org"]
    assert report.supporters_count == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(report, "resolu", actor=agent, answer="Réparé.")
    recipients = sorted(tuple(m.to) for m in mail.outbox)
    assert recipients == [("auteur@example.org",), ("voisin@example.org",)]
    follower_mail = next(m for m in mail.outbox if m.to == ["voisin@example.org"])
    assert "Réparé." in follower_mail.body
    assert str(report.public_id) in follower_mail.body
    assert "auteur@example.org" not in follower_mail.body


def test_follower_email_added_on_a_second_plus_one(make_report: Callable[..., Report]) -> None:
    report = make_report()
    assert services.support_report(report, "session-a")
    assert not services.support_report(report, "session-a", email="tard@example.org", email_confirmed=True)
    report.refresh_from_db()
    assert report.supporters_count == 1
    assert services.followers_of(report) == ["tard@example.org"]


def test_follower_email_is_validated_and_nothing_is_written(make_report: Callable[..., Report]) -> None:
    report = make_report()
    with pytest.raises(services.ReportError) as caught:
        services.support_report(report, "session-a", email="pas une adresse")
    assert list(caught.value.by_field()) == ["email"]
    assert not Support.objects.exists()


def test_followers_are_told_of_public_answers_not_notes(
    make_report: Callable[..., Report], agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = make_report()
    services.support_report(report, "session-a", email="voisin@example.org", email_confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_answer(report, "Note interne", actor=agent, public=False)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.add_answer(report, "Intervention lundi.", actor=agent)
    assert [m.to for m in mail.outbox] == [["voisin@example.org"]]


def test_follower_email_never_in_public_reads(client: Any, make_report: Callable[..., Report]) -> None:
    report = make_report()
    services.support_report(report, "session-a", email="secret-voisin@example.org")
    public = selectors.get_public_report(report.public_id)
    assert public is not None
    assert "secret-voisin" not in repr(public.__dict__)


# --------------------------------------------------------------------------- (c) status filter


def test_public_reports_by_status_code(
    territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    fresh = make_report()
    taken = make_report(BETA)
    services.change_status(taken, "pris-en-compte", actor=agent)
    by_code = {
        code: list(selectors.public_reports(organisation=territory.organisation, status_code=code))
        for code in ("nouveau", "pris-en-compte", "resolu", "inconnu")
    }
    assert [r.pk for r in by_code["nouveau"]] == [fresh.pk]
    assert [r.pk for r in by_code["pris-en-compte"]] == [taken.pk]
    assert by_code["resolu"] == by_code["inconnu"] == []
    assert len(selectors.public_reports(organisation=territory.organisation)) == 2
    assert [r.pk for r in selectors.public_reports(organisation=territory.organisation, is_open=True)] == [
        taken.pk,
        fresh.pk,
    ]
