"""Budgets: proposals, review, estimate, results (compute, publish, recompute), winners
into the roadmap, and concurrent ballots."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from territoire.core.models import AuditEvent
from territoire.participation import selectors, services
from territoire.participation.errors import ParticipationError
from territoire.participation.models import Ballot, BallotItem, PhaseKind, ProposalStatus, Result
from territoire.participation.pabulib import parse_pabulib
from territoire.participation.pabulib_io import export_pabulib_text, inputs_digest
from territoire.participation.rules import election_from_pabulib, tally
from territoire.participation.tests.factories import ids, make_budget, make_participant, make_zone
from territoire.roadmap.models import Project
from territoire.territory.models import Commune, Organisation


def test_proposal_lifecycle(organisation: Organisation, commune: Commune, make_staff: Any) -> None:
    zone = make_zone(commune, "centre")
    budget = make_budget(organisation, phase=PhaseKind.SUBMISSION, zones=[zone])
    author = make_participant(commune, zone=zone)
    proposal = services.submit_proposal(
        author, budget, title="Bancs au parc", description="Des bancs.", zone=zone
    )
    assert proposal.envelope.code == "centre"
    assert proposal.external_id == str(proposal.pk)
    assert proposal.status == ProposalStatus.SUBMITTED
    staff = make_staff(organisation)
    with pytest.raises(ParticipationError, match="motif public"):
        services.review_proposal(proposal, eligible=False, reason=" ", actor=staff)
    services.review_proposal(proposal, eligible=False, reason="Relève du département.", actor=staff)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert proposal.public_reason == "Relève du département."
    with pytest.raises(ParticipationError, match="recevable"):
        services.estimate_cost(proposal, cost=1000, actor=staff)
    services.review_proposal(proposal, eligible=True, actor=staff)
    with pytest.raises(ParticipationError, match="dépasse"):
        services.estimate_cost(proposal, cost=10**9, actor=staff)
    services.estimate_cost(proposal, cost=12_000, actor=staff)
    proposal.refresh_from_db()
    assert proposal.estimated_cost == 12_000
    assert AuditEvent.objects.filter(action="participation.review_proposal").count() == 2
    # Another organisation's staff cannot touch it (404, nothing revealed).
    outsider = make_staff(Organisation.objects.create(siren="200000009", name="X", kind="CC", slug="x"))
    with pytest.raises(ParticipationError) as exc:
        services.estimate_cost(proposal, cost=1, actor=outsider)
    assert exc.value.status == 404


def test_submission_outside_phase_and_bad_input(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, phase=PhaseKind.VOTING)
    with pytest.raises(ParticipationError, match="dépôt des propositions n'est pas ouvert"):
        services.submit_proposal(make_participant(commune), budget, title="X")
    open_budget = make_budget(organisation, phase=PhaseKind.SUBMISSION)
    with pytest.raises(ParticipationError) as exc:
        services.submit_proposal(make_participant(commune), open_budget, title="  ")
    assert exc.value.field == "title"
    other = make_budget(organisation, phase=PhaseKind.SUBMISSION)
    with pytest.raises(ParticipationError) as exc:
        services.submit_proposal(
            make_participant(commune), open_budget, title="Y", envelope=other.envelopes.get(code="global")
        )
    assert exc.value.field == "envelope"


def _vote(env: Any, commune: Commune, choices: list[list[int]]) -> None:
    refs = ids(env)
    for ballot in choices:
        services.cast_ballot(make_participant(commune), env, [refs[i] for i in ballot])


def _close_vote(budget: Any) -> None:
    voting = budget.phases.get(kind=PhaseKind.VOTING)
    voting.ends_at = timezone.now() - dt.timedelta(seconds=1)
    voting.save()
    budget.__dict__.pop("_phase_cache", None)


def test_results_are_computed_from_the_public_export(
    organisation: Organisation, commune: Commune, make_staff: Any
) -> None:
    # Costs 40k, 30k, 20k, 10k; envelope 60k. Votes: P1 ×3, P2 ×2, P3 ×2, P4 ×1.
    budget = make_budget(organisation, amount=60_000, rule="greedy", max_choices=2)
    env = budget.envelopes.get(code="global")
    _vote(env, commune, [[0, 1], [0, 2], [0, 3], [1, 2]])
    staff = make_staff(organisation)
    with pytest.raises(ParticipationError, match="après la clôture"):
        services.compute_results(env, actor=staff)
    _close_vote(budget)
    env.refresh_from_db()
    result = services.compute_results(env, actor=staff)
    # Greedy by votes: P1 (40k), then P2 (30k) does not fit, P3 (20k) fits: 60k.
    p1, _p2, p3, _p4 = (p.external_id for p in env.proposals.order_by("pk"))
    assert result.selected == [p1, p3]
    assert result.total_cost == 60_000
    assert result.ballot_count == 4
    text = export_pabulib_text(env)
    assert result.inputs_digest == inputs_digest(text)
    # Anyone recomputes it from the published file.
    assert tally(election_from_pabulib(parse_pabulib(text)), "greedy").selected == result.selected
    assert selectors.envelope_results(env) is None  # not published yet
    services.publish_results(result, actor=staff)
    shown = selectors.envelope_results(env)
    assert shown is not None
    assert [r.proposal.external_id for r in shown.rows if r.selected] == [p1, p3]
    assert {r.proposal.external_id: r.votes for r in shown.rows}[p1] == 3
    assert set(env.proposals.filter(selected=True).values_list("external_id", flat=True)) == {p1, p3}
    # Recompute with another rule and publish it: one published result at a time.
    mes = services.compute_results(env, actor=staff, rule="mes-complete")
    services.publish_results(mes, actor=staff)
    assert Result.objects.filter(envelope=env, published_at__isnull=False).get() == mes
    # Winners become roadmap projects, once.
    projects = services.implement_winners(env, actor=staff)
    assert {p.title for p in projects} == set(
        env.proposals.filter(selected=True).values_list("title", flat=True)
    )
    assert all(p.axis.code == "participation" for p in projects)
    assert services.implement_winners(env, actor=staff) == []
    assert Project.objects.filter(participatory_proposal__envelope=env).count() == len(projects)


def test_publish_refuses_stale_result(organisation: Organisation, commune: Commune, make_staff: Any) -> None:
    budget = make_budget(organisation, amount=60_000)
    env = budget.envelopes.get(code="global")
    _vote(env, commune, [[0], [1]])
    _close_vote(budget)
    staff = make_staff(organisation, role="agent")
    result = services.compute_results(env, actor=staff)
    services.enter_paper_ballot(env, ids(env)[2:3], actor=staff)  # late paper ballot
    with pytest.raises(ParticipationError, match="recalculez"):
        services.publish_results(result, actor=staff)
    fresh = services.compute_results(env, actor=staff)
    assert fresh.paper_ballot_count == 1
    services.publish_results(fresh, actor=staff)
    with pytest.raises(ParticipationError, match="publiés"):
        services.enter_paper_ballot(env, ids(env)[:1], actor=staff)


def test_greedy_caps_uses_category_caps(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, amount=100_000, rule="greedy-caps", costs=(40_000, 30_000, 20_000))
    env = budget.envelopes.get(code="global")
    culture = services.add_category(budget, code="culture", name="Culture", cap=50_000)
    p1, p2, p3 = env.proposals.order_by("pk")
    for p in (p1, p2):
        p.category = culture
        p.save()
    _vote(env, commune, [[0, 1], [0, 1], [1, 2]])
    _close_vote(budget)
    result = services.compute_results(env)
    # P2 (3 votes, culture 30k) then P1 (2 votes, culture 40k: 70k > cap 50k, skipped), P3.
    assert result.selected == [p2.external_id, p3.external_id]


def test_concurrent_ballots_leave_exactly_one(
    organisation: Organisation, commune: Commune, transactional_db: Any
) -> None:
    """Two submissions of the same person at once: one ballot, the items of one of them."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers (IMMEDIATE transactions); the race needs PostgreSQL")
    budget = make_budget(organisation, max_choices=1)
    env = budget.envelopes.get(code="global")
    voter = make_participant(commune)
    refs = ids(env)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def vote(ref: str) -> None:
        try:
            barrier.wait()
            services.cast_ballot(voter, env, [ref])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(ref,)) for ref in refs[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Ballot.objects.filter(envelope=env, participant=voter).count() == 1
    assert BallotItem.objects.filter(ballot__envelope=env).count() == 1


def test_periodic_task_computes_closed_envelopes(organisation: Organisation, commune: Commune) -> None:
    from territoire.participation.tasks import compute_closed_envelopes

    open_budget = make_budget(organisation)
    closed = make_budget(organisation, phase=PhaseKind.RESULTS)
    _vote(open_budget.envelopes.get(), commune, [[0]])
    assert compute_closed_envelopes.call() == {"computed": 1, "failed": 0}
    assert Result.objects.filter(envelope__budget=closed, published_at__isnull=True).count() == 1
    assert not Result.objects.filter(envelope__budget=open_budget).exists()
    assert compute_closed_envelopes.call() == {"computed": 0, "failed": 0}


def test_public_lists_have_constant_query_counts(organisation: Organisation, commune: Commune) -> None:
    """Proposals list and results: the same number of queries for 5 or 60 proposals."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure(n: int) -> tuple[int, int]:
        budget = make_budget(organisation, amount=10**7, costs=[1000 + i for i in range(n)])
        env = budget.envelopes.get(code="global")
        refs = ids(env)
        for voter in range(3):
            services.cast_ballot(make_participant(commune), env, refs[voter::3][:5])
        _close_vote(budget)
        services.publish_results(services.compute_results(env))
        budget = selectors.public_budgets(organisation).get(pk=budget.pk)
        with CaptureQueriesContext(connection) as listing:
            selectors.proposals_page(budget, page=1, per_page=50)
        with CaptureQueriesContext(connection) as results:
            selectors.budget_results(budget)
        return len(listing), len(results)

    assert measure(5) == measure(60)
