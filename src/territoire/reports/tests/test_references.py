"""A short reference per report (VAL-2026-00123) and the acknowledgement e-mail (issue 18 §3)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from territoire.reports.models import Report, ReportCounter
from territoire.reports.services import references
from territoire.reports.tests.conftest import ALPHA_SUD, BETA, Territory
from territoire.territory.models import Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"
LINK = re.compile(r"http://[^\s]+/signalements/confirmer/[^\s/]+/")
REFERENCE = re.compile(r"^[A-Z]{1,3}-\d{4}-\d{5,}$")


def _at(year: int, month: int = 6) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, 1, 12))


def test_references_follow_each_other_per_organisation_and_year(
    territory: Territory, make_report: Callable[..., Report], other_organisation: Any
) -> None:
    prefix = references.prefix_of(territory.organisation)
    first = make_report(ALPHA_SUD, requested_at=_at(2025))
    second = make_report(BETA, requested_at=_at(2025, 7))
    next_year = make_report(ALPHA_SUD, requested_at=_at(2026))
    assert [first.reference, second.reference, next_year.reference] == [
        f"{prefix}-2025-00001",
        f"{prefix}-2025-00002",
        f"{prefix}-2026-00001",
    ]
    assert all(REFERENCE.fullmatch(r.reference or "") for r in (first, second, next_year))
    # Another organisation counts on its own.
    assert references.allocate(other_organisation, _at(2025))[-1].endswith("-2025-00001")
    assert ReportCounter.objects.get(organisation=territory.organisation, year=2025).last == 2


def test_a_reference_is_unique_in_the_database(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    first = make_report(ALPHA_SUD)
    second = make_report(ALPHA_SUD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=second.pk).update(reference=first.reference)


def test_the_prefix_comes_from_the_short_name(territory: Territory) -> None:
    organisation = territory.organisation
    organisation.slug = "val-de-loire"
    assert references.prefix_of(organisation) == "VAL"
    organisation.slug = "2024-1"
    assert references.prefix_of(organisation) == "SIG"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("VAL-2026-00123", "VAL-2026-00123"),
        (" val 2026 123 ", "VAL-2026-00123"),
        ("val-2026-123456", "VAL-2026-123456"),
        ("0192b1e0", None),
        ("", None),
    ],
)
def test_staff_may_type_a_reference_loosely(typed: str, stored: str | None) -> None:
    assert references.normalise_reference(typed) == stored


@pytest.mark.django_db(transaction=True)
def test_two_reports_at_once_never_share_a_number(territory: Territory) -> None:
    """Two transactions allocate at the same time: the second waits for the first's lock."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN: no race to show")
    got: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def allocate() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                got.extend(references.allocate(territory.organisation, _at(2027)))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(got) == [f"{references.prefix_of(territory.organisation)}-2027-0000{n}" for n in (1, 2)]


# --------------------------------------------------------------------------- acknowledgement


