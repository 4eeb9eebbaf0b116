"""The ballot as a resident meets it: only their envelopes offered, no invitation to move,
the total against the envelope (server-side "Recalculer"), the projects' descriptions,
every fault at once, then a receipt (page, e-mail, public check) that never shows choices."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from territoire.participation.models import Ballot, BallotKind, Participant, ParticipatoryBudget, PhaseKind
from territoire.participation.services import ballots as ballot_services
from territoire.participation.services import budgets as budget_services
from territoire.participation.tests.factories import make_budget as make_foreign_budget
from territoire.participation.tests.factories import make_participant
from territoire.participation.tests.test_views_budgets import (
    _move_to,
    add_proposals,
    ballot_url,
    ids,
    make_budget,
    make_resident,
    make_zone,
    sign_in,
    submission_time,
    url,
)
from territoire.territory.models import Commune, Organisation, Zone

SIREN = "200000001"


def _ballot_links(body: str) -> set[str]:
    return set(re.findall(r'href="/t/[^"]*/voter/([^/"]+)/"', body))


@pytest.fixture
def zones(commune: Commune) -> tuple[Zone, Zone]:
    return make_zone(commune, "nord"), make_zone(commune, "sud")


@pytest.fixture
def resident(commune: Commune, zones: tuple[Zone, Zone]) -> Participant:
    return make_resident("habitante@example.org", commune, zones[0])


@pytest.fixture
def budget(
    organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> ParticipatoryBudget:
    """Voting open; a knapsack ballot of 100 000 € with described projects; zone envelopes."""
    budget = make_budget(
        organisation, zones=zones, ballot_kind=BallotKind.KNAPSACK, max_choices=2, phase=PhaseKind.SUBMISSION
    )
    when = submission_time(budget)
    for title, cost, description in (
        ("Jardin partagé", 60_000, "Un jardin cultivé par les voisins, rue des Lilas."),
        ("Bancs", 50_000, "Vingt bancs le long du canal."),
        ("Fresque", 30_000, ""),
    ):
        proposal = budget_services.submit_proposal(
            resident, budget, title=title, description=description, now=when
        )
        budget_services.review_proposal(proposal, eligible=True)
        budget_services.estimate_cost(proposal, cost=cost)
    add_proposals(budget, resident, [10_000], zone=zones[0], prefix="Nord")
    add_proposals(budget, resident, [10_000], zone=zones[1], prefix="Sud")
    _move_to(budget, PhaseKind.VOTING)
    return budget


# --------------------------------------------------------------------------- envelopes offered


def test_the_budget_page_offers_only_the_envelopes_the_resident_may_vote_in(
    client: Client, budget: ParticipatoryBudget, resident: Participant
) -> None:
    page = url("participation-budget", SIREN, budget.public_id)
    anonymous = client.get(page).content.decode()
    assert _ballot_links(anonymous) == set()  # a visitor is asked to sign in, not offered envelopes
    assert "Connectez-vous pour voter" in anonymous
    sign_in(client, resident)  # lives in "nord"
    body = client.get(page).content.decode()
    assert _ballot_links(body) == {"global", "nord"}
    assert "réservée aux habitants du quartier" in body


def test_another_districts_envelope_explains_without_inviting_to_move(
    client: Client, budget: ParticipatoryBudget, resident: Participant
) -> None:
    sign_in(client, resident)
    body = client.get(ballot_url(budget, "sud")).content.decode()
    assert "réservée aux habitants du quartier Quartier sud" in body
    # No link to the profile (where the district is declared), no ballot form...
    explanation = body.split('aria-labelledby="eligibility-title"')[1].split("</section>")[0]
    assert url("participation-account", SIREN) not in explanation
    assert "Compléter mon profil" not in body
    assert 'name="choices"' not in body
    # ...but the envelopes the resident does vote in.
    assert _ballot_links(body) == {"global", "nord"}


def test_a_reason_the_account_can_fix_still_links_to_it(
    client: Client, organisation: Organisation, commune: Commune, zones: tuple[Zone, Zone]
) -> None:
    budget = make_budget(organisation, zones=zones, min_age=16)
    resident = make_resident("sans-annee@example.org", commune, zones[0], birth_year=None)
    sign_in(client, resident)
    body = client.get(ballot_url(budget)).content.decode()
    assert "Indiquez votre année de naissance" in body
    assert "Compléter mon profil" in body


# --------------------------------------------------------------------------- total, descriptions, faults


def test_recalculate_shows_the_total_against_the_envelope_and_records_nothing(
    client: Client, budget: ParticipatoryBudget, resident: Participant
) -> None:
    sign_in(client, resident)
    response = client.post(
        ballot_url(budget), {"choices": ids(budget, "Jardin partagé", "Fresque"), "recalculate": "1"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-total="cost">90\xa0000</span> € / 100\xa0000 €' in body
    assert 'data-total="left">10\xa0000</span>' in body
    assert 'data-total="count">2</span>' in body
    assert "Rien n'est encore enregistré" in body
    assert not Ballot.objects.exists()
    # Over the envelope: the total says by how much, and what to correct is listed.
    body = client.post(
        ballot_url(budget), {"choices": ids(budget, "Jardin partagé", "Bancs"), "recalculate": "1"}
    ).content.decode()
    assert 'data-total="over">10\xa0000</span>' in body
    assert "dépasse l&#x27;enveloppe" in body
    assert not Ballot.objects.exists()


def test_the_ballot_shows_the_projects_descriptions(
    client: Client, budget: ParticipatoryBudget, resident: Participant
) -> None:
    sign_in(client, resident)
    body = client.get(ballot_url(budget)).content.decode()
    assert "Un jardin cultivé par les voisins, rue des Lilas." in body
    assert "Vingt bancs le long du canal." in body
    assert 'aria-describedby="about-' in body


def test_a_ballot_with_several_faults_shows_them_all(
    client: Client, budget: ParticipatoryBudget, resident: Participant
) -> None:
    sign_in(client, resident)
    response = client.post(ballot_url(budget), {"choices": ids(budget, "Jardin partagé", "Bancs", "Fresque")})
    body = response.content.decode()
    assert response.status_code == 422
    assert "Choisissez au plus 2 projets." in body  # too many projects...
    assert "dépasse l&#x27;enveloppe" in body  # ...and over the envelope, both at once
    assert 'data-total="cost">140\xa0000</span>' in body  # the total, on the refusal
    assert not Ballot.objects.exists()


def test_a_cumulative_ballot_with_several_faults_shows_them_all(
    client: Client, organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> None:
    budget = make_budget(
        organisation,
        zones=zones,
        ballot_kind=BallotKind.CUMULATIVE,
        max_points_per_project=3,
        max_points_total=5,
        phase=PhaseKind.SUBMISSION,
    )
    add_proposals(budget, resident, [1000, 2000])
    _move_to(budget, PhaseKind.VOTING)
    sign_in(client, resident)
    first, second = ids(budget, "Projet 1", "Projet 2")
    body = client.post(ballot_url(budget), {f"points_{first}": "4", f"points_{second}": "3"}).content.decode()
    assert "Au plus 3 points par projet." in body
    assert "Vous avez réparti 7 points : 5 au plus." in body


# --------------------------------------------------------------------------- receipt


def _code_on(body: str) -> str:
    found = re.search(r'<code class="receipt-code">([0-9A-Z-]+)</code>', body)
    assert found, body
    return found.group(1)


def test_voting_leads_to_a_receipt_mailed_and_checkable_without_the_choices(
    client: Client,
    budget: ParticipatoryBudget,
    resident: Participant,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sign_in(client, resident)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ballot_url(budget), {"choices": ids(budget, "Jardin partagé")})
    receipt = url("participation-receipt", SIREN, budget.public_id, "global")
    assert response.status_code == 302
    assert response["Location"] == receipt
    page = client.get(receipt)
    body = page.content.decode()
    code = _code_on(body)
    ballot = Ballot.objects.get(participant=resident)
    assert code.replace("-", "") == ballot.receipt_code
    assert len(ballot.receipt_code) == 16
    assert "Jardin partagé" not in body  # the receipt never shows the choices
    assert page["Cache-Control"] == "private, no-store"
    # The e-mail: the same code, no choice.
    assert [m.to for m in mail.outbox] == [["habitante@example.org"]]
    assert code in mail.outbox[0].body
    assert "Jardin partagé" not in mail.outbox[0].body
    # Anyone holding the code checks it (typed loosely), and sees no choice nor person.
    check = url("participation-receipt-check", SIREN)
    found = Client().get(check, {"code": code.lower().replace("-", " ")}).content.decode()
    assert "en vigueur : il sera compté" in found
    assert "Jardin partagé" not in found
    assert "habitante" not in found
    # Changing the ballot issues a new code; the old one no longer matches.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ballot_url(budget), {"choices": ids(budget, "Fresque")})
    ballot.refresh_from_db()
    assert ballot.receipt_code != code.replace("-", "")
    assert len(mail.outbox) == 2
    stale = Client().get(check, {"code": code}).content.decode()
    assert "Aucun bulletin en vigueur ne correspond" in stale


def test_receipt_pages_rights(
    client: Client,
    budget: ParticipatoryBudget,
    resident: Participant,
    commune: Commune,
    zones: tuple[Zone, Zone],
    other_organisation: Organisation,
    make_staff: Any,
) -> None:
    """Receipt: its voter only (a visitor signs in first; a staff account has none; another
    resident without a ballot: 404). Check: public, but only this organisation's codes."""
    sign_in(client, resident)
    client.post(ballot_url(budget), {"choices": ids(budget, "Fresque")})
    code = Ballot.objects.get(participant=resident).receipt_code
    receipt = url("participation-receipt", SIREN, budget.public_id, "global")
    assert client.get(receipt).status_code == 200
    assert client.get(url("participation-receipt", SIREN, budget.public_id, "nord")).status_code == 404
    anonymous = Client().get(receipt)
    assert anonymous.status_code == 302
    assert "/compte/" in anonymous["Location"]
    neighbour = Client()
    sign_in(neighbour, make_resident("voisin@example.org", commune, zones[0]))
    assert neighbour.get(receipt).status_code == 404
    staff = Client()
    staff.force_login(make_staff(budget.organisation))
    assert staff.get(receipt).status_code == 302
    # The check page answers for this organisation's ballots only.
    assert (
        "en vigueur : il sera compté"
        in Client().get(url("participation-receipt-check", SIREN), {"code": code}).content.decode()
    )
    other_siren = other_organisation.siren
    elsewhere = Client().get(url("participation-receipt-check", other_siren), {"code": code})
    assert elsewhere.status_code == 200
    assert "Aucun bulletin en vigueur ne correspond" in elsewhere.content.decode()
    # Another organisation's ballot is not found at this address either.
    foreign = make_foreign_budget(other_organisation)
    voter = make_participant(other_organisation.communes.get())
    envelope = foreign.envelopes.get(code="global")
    theirs = ballot_services.cast_ballot(
        voter, envelope, [str(foreign.proposals.order_by("pk")[0].public_id)]
    )
    body = Client().get(url("participation-receipt-check", SIREN), {"code": theirs.receipt_code}).content
    assert "Aucun bulletin en vigueur ne correspond" in body.decode()


def test_moving_district_after_voting_does_not_open_a_second_district_envelope(
    client: Client, budget: ParticipatoryBudget, resident: Participant, zones: tuple[Zone, Zone]
) -> None:
    sign_in(client, resident)
    assert client.post(ballot_url(budget, "nord"), {"choices": ids(budget, "Nord 1")}).status_code == 302
    Participant.objects.filter(pk=resident.pk).update(zone=zones[1])  # the declared district changes
    response = client.post(ballot_url(budget, "sud"), {"choices": ids(budget, "Sud 1")})
    assert response.status_code == 409
    assert "déjà voté dans l&#x27;enveloppe" in response.content.decode()
    assert list(Ballot.objects.filter(participant=resident).values_list("envelope__code", flat=True)) == [
        "nord"
    ]
    # The global envelope is still open to the resident.
    assert client.post(ballot_url(budget), {"choices": ids(budget, "Fresque")}).status_code == 302
