"""Participatory budget pages: budget, submission, proposals list, proposal, ballot
(every refusal of §7 through the web form), results, staff page, privacy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from territoire.participation.models import (
    Ballot,
    BallotItem,
    BallotKind,
    Envelope,
    Participant,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    ProposalStatus,
)
from territoire.participation.services import budgets as budget_services
from territoire.participation.services import participants as participant_services
from territoire.territory.models import Commune, Organisation, Zone

PASSWORD = "un mot de passe assez long"
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}


# --------------------------------------------------------------------------- builders
# (plain functions, imported by the other test_views_* modules)


def make_zone(commune: Commune, code: str, population: int = 1000) -> Zone:
    return Zone.objects.create(
        commune=commune, code=code, name=f"Quartier {code}", geometry=SQUARE, population=population
    )


def make_resident(
    email: str, commune: Commune | None, zone: Zone | None = None, *, birth_year: int | None = 1980
) -> Participant:
    participant = participant_services.register_participant(
        email=email, password=PASSWORD, commune=commune, zone=zone, birth_year=birth_year
    )
    participant_services.verify_email(participant_services.email_verification_token(participant))
    participant.refresh_from_db()
    return participant


def sign_in(client: Client, participant: Participant) -> None:
    """Sign a resident in (no second factor: residents have none)."""
    Client.force_login(client, participant.user)


def make_budget(
    organisation: Organisation,
    *,
    phase: str = PhaseKind.VOTING,
    ballot_kind: str = BallotKind.APPROVAL,
    zones: tuple[Zone, ...] = (),
    **options: Any,
) -> ParticipatoryBudget:
    """A published budget whose phase ``phase`` is running now: a global envelope
    (100 000 €) and one envelope per zone (50 000 €)."""
    now = timezone.now()
    day = dt.timedelta(days=1)
    budget = budget_services.create_budget(
        organisation, title="Budget participatif 2026", year=2026, ballot_kind=ballot_kind, **options
    )
    order: list[str] = [
        PhaseKind.SUBMISSION,
        PhaseKind.REVIEW,
        PhaseKind.ESTIMATE,
        PhaseKind.VOTING,
        PhaseKind.RESULTS,
    ]
    current = order.index(phase)
    for index, kind in enumerate(order):
        start = now + (index - current) * 10 * day - 5 * day
        end = None if kind == PhaseKind.RESULTS else start + 10 * day
        budget_services.set_phase(budget, kind, starts_at=start, ends_at=end)
    budget_services.add_envelope(budget, code="global", name="Enveloppe globale", amount=100_000)
    for zone in zones:
        budget_services.add_envelope(
            budget, code=zone.code, name=f"Enveloppe {zone.name}", amount=50_000, zone=zone
        )
    return budget


def submission_time(budget: ParticipatoryBudget) -> dt.datetime:
    return budget.phases.get(kind=PhaseKind.SUBMISSION).starts_at + dt.timedelta(hours=1)


def add_proposals(
    budget: ParticipatoryBudget,
    author: Participant,
    costs: list[int],
    *,
    zone: Zone | None = None,
    prefix: str = "Projet",
) -> list[Proposal]:
    """Eligible, estimated proposals (submitted in the submission window)."""
    when = submission_time(budget)
    proposals = []
    for index, cost in enumerate(costs):
        proposal = budget_services.submit_proposal(
            author, budget, title=f"{prefix} {index + 1}", zone=zone, now=when
        )
        budget_services.review_proposal(proposal, eligible=True)
        budget_services.estimate_cost(proposal, cost=cost)
        proposals.append(proposal)
    return proposals


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


@pytest.fixture
def zones(commune: Commune) -> tuple[Zone, Zone]:
    return make_zone(commune, "nord"), make_zone(commune, "sud")


@pytest.fixture
def resident(commune: Commune, zones: tuple[Zone, Zone]) -> Participant:
    return make_resident("habitante@example.org", commune, zones[0])


@pytest.fixture
def voting_budget(
    organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> ParticipatoryBudget:
    budget = make_budget(organisation, zones=zones, max_choices=2, phase=PhaseKind.SUBMISSION)
    add_proposals(budget, resident, [40_000, 30_000, 20_000])
    add_proposals(budget, resident, [10_000], zone=zones[0], prefix="Nord")
    add_proposals(budget, resident, [10_000], zone=zones[1], prefix="Sud")
    _move_to(budget, PhaseKind.VOTING)
    return budget


def _move_to(budget: ParticipatoryBudget, phase: str) -> None:
    """Shift the budget's phases so that ``phase`` runs now (setup only)."""
    now = timezone.now()
    running = budget.phases.get(kind=phase)
    shift = now - (running.starts_at + dt.timedelta(days=5))
    for item in budget.phases.all():
        budget_services.set_phase(
            budget,
            item.kind,
            starts_at=item.starts_at + shift,
            ends_at=item.ends_at + shift if item.ends_at else None,
        )