def test_the_acknowledgement_waits_for_the_confirmed_address(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(ALPHA_SUD, email="habitant@example.org", confirm_email=False)
    # Before the confirmation: only the link, which already names the reference.
    assert len(mail.outbox) == 1
    assert report.reference
    assert report.reference in mail.outbox[0].body
    link = re.sub(r"^https?://[^/]+", "", LINK.search(mail.outbox[0].body).group(0))  # type: ignore[union-attr]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(link)
    assert page.status_code == 200
    assert report.reference in page.content.decode()
    assert [m.to for m in mail.outbox] == [["habitant@example.org"]]
    acknowledgement = mail.outbox[0]
    assert report.reference in acknowledgement.subject
    assert report.reference in acknowledgement.body
    assert f"/signalements/{report.public_id}/" in acknowledgement.body
    # Opening the link again sends nothing more.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(link).status_code == 200
    assert mail.outbox == []


def test_no_acknowledgement_without_an_address(
    territory: Territory, make_report: Callable[..., Report], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_report(ALPHA_SUD)
    assert mail.outbox == []


# --------------------------------------------------------------------------- pages


def test_the_reference_is_on_the_thanks_page_and_the_report_page(
    client: Client, territory: Territory
) -> None:
    response = client.post(
        f"/t/{SIREN}/signalements/nouveau/",
        {
            "category": "voirie",
            "description": "Un trou",
            "attr__voirie__taille": "grand",
            "lat": str(ALPHA_SUD[0]),
            "long": str(ALPHA_SUD[1]),
            "confirm": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert report.reference
    assert report.reference in client.get(response["Location"]).content.decode()
    assert report.reference in client.get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()


def test_staff_find_a_report_by_its_reference(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
) -> None:
    wanted = make_report(ALPHA_SUD, description="Celui-ci")
    make_report(ALPHA_SUD, description="Un autre")
    client.force_login(make_staff(territory.organisation, role=Role.AGENT))
    queue = f"/t/{SIREN}/signalements/gestion/"
    assert wanted.reference
    assert wanted.reference in client.get(queue).content.decode()
    number = int((wanted.reference or "").rsplit("-", 1)[1])
    typed = (
        f"{(wanted.reference or '').split('-')[0].lower()} {(wanted.reference or '').split('-')[1]} {number}"
    )
    page = client.get(queue, {"reference": typed})
    assert page.status_code == 200
    assert page.context["reports"] == [wanted]
    # A closed report is found too (a phone call is often about a closed one).
    from territoire.reports import services

    services.change_status(wanted, "resolu", actor=make_staff(territory.organisation), answer="Fait.")
    assert client.get(queue, {"reference": wanted.reference}).context["reports"] == [wanted]
    bad = client.get(queue, {"reference": "pas une référence"})
    assert bad.status_code == 400
    assert "VAL-2026-00123" in bad.content.decode()
    staff_page = client.get(f"/t/{SIREN}/signalements/gestion/{wanted.public_id}/").content.decode()
    assert f'id="reference">{wanted.reference}<' in staff_page


# --------------------------------------------------------------------------- migration

BEFORE = [("reports", "0010_legal_translations")]
AFTER = [("reports", "0011_reportsux_references_public_answers")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_reports_get_references_oldest_first() -> None:
    old = _migrate(BEFORE)
    organisation = old.get_model("territory", "Organisation").objects.create(
        siren="200000009", name="CC", kind="epci", slug="val-de-cher"
    )
    commune = old.get_model("territory", "Commune").objects.create(
        insee_code="99109", name="Une", organisation=organisation
    )
    category = old.get_model("reports", "ServiceCategory").objects.create(
        organisation=organisation, service_code="voirie", name="Voirie"
    )
    old.get_model("reports", "ServiceAttribute").objects.create(
        category=category, code="taille", description="Taille", datatype="singlevaluelist"
    )
    old.get_model("reports", "ServiceAttribute").objects.create(
        category=category, code="note", description="Note", datatype="text"
    )
    status = old.get_model("reports", "ReportStatus").objects.create(
        organisation=organisation, code="nouveau", label="Nouveau", open311_state="open"
    )
    reports = old.get_model("reports", "Report")
    made = {
        when: reports.objects.create(
            organisation=organisation,
            commune=commune,
            category=category,
            status=status,
            requested_at=_at(*when),
        ).pk
        for when in [(2025, 9), (2025, 3), (2026, 1)]
    }
    try:
        new = _migrate(AFTER)
        found = dict(new.get_model("reports", "Report").objects.values_list("pk", "reference"))
        assert found[made[(2025, 3)]] == "VAL-2025-00001"
        assert found[made[(2025, 9)]] == "VAL-2025-00002"
        assert found[made[(2026, 1)]] == "VAL-2026-00001"
        counters = new.get_model("reports", "ReportCounter").objects.values_list("year", "last")
        assert sorted(counters) == [(2025, 2), (2026, 1)]
        public = dict(new.get_model("reports", "ServiceAttribute").objects.values_list("code", "public"))
        assert public == {"taille": True, "note": False}
    finally:
        _migrate(_latest())


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return list(executor.loader.graph.leaf_nodes())
