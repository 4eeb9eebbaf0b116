"""Staff pages: triage queue, a report's file and its actions, rounds; rights of each role."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from territoire.core.uploads import sanitise_image
from territoire.reports import services
from territoire.reports.models import EventKind, Report, ReportEvent, ReportPhoto, Round
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, BETA, Territory, jpeg_bytes
from territoire.territory.models import Role, Zone

pytestmark = pytest.mark.django_db

SIREN = "200000001"
QUEUE = f"/t/{SIREN}/signalements/gestion/"
ROUNDS = f"/t/{SIREN}/signalements/gestion/tournees/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def manage_url(report: Report, action: str = "") -> str:
    return f"/t/{SIREN}/signalements/gestion/{report.public_id}/{action + '/' if action else ''}"


@pytest.fixture
def agent(territory: Territory, make_staff: Callable[..., Any], client: Client) -> Any:
    user = make_staff(territory.organisation, role=Role.AGENT)
    client.force_login(user)
    return user


def field_error(response: Any, auto_id: str) -> str:
    found = re.search(rf'id="{re.escape(auto_id)}_error">(.*?)</p>', response.content.decode(), re.S)
    assert found, f"no error next to {auto_id}"
    return found.group(1)


# --------------------------------------------------------------------------- rights


def test_anonymous_visitors_are_sent_to_the_sign_in(
    client: Client, territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    for url in (QUEUE, manage_url(report), ROUNDS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
    assert client.post(manage_url(report, "statut"), {"status-status": "resolu"}).status_code == 302
    report.refresh_from_db()
    assert report.status.code == "nouveau"


def test_staff_of_another_organisation_gets_404(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
    other_organisation: Any,
) -> None:
    report = make_report()
    client.force_login(make_staff(other_organisation, role=Role.ADMINISTRATEUR))
    for url in (QUEUE, manage_url(report), ROUNDS):
        assert client.get(url).status_code == 404
    response = client.post(manage_url(report, "statut"), {"status-status": "resolu", "status-answer": "x"})
    assert response.status_code == 404
    # Their own territory's URL with this report's id: still not found.
    assert client.get(f"/t/200000002/signalements/gestion/{report.public_id}/").status_code == 404


def test_commune_agent_sees_and_acts_on_their_commune_only(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    in_alpha = make_report(ALPHA_SUD, description="Trou à Alpha")
    in_beta = make_report(BETA, description="Trou à Bêta")
    client.force_login(make_staff(territory.organisation, role=Role.AGENT, commune=territory.beta))
    html = client.get(QUEUE).content.decode()
    assert "Trou à Bêta" in html
    assert "Trou à Alpha" not in html
    assert client.get(manage_url(in_alpha)).status_code == 404
    assert client.get(manage_url(in_beta)).status_code == 200
    assert client.get("/t/99101/signalements/gestion/").status_code == 404
    assert client.get("/t/99102/signalements/gestion/").status_code == 200
    response = client.post(manage_url(in_alpha, "masquer"), {"hide-reason": "Test"})
    assert response.status_code == 404
    in_alpha.refresh_from_db()
    assert not in_alpha.hidden


def test_elected_member_reads_but_cannot_act(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    report = make_report()
    client.force_login(make_staff(territory.organisation, role=Role.ELU))
    page = client.get(manage_url(report))
    assert page.status_code == 200
    assert "Changer le statut" not in page.content.decode()
    response = client.post(
        manage_url(report, "statut"), {"status-status": "resolu", "status-answer": "Fait."}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status.code == "nouveau"
    assert client.get(ROUNDS).status_code == 403


# --------------------------------------------------------------------------- queue


def test_queue_filters_by_service_zone_status_and_overdue(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    old = make_report(ALPHA_SUD, description="Ancien trou", requested_at=timezone.now() - timedelta(days=30))
    make_report(ALPHA_NORD, service_code="eclairage", description="Lampe en panne")
    closed = make_report(BETA, description="Trou réparé")
    services.change_status(closed, "resolu", actor=agent, answer="Fait.")

    html = client.get(QUEUE).content.decode()
    assert "Ancien trou" in html
    assert "Lampe en panne" in html
    assert "Trou réparé" not in html
    assert "en retard" in html
    by_team = client.get(QUEUE, {"team": "Éclairage"}).content.decode()
    assert "Lampe en panne" in by_team
    assert "Ancien trou" not in by_team
    zone = Zone.objects.get(commune=territory.alpha, name="Nord")
    assert "Ancien trou" not in client.get(QUEUE, {"zone": str(zone.pk)}).content.decode()
    overdue = client.get(QUEUE, {"overdue": "on"}).content.decode()
    assert "Ancien trou" in overdue
    assert "Lampe en panne" not in overdue
    done = client.get(QUEUE, {"status": "closed"}).content.decode()
    assert "Trou réparé" in done
    assert "Ancien trou" not in done
    assert "Trou réparé" in client.get(QUEUE, {"status": "resolu"}).content.decode()
    assert client.get(QUEUE, {"team": "Inconnu"}).status_code == 400
    assert old.public_id


def test_queue_query_count_does_not_grow(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(3):
        make_report(ALPHA_SUD)
    with django_assert_max_num_queries(25) as few:
        assert client.get(QUEUE).status_code == 200
    for _ in range(20):
        make_report(BETA, service_code="eclairage")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(QUEUE).status_code == 200


# --------------------------------------------------------------------------- actions


def test_closing_requires_a_reasoned_answer_then_is_recorded_and_public(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report(email="habitant@example.org")
    refused = client.post(manage_url(report, "statut"), {"status-status": "resolu", "status-answer": ""})
    assert refused.status_code == 422
    assert "réponse argumentée est obligatoire" in field_error(refused, "id_status-answer")
    assert 'href="#id_status-answer"' in refused.content.decode()
    report.refresh_from_db()
    assert report.status.code == "nouveau"

    done = client.post(
        manage_url(report, "statut"), {"status-status": "resolu", "status-answer": "Trou rebouché ce matin."}
    )
    assert done.status_code == 302
    assert done["Location"] == manage_url(report)
    report.refresh_from_db()
    assert report.status.code == "resolu"
    assert not report.is_open
    assert report.closed_at is not None
    event = ReportEvent.objects.get(report=report, kind=EventKind.STATUS)
    assert event.actor == agent
    assert event.message == "Trou rebouché ce matin."
    staff_page = client.get(manage_url(report)).content.decode()
    assert agent.username in staff_page
    assert "Trou rebouché ce matin." in staff_page
    public = Client().get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()
    assert "Trou rebouché ce matin." in public
    assert agent.username not in public


def test_public_answer_and_internal_note(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report()
    assert (
        client.post(
            manage_url(report, "message"), {"answer-text": "Intervention lundi.", "answer-public": "1"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            manage_url(report, "message"), {"answer-text": "Voir avec M. Dupont.", "answer-public": "0"}
        ).status_code
        == 302
    )
    empty = client.post(manage_url(report, "message"), {"answer-text": "", "answer-public": "1"})
    assert empty.status_code == 422
    assert "Le message est vide." in field_error(empty, "id_answer-text")
    public = Client().get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()
    assert "Intervention lundi." in public
    assert "Dupont" not in public
    assert "Dupont" in client.get(manage_url(report)).content.decode()


def test_assign_crew_and_merge_duplicates(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    first = make_report(ALPHA_SUD)
    second = make_report(ALPHA_SUD)
    assert (
        client.post(manage_url(first, "equipe"), {"assign-crew": str(territory.crew.pk)}).status_code == 302
    )
    first.refresh_from_db()
    assert first.crew == territory.crew

    unknown = client.post(
        manage_url(second, "fusion"), {"merge-target": "00000000-0000-0000-0000-000000000000"}
    )
    assert unknown.status_code == 422
    assert "pas dans la liste" in field_error(unknown, "id_merge-target")
    own = client.post(manage_url(second, "fusion"), {"merge-target": str(second.public_id)})
    assert own.status_code == 422
    # The candidate is offered: a choice in a list, not an id to type.
    page = client.get(manage_url(second)).content.decode()
    assert f'name="merge-target" value="{first.public_id}"' in page
    merged = client.post(manage_url(second, "fusion"), {"merge-target": str(first.public_id)})
    assert merged.status_code == 302
    second.refresh_from_db()
    assert second.duplicate_of == first
    assert second.status.code == "doublon"
    html = client.get(manage_url(first)).content.decode()
    assert str(second.public_id) in html


def test_hide_and_unhide_with_a_reason(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report(description="Propos déplacés")
    missing = client.post(manage_url(report, "masquer"), {"hide-reason": " "})
    assert missing.status_code == 422
    assert "Le motif est obligatoire." in field_error(missing, "id_hide-reason")
    assert client.post(manage_url(report, "masquer"), {"hide-reason": "Injurieux"}).status_code == 302
    report.refresh_from_db()
    assert report.hidden
    assert report.hidden_reason == "Injurieux"
    assert Client().get(f"/t/{SIREN}/signalements/{report.public_id}/").status_code == 404
    page = client.get(manage_url(report)).content.decode()
    assert "Masqué au public" in page
    assert "Injurieux" in page
    assert client.post(manage_url(report, "retablir"), {"unhide-reason": "Reformulé"}).status_code == 302
    report.refresh_from_db()
    assert not report.hidden
    assert Client().get(f"/t/{SIREN}/signalements/{report.public_id}/").status_code == 200


def test_redact_photo_with_a_reason(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report(photo=sanitise_image(io.BytesIO(jpeg_bytes())))
    photo = ReportPhoto.objects.get(report=report)
    staff_url = manage_url(report) + f"photos/{photo.public_id}/"
    served = client.get(staff_url)
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert client.post(staff_url + "retirer/", {"redact-reason": ""}).status_code == 422
    assert (
        client.post(staff_url + "retirer/", {"redact-reason": "Plaque d'immatriculation"}).status_code == 302
    )
    photo.refresh_from_db()
    assert photo.redacted
    assert photo.redacted_reason == "Plaque d'immatriculation"
    assert client.get(staff_url).status_code == 404
    assert "Photo retirée" in client.get(manage_url(report)).content.decode()


# --------------------------------------------------------------------------- rounds


def test_plan_a_round_shows_the_sheet_the_saving_and_the_route(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    points = [ALPHA_SUD, ALPHA_NORD, (47.008, 2.002), (47.012, 2.008)]
    for point in points:
        report = make_report(point, description=f"Trou {point}")
        services.assign_crew(report, territory.crew, actor=agent)
    page = client.get(ROUNDS)
    assert page.status_code == 200
    assert territory.crew.name in page.content.decode()
    response = client.post(ROUNDS, {"crew": str(territory.crew.pk), "date": "2026-05-04"})
    assert response.status_code == 302
    planned = Round.objects.get()
    assert response["Location"] == f"{ROUNDS}{planned.public_id}/"
    sheet = client.get(response["Location"])
    html = sheet.content.decode()
    assert sheet.status_code == 200
    # Distances in km, French decimal comma.
    assert f"{planned.distance_m / 1000:.1f} km".replace(".", ",") in html
    assert f"{planned.baseline_distance_m / 1000:.1f} km".replace(".", ",") in html
    assert "Économie" in html
    assert 'id="round-route"' in html
    assert html.count('class="done-box"') == len(points)
    assert "Aucun : tous les signalements affectés tiennent dans la journée." in html
    # Each stop's planned time (the crew starts at 8:00), on the sheet, the public page
    # and in Open311 (expected_datetime).
    stop = planned.stops.get(position=1)
    assert stop.expected_at is not None
    local = timezone.localtime(stop.expected_at)
    assert f"{local:%H:%M}</time>" in html
    assert "à 08:00" in html
    public = Client().get(f"{ROUNDS.split('gestion/')[0]}{stop.report.public_id}/")
    assert public.status_code == 200
    assert 'id="expected-at"' in public.content.decode()
    open311 = Client().get(f"/open311/v2/requests/{stop.report.public_id}.json")
    assert open311.status_code == 200
    assert open311.json()[0]["expected_datetime"] == local.isoformat(timespec="seconds")
    download = client.get(f"{ROUNDS}{planned.public_id}/trace.geojson")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.json()["type"] == "FeatureCollection"


def test_reports_that_do_not_fit_the_shift_are_listed_as_left_over(
    client: Client, territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    crew = services.save_crew(
        organisation=territory.organisation,
        name="Équipe courte",
        depot_lat=47.0,
        depot_lon=2.0,
        shift_minutes=40,
    )
    for point in (ALPHA_SUD, ALPHA_NORD, BETA):
        services.assign_crew(make_report(point), crew, actor=agent)
    response = client.post(ROUNDS, {"crew": str(crew.pk), "date": "2026-05-04"})
    html = client.get(response["Location"]).content.decode()
    planned = Round.objects.get()
    left = planned.stops.filter(left_over=True).count()
    assert left >= 1
    assert "Hors tournée" in html
    # Each left-over report says why (here: it does not fit in the shift).
    assert html.count("ne tient pas dans la journée") == left


def test_round_form_errors_and_other_organisation_crews(
    client: Client, territory: Territory, agent: Any, other_organisation: Any
) -> None:
    foreign = services.save_crew(
        organisation=other_organisation, name="Ailleurs", depot_lat=47.0, depot_lon=2.0
    )
    response = client.post(ROUNDS, {"crew": str(foreign.pk), "date": ""})
    assert response.status_code == 422
    assert "Équipe inconnue." in field_error(response, "id_crew")
    assert "Indiquez la date." in field_error(response, "id_date")
    assert Round.objects.count() == 0


def test_reporter_is_emailed_with_a_link_that_leads_to_the_public_page(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(email="habitant@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            manage_url(report, "statut"), {"status-status": "resolu", "status-answer": "Trou rebouché."}
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["habitant@example.org"]
    assert "Trou rebouché." in message.body
    link = re.search(r"https?://\S+", message.body)
    assert link is not None
    path = "/" + link.group(0).split("/", 3)[3]
    assert path == f"/signalements/{report.public_id}/"
    public = Client().get(path, follow=True)
    assert public.redirect_chain[-1][0] == f"/t/{SIREN}/signalements/{report.public_id}/"
    assert "Trou rebouché." in public.content.decode()
