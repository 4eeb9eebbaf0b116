"""Public read-only API: budgets, proposals, published results with their digest, the
Pabulib file, consultations; no personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from territoire.participation import services
from territoire.participation.models import PhaseKind, QuestionKind
from territoire.participation.pabulib_io import export_pabulib_text, inputs_digest
from territoire.participation.tests.factories import ids, make_budget, make_participant
from territoire.territory.models import Commune, Organisation


def _closed_budget_with_results(organisation: Organisation, commune: Commune) -> tuple[Any, list[Any]]:
    budget = make_budget(organisation, amount=60_000)
    env = budget.envelopes.get(code="global")
    voters = [make_participant(commune) for _ in range(3)]
    for voter in voters:
        services.cast_ballot(voter, env, ids(env)[:2])
    voting = budget.phases.get(kind=PhaseKind.VOTING)
    voting.ends_at = timezone.now() - dt.timedelta(seconds=1)
    voting.save()
    budget.__dict__.pop("_phase_cache", None)
    services.publish_results(services.compute_results(env))
    return budget, voters


def test_budget_endpoints(client: Client, organisation: Organisation, commune: Commune) -> None:
    budget, voters = _closed_budget_with_results(organisation, commune)
    base = f"/api/v1/organisations/{organisation.siren}/budgets"
    listing = client.get(base)
    assert listing.status_code == 200
    assert listing.json()[0]["id"] == str(budget.public_id)
    assert listing.json()[0]["envelopes"][0]["code"] == "global"
    proposals = client.get(f"{base}/{budget.public_id}/proposals?page_size=2")
    assert proposals.status_code == 200
    assert proposals.json()["count"] == 4
    assert len(proposals.json()["results"]) == 2
    results = client.get(f"{base}/{budget.public_id}/results")
    assert results.status_code == 200
    (res,) = results.json()
    env = budget.envelopes.get(code="global")
    assert res["inputs_sha256"] == inputs_digest(export_pabulib_text(env))
    assert res["rule"] == budget.rule
    assert res["ballots"] == 3
    pb = client.get(res["inputs_url"])
    assert pb.status_code == 200
    assert inputs_digest(pb.content.decode()) == res["inputs_sha256"]
    everything = listing.content + proposals.content + results.content + pb.content
    for voter in voters:
        assert voter.user.email.encode() not in everything
        assert str(voter.public_id).encode() not in everything


def test_proposals_show_their_public_fields_only(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    budget, _voters = _closed_budget_with_results(organisation, commune)
    hidden = budget.proposals.order_by("id")[0]
    hidden.hidden_at = timezone.now()
    hidden.hidden_reason = "Hors compétence"
    hidden.save()
    base = f"/api/v1/organisations/{organisation.siren}/budgets/{budget.public_id}/proposals"
    results = client.get(base).json()["results"]
    assert set(results[0]) == {
        "id",
        "project_id",
        "title",
        "description",
        "status",
        "public_reason",
        "estimated_cost",
        "category",
        "zone",
        "envelope",
        "hidden",
        "hidden_reason",
        "selected",
        "votes",
        "points",
    }
    by_id = {r["id"]: r for r in results}
    assert set(by_id) == {str(p.public_id) for p in budget.proposals.all()}
    shown = by_id[str(hidden.public_id)]
    assert shown["project_id"] == hidden.external_id
    assert (shown["hidden"], shown["hidden_reason"], shown["title"], shown["description"]) == (
        True,
        "Hors compétence",
        "",
        "",
    )
    assert sum(r["votes"] for r in results) == 6  # three ballots of two projects, published


def test_unknown_or_unpublished_is_404(client: Client, organisation: Organisation) -> None:
    budget = make_budget(organisation)  # voting in progress
    base = f"/api/v1/organisations/{organisation.siren}/budgets"
    assert client.get(f"{base}/{budget.public_id}/envelopes/global/pabulib").status_code == 404
    assert client.get(f"{base}/not-a-uuid").status_code == 404
    assert client.get("/api/v1/organisations/999999999/budgets").status_code == 404
    budget.published_at = None
    budget.save()
    assert client.get(f"{base}/{budget.public_id}").status_code == 404


def test_consultation_results_endpoint(client: Client, organisation: Organisation, commune: Commune) -> None:
    now = timezone.now()
    c = services.create_consultation(
        organisation, title="Avis", opens_at=now - dt.timedelta(days=2), closes_at=now + dt.timedelta(days=2)
    )
    q = services.add_question(c, kind=QuestionKind.SINGLE, text="?", options=["Oui", "Non"])
    yes, no = q.options.order_by("position")
    for option in [yes] * 6 + [no] * 2:
        services.submit_response(make_participant(commune), c, {q.pk: option.pk})
    url = f"/api/v1/organisations/{organisation.siren}/consultations/{c.public_id}/results"
    assert client.get(url).status_code == 404  # not published
    type(c).objects.filter(pk=c.pk).update(
        closes_at=now - dt.timedelta(seconds=1), opens_at=now - dt.timedelta(days=3)
    )
    c.refresh_from_db()
    services.publish_consultation_results(c)
    body = client.get(url).json()
    counts = {o["label"]: o["count"] for o in body["questions"][0]["options"]}
    assert counts["Non"] is None  # 2 < k
    assert counts["Oui"] is None or body["questions"][0]["respondents"] is None  # no subtraction
    listing = client.get(f"/api/v1/organisations/{organisation.siren}/consultations")
    assert listing.status_code == 200
    assert listing.json()[0]["title"] == "Avis"
