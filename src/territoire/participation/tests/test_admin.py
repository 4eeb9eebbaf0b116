"""Back-office: pages load, records are scoped per organisation, actions call services."""

from __future__ import annotations

from typing import Any

from django.test import Client

from territoire.participation.models import Proposal, ProposalStatus, Result
from territoire.participation.tests.factories import make_budget, make_participant
from territoire.participation.tests.test_services_budgets import _close_vote, _vote
from territoire.territory.models import Commune, Organisation

PAGES = [
    "participatorybudget",
    "proposal",
    "ballot",
    "result",
    "consultation",
    "question",
    "answer",
    "abusereport",
    "referencepopulation",
]


def test_changelists_load_and_are_scoped(
    client: Client, organisation: Organisation, other_organisation: Organisation, make_staff: Any
) -> None:
    mine = make_budget(organisation)
    theirs = make_budget(other_organisation)
    client.force_login(make_staff(organisation))
    for page in PAGES:
        response = client.get(f"/admin/participation/{page}/")
        assert response.status_code == 200, page
    listing = client.get("/admin/participation/proposal/").content.decode()
    assert mine.proposals.order_by("pk")[0].title in listing
    other = theirs.proposals.order_by("pk")[0]
    # Another organisation's proposal: the admin answers exactly as for one that does not
    # exist, 404.
    foreign = client.get(f"/admin/participation/proposal/{other.pk}/change/")
    missing = client.get(
        f"/admin/participation/proposal/{Proposal.objects.order_by('-pk')[0].pk + 1000}/change/"
    )
    assert foreign.status_code == missing.status_code == 404


def test_actions_go_through_services(
    client: Client, organisation: Organisation, commune: Commune, make_staff: Any
) -> None:
    budget = make_budget(organisation, amount=60_000)
    client.force_login(make_staff(organisation))
    env = budget.envelopes.get()
    _vote(env, commune, [[0], [1]])
    _close_vote(budget)
    response = client.post(
        "/admin/participation/participatorybudget/",
        {"action": "compute_results", "_selected_action": [budget.pk]},
    )
    assert response.status_code == 302
    result = Result.objects.get(envelope=env)
    client.post("/admin/participation/result/", {"action": "publish", "_selected_action": [result.pk]})
    result.refresh_from_db()
    assert result.published_at is not None
    # Rejecting without a reason is refused by the service: nothing changes.
    proposal = Proposal.objects.create(
        budget=budget, envelope=env, external_id="new", title="Nouveau", author=make_participant(commune)
    )
    client.post(
        "/admin/participation/proposal/",
        {"action": "reject_with_reason", "_selected_action": [proposal.pk]},
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED
