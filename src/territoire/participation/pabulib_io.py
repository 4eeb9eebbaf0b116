"""Between the database and the Pabulib format (https://pabulib.org/format).

``export_pabulib(envelope)`` is the public, anonymised record of an envelope's vote: the
projects on the ballot and every ballot, voters numbered 1..n in an order that reveals
nothing (sorted by the ballot's random public id), no personal data, and a
``voting_method`` column (``internet``, ``paper`` or ``imported``) so that paper ballots
entered by staff stay distinguishable. Results are computed from exactly this text, and
its SHA-256 is published with them. The file holds the inputs only (no ``selected``
column): it is the same before and after the results, so its digest stays checkable;
the outcome is published beside it.

Reads only; the import of a file as a budget is a write: ``services.pabulib``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from django.utils import timezone

from territoire.participation.models import (
    Ballot,
    BallotItem,
    BallotKind,
    BallotMethod,
    BudgetCategory,
    Envelope,
    PhaseKind,
    Proposal,
    ProposalStatus,
)
from territoire.participation.pabulib import PbFile, PbProject, PbVote, dump_pabulib
from territoire.participation.selectors.budgets import voting_closed

HIDDEN_NAME = "[contenu masqué]"
METHOD_LABELS = {
    BallotMethod.ONLINE: "internet",
    BallotMethod.PAPER: "paper",
    BallotMethod.IMPORTED: "imported",
}


def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y") if value else ""


def export_pabulib(envelope: Envelope) -> PbFile:
    """The public Pabulib record of ``envelope`` (a few queries, streamed ballots)."""
    budget = envelope.budget
    proposals = list(
        Proposal.objects.filter(
            envelope=envelope, status=ProposalStatus.ELIGIBLE, estimated_cost__isnull=False
        )
        .select_related("category")
        .order_by("pk")
    )
    by_pk = {p.pk: p for p in proposals}
    cumulative = budget.ballot_kind == BallotKind.CUMULATIVE

    methods: dict[int, str] = {}
    order: list[int] = []
    for ballot_id, method in (
        Ballot.objects.filter(envelope=envelope)
        .order_by("public_id")
        .values_list("pk", "method")
        .iterator(2000)
    ):
        methods[ballot_id] = METHOD_LABELS.get(BallotMethod(method), method)
        order.append(ballot_id)
    choices: dict[int, list[tuple[int, int]]] = defaultdict(list)
    votes: dict[int, int] = defaultdict(int)
    scores: dict[int, int] = defaultdict(int)
    items = (
        BallotItem.objects.filter(ballot__envelope=envelope)
        .order_by("ballot_id", "proposal_id")
        .values_list("ballot_id", "proposal_id", "points")
    )
    for ballot_id, proposal_id, points in items.iterator(10_000):
        if proposal_id not in by_pk:
            continue  # not on the ballot any more (cannot happen once votes exist)
        choices[ballot_id].append((proposal_id, points))
        votes[proposal_id] += 1
        scores[proposal_id] += points

    pb_votes: list[PbVote] = []
    number = 0
    for ballot_id in order:
        chosen = choices.get(ballot_id)
        if not chosen:
            continue
        number += 1
        pb_votes.append(
            PbVote(
                voter_id=str(number),
                vote=tuple(by_pk[pid].external_id for pid, _points in chosen),
                points=tuple(points for _pid, points in chosen) if cumulative else None,
                extra={"voting_method": methods[ballot_id]},
            )
        )
    projects = {
        p.external_id: PbProject(
            project_id=p.external_id,
            cost=int(p.estimated_cost or 0),
            name=HIDDEN_NAME if p.hidden_at else p.title.replace("\n", " "),
            categories=(p.category.code,) if p.category else (),
            votes=votes.get(p.pk, 0),
            score=scores.get(p.pk, 0) if cumulative else None,
        )
        for p in proposals
    }

    voting = budget.phases.filter(kind=PhaseKind.VOTING).first()
    place = budget.commune or (envelope.zone.commune if envelope.zone else None)
    meta: dict[str, str] = {
        "description": f"{budget.title} — {envelope.name}",
        "country": "France",
        "unit": place.name if place else budget.organisation.name,
        "instance": str(budget.year),
    }
    if envelope.zone is not None:
        meta["subunit"] = envelope.zone.name
    meta.update(
        {
            "num_projects": str(len(projects)),
            "num_votes": str(len(pb_votes)),
            "budget": str(envelope.amount),
            "vote_type": "cumulative" if cumulative else "approval",
            "rule": budget.rule,
            "satisfaction": budget.satisfaction,
            "language": "fr",
            "currency": "EUR",
        }
    )
    if voting is not None:
        meta["date_begin"] = _date(voting.starts_at)
        meta["date_end"] = _date(voting.ends_at)
    if budget.ballot_kind == BallotKind.APPROVAL:
        meta["min_length"] = str(budget.min_choices)
        if budget.max_choices is not None:
            meta["max_length"] = str(budget.max_choices)
    elif budget.ballot_kind == BallotKind.KNAPSACK:
        meta["max_sum_cost"] = str(envelope.amount)
    else:
        meta["max_points"] = str(budget.max_points_per_project or 0)
        meta["max_sum_points"] = str(budget.max_points_total or 0)
    capped = [c for c in BudgetCategory.objects.filter(budget=budget).order_by("code") if c.cap is not None]
    if capped:
        meta["categories"] = ",".join(c.code for c in capped)
        meta["budget_per_category"] = ",".join(str(c.cap) for c in capped)
    paper = sum(1 for v in pb_votes if v.extra.get("voting_method") == "paper")
    meta["num_paper_votes"] = str(paper)
    return PbFile(meta=meta, projects=projects, votes=pb_votes)


def export_pabulib_text(envelope: Envelope) -> str:
    """The text of the public Pabulib file of ``envelope``."""
    return dump_pabulib(export_pabulib(envelope))


def inputs_digest(text: str) -> str:
    """The SHA-256 (hex) of a Pabulib text, as published with a result."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_with_digest(envelope: Envelope) -> tuple[str, str]:
    text = export_pabulib_text(envelope)
    return text, inputs_digest(text)


def public_export(envelope: Envelope) -> str | None:
    """The Pabulib file offered to the public: only once the vote is closed (None before)."""
    if envelope.budget.published_at is None or not voting_closed(envelope.budget):
        return None
    return export_pabulib_text(envelope)
