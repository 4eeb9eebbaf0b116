"""Staff tools that fit the job (issue 18 §3): the queue's "Tous", a note by default, a
category (hence a service) changed through a service, duplicates merged by choosing among
nearby candidates of the same commune."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from territoire.core.models import AuditEvent
from territoire.reports import services
from territoire.reports.models import EventKind, Report, ReportEvent
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, BETA, Territory
from territoire.territory.models import Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"
QUEUE = f"/t/{SIREN}/signalements/gestion/"


def manage_url(report: Report, action: str = "") -> str:
    return f"{QUEUE}{report.public_id}/{action + '/' if action else ''}"


@pytest.fixture
def agent(territory: Territory, make_staff: Callable[..., Any], client: Client) -> Any:
    user = make_staff(territory.organisation, role=Role.AGENT)
    client.force_login(user)
    return user


# --------------------------------------------------------------------------- the queue


def test_the_queue_filter_all_shows_every_report(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    make_report(ALPHA_SUD, description="Trou ouvert")
    closed = make_report(BETA, description="Trou réparé")
    services.change_status(closed, "resolu", actor=agent, answer="Fait.")
    default = client.get(QUEUE)
    assert "Trou ouvert" in default.content.decode()
    assert "Trou réparé" not in default.content.decode()
    # The default is named for what it shows.
    assert re.search(r'<option value="" selected>Ouverts</option>', default.content.decode())
    everything = client.get(QUEUE, {"status": "all"}).content.decode()
    assert "Trou ouvert" in everything
    assert "Trou réparé" in everything
    assert re.search(r'<option value="all" selected>Tous</option>', everything)
    only_closed = client.get(QUEUE, {"status": "closed"}).content.decode()
    assert "Trou réparé" in only_closed
    assert "Trou ouvert" not in only_closed


# --------------------------------------------------------------------------- messages


def test_the_message_box_defaults_to_an_internal_note(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(email="habitant@example.org")
    page = client.get(manage_url(report)).content.decode()
    checked = re.search(r'<input type="radio" name="answer-public" value="(\d)"[^>]*checked', page)
    assert checked, page
    assert checked.group(1) == "0"
    # A message sent without touching the choice stays internal: not published, not mailed.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(manage_url(report, "message"), {"answer-text": "Voir avec la voirie."})
    assert response.status_code == 302
    event = ReportEvent.objects.get(report=report, message="Voir avec la voirie.")
    assert event.kind == EventKind.NOTE
    assert not event.is_public
    assert mail.outbox == []
    assert (
        "Voir avec la voirie."
        not in Client().get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()
    )
    # A public answer is a deliberate choice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            manage_url(report, "message"), {"answer-text": "Nous passons demain.", "answer-public": "1"}
        )
    assert ReportEvent.objects.get(report=report, message="Nous passons demain.").is_public
    assert [m.to for m in mail.outbox] == [["habitant@example.org"]]


# --------------------------------------------------------------------------- category


def test_staff_change_the_category_and_so_the_service(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    other_organisation: Any,
) -> None:
    report = make_report(ALPHA_SUD)
    page = client.get(manage_url(report)).content.decode()
    assert 'name="category-category"' in page
    response = client.post(manage_url(report, "categorie"), {"category-category": "eclairage"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.category == territory.eclairage
    assert report.due_at == report.requested_at + timedelta(days=3)
    event = ReportEvent.objects.get(report=report, kind=EventKind.CATEGORY)
    assert event.data == {"from": "voirie", "to": "eclairage"}
    audit = AuditEvent.objects.get(action="reports.recategorised", object_id=str(report.pk))
    assert audit.changes["team"] == ["Voirie", "Éclairage"]
    assert "Éclairage" in client.get(manage_url(report)).content.decode()
    # The same category again, or another organisation's: refused next to the field.
    same = client.post(manage_url(report, "categorie"), {"category-category": "eclairage"})
    assert same.status_code == 422
    assert "déjà dans cette catégorie" in same.content.decode()
    services.save_category(organisation=other_organisation, service_code="ailleurs", name="Ailleurs")
    elsewhere = client.post(manage_url(report, "categorie"), {"category-category": "ailleurs"})
    assert elsewhere.status_code == 422
    report.refresh_from_db()
    assert report.category == territory.eclairage


# --------------------------------------------------------------------------- merge


def test_merge_candidates_are_nearby_open_reports_of_the_same_commune(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    settings: Any,
) -> None:
    # A radius wide enough to take in Bêta: the commune wall, not the distance, keeps it out.
    settings.TERRITOIRE = {**settings.TERRITOIRE, "REPORTS_MERGE_RADIUS_M": 5000}
    report = make_report(ALPHA_SUD, description="Le nouveau")
    older = make_report(
        ALPHA_NORD, description="Le même, plus tôt", requested_at=timezone.now() - timedelta(days=4)
    )
    beta = make_report(BETA, description="Dans la commune voisine")
    closed = make_report(ALPHA_SUD, description="Déjà réparé")
    services.change_status(closed, "resolu", actor=agent, answer="Fait.")
    page = client.get(manage_url(report))
    html = page.content.decode()
    offered = page.context["candidates"]
    assert [c.report for c in offered] == [older]
    assert f'value="{older.public_id}"' in html
    assert f'value="{beta.public_id}"' not in html
    assert "Dans la commune voisine" not in html
    assert f'value="{closed.public_id}"' not in html
    assert f'value="{report.public_id}"' not in html
    # Distance and age, to recognise the same problem.
    assert "à 1112 m" in html
    assert "déposé il y a 4 jours" in html
    assert older.reference in html
    # Another commune's report, posted by hand, is not in the list: refused.
    refused = client.post(manage_url(report, "fusion"), {"merge-target": str(beta.public_id)})
    assert refused.status_code == 422
    assert "pas dans la liste" in refused.content.decode()
    report.refresh_from_db()
    assert report.duplicate_of is None
    merged = client.post(manage_url(report, "fusion"), {"merge-target": str(older.public_id)})
    assert merged.status_code == 302
    report.refresh_from_db()
    assert report.duplicate_of == older


def test_a_commune_agent_is_offered_only_their_communes_candidates(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
    settings: Any,
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "REPORTS_MERGE_RADIUS_M": 5000}
    report = make_report(BETA)
    make_report(ALPHA_SUD, description="Chez Alpha")
    neighbour = make_report(BETA, description="Chez Bêta")
    client.force_login(make_staff(territory.organisation, role=Role.AGENT, commune=territory.beta))
    page = client.get(manage_url(report))
    assert [c.report for c in page.context["candidates"]] == [neighbour]
    assert "Chez Alpha" not in page.content.decode()


def test_without_a_candidate_the_page_says_so(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report(ALPHA_SUD)
    html = client.get(manage_url(report)).content.decode()
    assert 'id="no-merge-candidates"' in html
    assert 'name="merge-target"' not in html


def test_the_report_file_costs_the_same_with_many_candidates(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    django_assert_max_num_queries: Any,
) -> None:
    report = make_report(ALPHA_SUD)
    make_report(ALPHA_SUD)
    with django_assert_max_num_queries(40) as few:
        assert client.get(manage_url(report)).status_code == 200
    for _ in range(8):
        make_report(ALPHA_SUD, service_code="eclairage")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(manage_url(report))
    assert len(page.context["candidates"]) == 9


def test_the_queue_showing_every_report_costs_the_same_for_more_rows(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    django_assert_max_num_queries: Any,
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            report = make_report((ALPHA_SUD, BETA)[i % 2], service_code=("voirie", "eclairage")[i % 2])
            if i % 3 == 0:
                services.change_status(report, "resolu", actor=agent, answer="Fait.")

    add(3)
    with django_assert_max_num_queries(25) as few:
        assert client.get(QUEUE, {"status": "all"}).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(QUEUE, {"status": "all"})
    assert page.status_code == 200
    assert len(page.context["reports"]) == 23