def ballot_url(budget: ParticipatoryBudget, envelope: str = "global") -> str:
    return url("participation-ballot", "200000001", budget.public_id, envelope)


def ids(budget: ParticipatoryBudget, *titles: str) -> list[str]:
    by_title = {p.title: str(p.public_id) for p in Proposal.objects.filter(budget=budget)}
    return [by_title[t] for t in titles]


# --------------------------------------------------------------------------- pages


def test_budget_list_and_page_show_the_timeline_and_envelopes(
    client: Client, voting_budget: ParticipatoryBudget
) -> None:
    response = client.get(url("participation-budgets", "200000001"))
    assert response.status_code == 200
    assert voting_budget.title in response.content.decode()

    response = client.get(url("participation-budget", "200000001", voting_budget.public_id))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="step"' in body
    assert "Vote" in body
    assert "Enveloppe globale" in body
    assert "Enveloppe Quartier nord" in body
    assert "100 000" in body or "100\u00a0000" in body


def test_unknown_or_other_organisation_budget_is_404(
    client: Client, voting_budget: ParticipatoryBudget, other_organisation: Organisation
) -> None:
    assert client.get(url("participation-budget", "200000002", voting_budget.public_id)).status_code == 404
    assert (
        client.get(
            url("participation-budget", "200000001", "00000000-0000-0000-0000-000000000000")
        ).status_code
        == 404
    )


def test_draft_budget_is_not_public(client: Client, organisation: Organisation) -> None:
    budget = budget_services.create_budget(organisation, title="Brouillon", year=2026, publish=False)
    assert client.get(url("participation-budget", "200000001", budget.public_id)).status_code == 404
    assert "Brouillon" not in client.get(url("participation-budgets", "200000001")).content.decode()


# --------------------------------------------------------------------------- submission


