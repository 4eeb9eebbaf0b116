"""Staff page of a budget (compute and publish results), the public results page, the
Pabulib inputs download, and the results page's query count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from territoire.participation.models import (
    Ballot,
    BallotMethod,
    Envelope,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    Result,
)
from territoire.participation.services import results as result_services
from territoire.participation.tests.test_views_budgets import (
    _move_to,
    add_proposals,
    ballot_url,
    ids,
    make_budget,
    make_resident,
    make_zone,
    sign_in,
    url,
)
from territoire.territory.models import Commune, Organisation, Role


@pytest.fixture
def closed_budget(organisation: Organisation, commune: Commune) -> ParticipatoryBudget:
    """A budget whose vote is over: 6 residents voted in the global envelope."""
    zone = make_zone(commune, "nord")
    author = make_resident("autrice@example.org", commune, zone)
    budget = make_budget(
        organisation, zones=(zone,), max_choices=2, phase=PhaseKind.SUBMISSION, rule="greedy"
    )
    add_proposals(budget, author, [60_000, 30_000, 20_000])
    _move_to(budget, PhaseKind.VOTING)
    voter = Client()
    for index in range(6):
        resident = make_resident(f"votant{index}@example.org", commune, zone)
        sign_in(voter, resident)
        titles = ("Projet 1", "Projet 2") if index < 4 else ("Projet 3",)
        assert voter.post(ballot_url(budget), {"choices": ids(budget, *titles)}).status_code == 302
    _move_to(budget, PhaseKind.RESULTS)
    return budget


def staff_url(budget: ParticipatoryBudget) -> str:
    return url("participation-staff-budget", "200000001", budget.public_id)


def test_staff_publish_results_then_the_public_sees_them(
    client: Client, closed_budget: ParticipatoryBudget, make_staff: Callable[..., Any]
) -> None:
    results = url("participation-results", "200000001", closed_budget.public_id)
    assert Client().get(results).status_code == 404  # nothing published yet
    client.force_login(make_staff(closed_budget.organisation))
    page = client.get(staff_url(closed_budget)).content.decode()
    assert "Calculer et publier les résultats" in page
    assert '<td class="num">6</td>' in page  # ballots of the global envelope
    response = client.post(staff_url(closed_budget), {"envelope": "global"})
    assert response.status_code == 302
    assert Result.objects.filter(envelope__code="global", published_at__isnull=False).count() == 1

    public = Client()
    body = public.get(results).content.decode()
    assert "Projet 1" in body
    assert "retenu" in body
    assert "glouton" in body.lower()  # the rule, in plain words
    assert "tant que son coût tient" in body
    assert "territoire participation tally 2026-global.pb --rule greedy" in body
    assert "votant" not in body
    assert "autrice" not in body
    selected = Proposal.objects.filter(budget=closed_budget, selected=True).values_list("title", flat=True)
    assert set(selected) == {"Projet 1", "Projet 2"}

    download = public.get(url("participation-pabulib", "200000001", closed_budget.public_id, "global"))
    assert download.status_code == 200
    text = download.content.decode()
    assert text.startswith("META")
    assert "votant" not in text
    assert "@" not in text.split("VOTES")[-1]


def test_staff_page_is_refused_to_others(
    client: Client,
    closed_budget: ParticipatoryBudget,
    make_staff: Callable[..., Any],
    other_organisation: Organisation,
) -> None:
    assert client.get(staff_url(closed_budget)).status_code == 302  # anonymous: to the sign-in page
    client.force_login(make_staff(other_organisation))
    assert client.get(staff_url(closed_budget)).status_code == 404
    client.force_login(make_staff(closed_budget.organisation, role=Role.ELU))
    assert client.post(staff_url(closed_budget), {"envelope": "global"}).status_code == 404
    assert not Result.objects.exists()


def test_results_cannot_be_published_before_the_vote_closes(
    client: Client, organisation: Organisation, commune: Commune, make_staff: Callable[..., Any]
) -> None:
    budget = make_budget(organisation, phase=PhaseKind.VOTING)
    client.force_login(make_staff(organisation))
    response = client.post(staff_url(budget), {"envelope": "global"})
    assert response.status_code == 409
    assert not Result.objects.exists()
    assert client.post(staff_url(budget), {"envelope": "inconnue"}).status_code == 400
    assert (
        client.get(url("participation-pabulib", "200000001", budget.public_id, "global")).status_code == 404
    )


def test_results_page_query_count_does_not_grow_with_ballots(
    client: Client,
    closed_budget: ParticipatoryBudget,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    envelope = Envelope.objects.get(budget=closed_budget, code="global")
    result = result_services.compute_results(envelope)
    result_services.publish_results(result)
    results = url("participation-results", "200000001", closed_budget.public_id)
    with django_assert_max_num_queries(20) as few:
        assert client.get(results).status_code == 200
    proposals = list(Proposal.objects.filter(envelope=envelope))
    ballots = Ballot.objects.bulk_create(
        Ballot(envelope=envelope, method=BallotMethod.IMPORTED, external_voter_id=f"x{i}") for i in range(300)
    )
    from territoire.participation.models import BallotItem

    BallotItem.objects.bulk_create(
        BallotItem(ballot=b, proposal=proposals[i % 3]) for i, b in enumerate(ballots)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(results + "?again").status_code == 200
