"""Pabulib import and export: round trip with the real files, anonymity, paper flag."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from territoire.participation import services
from territoire.participation.errors import ParticipationError
from territoire.participation.models import Ballot, BallotKind, BallotMethod, PhaseKind, Proposal
from territoire.participation.pabulib import parse_pabulib
from territoire.participation.pabulib_io import (
    export_pabulib,
    export_pabulib_text,
    inputs_digest,
    public_export,
)
from territoire.participation.rules import election_from_pabulib, tally
from territoire.participation.services.pabulib import import_pabulib
from territoire.participation.tests.factories import ids, make_budget, make_participant
from territoire.territory.models import Commune, Organisation

DATA = Path("/work/shared/data/pabulib")
if not DATA.exists():  # the repository's copy
    DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "pabulib"
TOULOUSE = DATA / "France_Toulouse_2019.pb"
WARSAW = DATA / "Poland_Warszawa_2023_Bemowo.pb"

pytestmark = pytest.mark.skipif(not TOULOUSE.exists(), reason="Pabulib sample files not available")


def _ballots(pb: Any) -> Counter[tuple[tuple[str, int], ...]]:
    """The multiset of ballots, each as sorted (project, points) pairs (voter ids ignored)."""
    return Counter(tuple(sorted(zip(v.vote, v.points or (1,) * len(v.vote), strict=True))) for v in pb.votes)


def test_toulouse_round_trip(organisation: Organisation, commune: Commune) -> None:
    original = parse_pabulib(TOULOUSE.read_bytes())
    budget = import_pabulib(original, organisation=organisation, commune=commune, source_name=TOULOUSE.name)
    assert budget.ballot_kind == BallotKind.CUMULATIVE
    assert (budget.max_points_per_project, budget.max_points_total) == (3, 7)
    envelope = budget.envelopes.get()
    assert envelope.amount == 1_000_000
    assert Proposal.objects.filter(budget=budget).count() == len(original.projects) == 30
    assert Ballot.objects.filter(envelope=envelope).count() == len(original.votes)
    text = export_pabulib_text(envelope)
    again = parse_pabulib(text)
    assert _ballots(again) == _ballots(original)
    assert {p: (q.cost, q.votes, q.score) for p, q in again.projects.items()} == {
        p: (q.cost, q.votes, q.score) for p, q in original.projects.items()
    }
    # Voter ids are renumbered: nothing of the original identifiers survives.
    assert [v.voter_id for v in again.votes] == [str(i) for i in range(1, len(again.votes) + 1)]
    # The same rule on the export and on the original gives the same winners.
    for rule in ("greedy", "mes-complete"):
        assert (
            tally(election_from_pabulib(again), rule).selected
            == tally(election_from_pabulib(original), rule).selected
        )
    # Exporting twice gives the same bytes (the published digest is stable).
    assert inputs_digest(export_pabulib_text(envelope)) == inputs_digest(text)


def test_warsaw_approval_import(organisation: Organisation) -> None:
    original = parse_pabulib(WARSAW.read_bytes())
    budget = import_pabulib(original, organisation=organisation)
    assert budget.ballot_kind == BallotKind.APPROVAL
    assert (budget.min_choices, budget.max_choices) == (1, 15)
    envelope = budget.envelopes.get()
    assert envelope.code == "bemowo"
    # Warsaw flags paper ballots: they stay flagged.
    paper = sum(1 for v in original.votes if v.extra.get("voting_method") == "paper")
    assert Ballot.objects.filter(envelope=envelope, method=BallotMethod.PAPER).count() == paper
    again = export_pabulib(envelope)
    assert _ballots(again) == _ballots(original)
    assert sum(1 for v in again.votes if v.extra["voting_method"] == "paper") == paper
    # No personal column (age, sex) is exported.
    assert all(set(v.extra) == {"voting_method"} for v in again.votes)


def test_export_is_anonymous_and_flags_paper(
    organisation: Organisation, commune: Commune, make_staff: Any
) -> None:
    budget = make_budget(
        organisation, ballot_kind=BallotKind.CUMULATIVE, max_points_per_project=3, max_points_total=4
    )
    env = budget.envelopes.get(code="global")
    a, b, _c, _d = ids(env)
    voters = [make_participant(commune) for _ in range(3)]
    for voter in voters:
        services.cast_ballot(voter, env, {a: 3, b: 1})
    services.enter_paper_ballot(env, {b: 2}, actor=make_staff(organisation, role="agent"))
    text = export_pabulib_text(env)
    for voter in voters:
        assert voter.user.email not in text
        assert str(voter.public_id) not in text
    pb = parse_pabulib(text)
    assert pb.meta["vote_type"] == "cumulative"
    assert pb.meta["num_paper_votes"] == "1"
    assert Counter(v.extra["voting_method"] for v in pb.votes) == {"internet": 3, "paper": 1}
    assert pb.projects[env.proposals.get(public_id=a).external_id].score == 9


def test_public_export_only_after_the_vote(organisation: Organisation) -> None:
    budget = make_budget(organisation, phase=PhaseKind.VOTING)
    assert public_export(budget.envelopes.get(code="global")) is None
    closed = make_budget(organisation, phase=PhaseKind.RESULTS)
    assert public_export(closed.envelopes.get(code="global")) is not None


def test_unsupported_vote_type_is_refused(organisation: Organisation) -> None:
    pb = parse_pabulib(
        "META\nkey;value\nbudget;100\nvote_type;ordinal\nPROJECTS\nproject_id;cost\n1;10\nVOTES\nvoter_id;vote\n1;1\n"
    )
    with pytest.raises(ParticipationError, match="ordinal"):
        import_pabulib(pb, organisation=organisation)
    assert not Proposal.objects.exists()