def test_resident_submits_a_proposal(
    client: Client, organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> None:
    budget = make_budget(organisation, zones=zones, phase=PhaseKind.SUBMISSION)
    sign_in(client, resident)
    response = client.post(
        url("participation-submit", "200000001", budget.public_id),
        {"title": "Des bancs au parc", "description": "Trois bancs.", "zone": zones[0].pk},
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(budget=budget)
    assert proposal.title == "Des bancs au parc"
    assert proposal.envelope.code == "nord"
    page = client.get(response["Location"])
    assert "Des bancs au parc" in page.content.decode()
    assert "déposée" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "obligatoire"),
        ({"title": "x" * 301}, "300"),
        ({"title": "Ok", "zone": "999999"}, "choix valide"),
    ],
)
def test_bad_proposal_input_is_refused(
    client: Client,
    organisation: Organisation,
    zones: tuple[Zone, Zone],
    resident: Participant,
    data: dict[str, Any],
    message: str,
) -> None:
    budget = make_budget(organisation, zones=zones, phase=PhaseKind.SUBMISSION)
    sign_in(client, resident)
    response = client.post(url("participation-submit", "200000001", budget.public_id), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_proposal_outside_submission_phase_or_anonymous_is_refused(
    client: Client, voting_budget: ParticipatoryBudget, resident: Participant, organisation: Organisation
) -> None:
    before = Proposal.objects.count()
    submit = url("participation-submit", "200000001", voting_budget.public_id)
    response = client.post(submit, {"title": "Anonyme"})
    assert response.status_code == 403
    sign_in(client, resident)
    response = client.post(submit, {"title": "Trop tard"})
    assert response.status_code == 403
    assert "n&#x27;est pas ouvert" in response.content.decode()
    assert Proposal.objects.count() == before


# --------------------------------------------------------------------------- proposals list and page


def test_proposals_list_filters_and_paginates(
    client: Client, voting_budget: ParticipatoryBudget, zones: tuple[Zone, Zone]
) -> None:
    base = url("participation-proposals", "200000001", voting_budget.public_id)
    body = client.get(base).content.decode()
    assert "5 propositions" in body
    body = client.get(base, {"zone": zones[0].pk}).content.decode()
    assert "Nord 1" in body
    assert "Sud 1" not in body
    body = client.get(base, {"status": "rejected"}).content.decode()
    assert "Aucune proposition" in body
    # Unknown filter values are ignored, not a 500.
    assert client.get(base, {"zone": "abc", "page": "zz"}).status_code == 200


def test_rejected_proposal_shows_its_public_reason(
    client: Client, organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> None:
    budget = make_budget(organisation, zones=zones, phase=PhaseKind.SUBMISSION)
    proposal = budget_services.submit_proposal(resident, budget, title="Un golf")
    budget_services.review_proposal(proposal, eligible=False, reason="Hors compétence de la commune.")
    body = client.get(url("participation-proposal", "200000001", proposal.public_id)).content.decode()
    assert "non recevable" in body
    assert "Hors compétence de la commune." in body


def test_report_abuse_needs_a_resident_and_a_reason(
    client: Client, voting_budget: ParticipatoryBudget, commune: Commune
) -> None:
    proposal = Proposal.objects.filter(budget=voting_budget).first()
    assert proposal is not None
    report = url("participation-report", "200000001", proposal.public_id)
    assert client.post(report, {"reason": "Spam"}).status_code == 403
    reporter = make_resident("voisin@example.org", commune)
    sign_in(client, reporter)
    response = client.post(report, {"reason": ""})
    assert response.status_code == 400
    assert not proposal.abuse_reports.exists()
    response = client.post(report, {"reason": "Propos injurieux"})
    assert response.status_code == 302
    assert proposal.abuse_reports.count() == 1


def test_proposals_list_query_count_is_constant_with_5000_proposals(
    client: Client,
    voting_budget: ParticipatoryBudget,
    zones: tuple[Zone, Zone],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    envelope = Envelope.objects.get(budget=voting_budget, code="global")
    category = budget_services.add_category(voting_budget, code="vert", name="Nature en ville")
    Proposal.objects.bulk_create(
        Proposal(
            budget=voting_budget,
            envelope=envelope,
            external_id=f"bulk-{i}",
            zone=zones[i % 2],
            category=category if i % 3 == 0 else None,
            title=f"Proposition en masse {i}",
            status=ProposalStatus.ELIGIBLE if i % 4 else ProposalStatus.SUBMITTED,
            estimated_cost=1000 + i,
        )
        for i in range(5000)
    )
    base = url("participation-proposals", "200000001", voting_budget.public_id)
    with django_assert_max_num_queries(12):
        response = client.get(base, {"page": "40", "category": "vert"})
    assert response.status_code == 200
    assert "Page 34 sur 34" in response.content.decode()
    with django_assert_max_num_queries(12):
        response = client.get(base, {"page": 2})
    assert response.content.decode().count('href="/t/200000001/participer/propositions/') == 50
    assert len(response.content) < 150 * 1024


# --------------------------------------------------------------------------- ballots


def test_resident_votes_then_changes_the_ballot(
    client: Client, voting_budget: ParticipatoryBudget, resident: Participant
) -> None:
    sign_in(client, resident)
    page = client.get(ballot_url(voting_budget))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Choisissez de 1 à 2 projets." in body
    assert "<legend>" in body

    response = client.post(ballot_url(voting_budget), {"choices": ids(voting_budget, "Projet 1")})
    assert response.status_code == 302
    ballot = Ballot.objects.get(participant=resident)
    assert [i.proposal.title for i in ballot.items.all()] == ["Projet 1"]

    page = client.get(ballot_url(voting_budget))
    assert "Modifier mon bulletin" in page.content.decode()
    response = client.post(ballot_url(voting_budget), {"choices": ids(voting_budget, "Projet 2", "Projet 3")})
    assert response.status_code == 302
    assert Ballot.objects.filter(participant=resident).count() == 1
    assert sorted(i.proposal.title for i in BallotItem.objects.filter(ballot__participant=resident)) == [
        "Projet 2",
        "Projet 3",
    ]


def _refused(response: Any, status: int, text: str) -> None:
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    assert "Bulletin refusé" in body
    assert text in body, body


def test_ballot_refusals_count_nothing(
    client: Client,
    voting_budget: ParticipatoryBudget,
    resident: Participant,
    organisation: Organisation,
    other_organisation: Organisation,
    commune: Commune,
) -> None:
    sign_in(client, resident)
    # Too many projects (max 2).
    _refused(
        client.post(
            ballot_url(voting_budget), {"choices": ids(voting_budget, "Projet 1", "Projet 2", "Projet 3")}
        ),
        422,
        "au plus 2 projets",
    )
    # Nothing chosen.
    _refused(client.post(ballot_url(voting_budget), {}), 422, "au moins 1 projet")
    # A project of another zone's envelope, posted to the global envelope.
    _refused(
        client.post(ballot_url(voting_budget), {"choices": ids(voting_budget, "Nord 1")}),
        400,
        "hors de cette enveloppe",
    )
    # A project of the other zone's envelope, posted to that envelope (resident lives in "nord").
    _refused(
        client.post(ballot_url(voting_budget, "sud"), {"choices": ids(voting_budget, "Sud 1")}),
        403,
        "quartier",
    )
    # Tampered ids: not a project at all, or a duplicate.
    _refused(client.post(ballot_url(voting_budget), {"choices": ["not-a-uuid"]}), 400, "Projet inconnu")
    one = ids(voting_budget, "Projet 1")[0]
    _refused(client.post(ballot_url(voting_budget), {"choices": [one, one]}), 400, "deux fois")
    assert not Ballot.objects.exists()
    # Unknown envelope: 404.
    assert client.post(ballot_url(voting_budget, "inconnue"), {"choices": [one]}).status_code == 404


def test_second_ballot_replaces_the_first(
    client: Client, voting_budget: ParticipatoryBudget, resident: Participant
) -> None:
    sign_in(client, resident)
    for titles in (("Projet 1",), ("Projet 2",)):
        assert (
            client.post(ballot_url(voting_budget), {"choices": ids(voting_budget, *titles)}).status_code
            == 302
        )
    assert Ballot.objects.filter(participant=resident, envelope__code="global").count() == 1


def test_ineligible_and_anonymous_voters_are_refused(
    client: Client, voting_budget: ParticipatoryBudget, other_organisation: Organisation
) -> None:
    choice = {"choices": ids(voting_budget, "Projet 1")}
    _refused(client.post(ballot_url(voting_budget), choice), 403, "Connectez-vous")
    outsider = make_resident("ailleurs@example.org", other_organisation.communes.get())
    sign_in(client, outsider)
    _refused(client.post(ballot_url(voting_budget), choice), 403, "habitants du territoire")
    unverified = participant_services.register_participant(
        email="pas-confirme@example.org", password=PASSWORD, commune=Commune.objects.get(insee_code="99101")
    )
    sign_in(client, unverified)
    _refused(client.post(ballot_url(voting_budget), choice), 403, "Confirmez")
    assert not Ballot.objects.exists()


def test_vote_outside_the_voting_phase_is_refused(
    client: Client, organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> None:
    budget = make_budget(organisation, zones=zones, phase=PhaseKind.SUBMISSION)
    add_proposals(budget, resident, [1000])
    sign_in(client, resident)
    response = client.post(ballot_url(budget), {"choices": ids(budget, "Projet 1")})
    _refused(response, 403, "Le vote n&#x27;est pas ouvert")
    assert not Ballot.objects.exists()
    assert "Le vote n'est pas ouvert." in client.get(ballot_url(budget)).content.decode()


def test_knapsack_over_budget_is_refused_and_shows_the_total(
    client: Client, organisation: Organisation, zones: tuple[Zone, Zone], resident: Participant
) -> None:
    budget = make_budget(
        organisation, zones=zones, ballot_kind=BallotKind.KNAPSACK, phase=PhaseKind.SUBMISSION
    )
    add_proposals(budget, resident, [60_000, 50_000, 30_000])
    _move_to(budget, PhaseKind.VOTING)
    sign_in(client, resident)
    page = client.get(ballot_url(budget)).content.decode()
    assert 'data-envelope-amount="100000"' in page
    assert 'id="ballot-totals"' in page
    assert "ballot.js" in page
    response = client.post(ballot_url(budget), {"choices": ids(budget, "Projet 1", "Projet 2")})
    _refused(response, 422, "dépasse l&#x27;enveloppe")
    assert "110" in response.content.decode()  # the server-side total of the refused choice
    assert not Ballot.objects.exists()
    assert (
        client.post(ballot_url(budget), {"choices": ids(budget, "Projet 1", "Projet 3")}).status_code == 302
    )


def test_cumulative_points_ballot(
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
    add_proposals(budget, resident, [1000, 2000, 3000])
    _move_to(budget, PhaseKind.VOTING)
    sign_in(client, resident)
    first, second, third = ids(budget, "Projet 1", "Projet 2", "Projet 3")
    page = client.get(ballot_url(budget)).content.decode()
    assert f'name="points_{first}"' in page
    _refused(client.post(ballot_url(budget), {f"points_{first}": "4"}), 422, "3 points par projet")
    _refused(
        client.post(ballot_url(budget), {f"points_{first}": "3", f"points_{second}": "3"}), 422, "5 au plus"
    )
    _refused(client.post(ballot_url(budget), {f"points_{first}": "-1"}), 400, "points invalide")
    _refused(client.post(ballot_url(budget), {f"points_{first}": "abc"}), 400, "points invalide")
    assert not Ballot.objects.exists()
    response = client.post(
        ballot_url(budget), {f"points_{first}": "3", f"points_{second}": "2", f"points_{third}": ""}
    )
    assert response.status_code == 302
    assert sorted(BallotItem.objects.values_list("points", flat=True)) == [2, 3]


def test_withdraw_ballot(client: Client, voting_budget: ParticipatoryBudget, resident: Participant) -> None:
    sign_in(client, resident)
    client.post(ballot_url(voting_budget), {"choices": ids(voting_budget, "Projet 1")})
    assert Ballot.objects.count() == 1
    assert client.post(ballot_url(voting_budget), {"withdraw": "1"}).status_code == 302
    assert not Ballot.objects.exists()


# --------------------------------------------------------------------------- privacy


def test_no_participant_identity_on_public_pages(
    client: Client, voting_budget: ParticipatoryBudget, resident: Participant
) -> None:
    voter = Client()
    sign_in(voter, resident)
    voter.post(ballot_url(voting_budget), {"choices": ids(voting_budget, "Projet 1")})
    proposal = Proposal.objects.filter(budget=voting_budget).first()
    assert proposal is not None
    pages = [
        url("participation-index", "200000001"),
        url("participation-budgets", "200000001"),
        url("participation-budget", "200000001", voting_budget.public_id),
        url("participation-proposals", "200000001", voting_budget.public_id),
        url("participation-proposal", "200000001", proposal.public_id),
        url("participation-engagement", "200000001"),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "habitante@example.org" not in response.content.decode(), path
        assert "habitante" not in response.content.decode(), path


def test_hidden_proposal_shows_only_its_public_reason(
    client: Client,
    voting_budget: ParticipatoryBudget,
    organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    from territoire.participation.services import moderation

    proposal = Proposal.objects.get(budget=voting_budget, title="Projet 3")
    moderation.hide_contribution(
        proposal=proposal, reason="Données personnelles", actor=make_staff(organisation)
    )
    body = client.get(url("participation-proposal", "200000001", proposal.public_id)).content.decode()
    assert "Proposition masquée" in body
    assert "Données personnelles" in body
    assert "Projet 3" not in body
    listing = client.get(
        url("participation-proposals", "200000001", voting_budget.public_id)
    ).content.decode()
    assert "Projet 3" not in listing
    assert "Projet 3" not in client.get(ballot_url(voting_budget)).content.decode()


def test_pages_exist_in_english_too(client: Client, voting_budget: ParticipatoryBudget) -> None:
    budget_path = url("participation-budget", "200000001", voting_budget.public_id)
    index_path = url("participation-index", "200000001")
    # Restore the thread's language afterwards: the English request activates English.
    with translation.override("fr"):
        response = client.get("/en" + budget_path)
        index = client.get("/en" + index_path)
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
    assert index.status_code == 200
