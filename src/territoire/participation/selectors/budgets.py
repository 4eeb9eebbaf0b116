"""Reads of participatory budgets: published budgets, phases, proposals, ballots,
results and the staff dashboard.

The vote counts of a budget's published result are NOT suppressed: each project's votes
are public by nature (they are what the result is computed from, and the anonymised
ballots are published in the Pabulib export so that anyone can recompute it). Ballots
carry no profile, so they reveal nothing about a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from territoire.participation.models import (
    AbuseReport,
    AbuseReportStatus,
    Ballot,
    BallotItem,
    BallotMethod,
    BudgetPhase,
    Envelope,
    Participant,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
)
from territoire.territory.models import Organisation

PROPOSALS_PER_PAGE = 50


def public_budgets(organisation: Organisation) -> QuerySet[ParticipatoryBudget]:
    """Published budgets of the organisation, newest first, with their phases."""
    return (
        ParticipatoryBudget.objects.filter(organisation=organisation, published_at__isnull=False)
        .select_related("commune", "zone")
        .prefetch_related(Prefetch("phases", queryset=BudgetPhase.objects.order_by("starts_at")))
        .prefetch_related(
            Prefetch("envelopes", queryset=Envelope.objects.select_related("zone").order_by("code"))
        )
        .annotate(
            proposal_count=Count("proposals", filter=Q(proposals__hidden_at__isnull=True), distinct=True)
        )
        .order_by("-year", "title")
    )


def public_budget(organisation: Organisation, public_id: Any) -> ParticipatoryBudget | None:
    """A published budget of the organisation by its public id, or None (→ 404)."""
    try:
        return public_budgets(organisation).filter(public_id=public_id).first()
    except (ValueError, TypeError, Exception):  # a malformed UUID is "not found"
        return None


def public_envelope(budget: ParticipatoryBudget, code: str) -> Envelope | None:
    return Envelope.objects.select_related("budget", "zone").filter(budget=budget, code=code).first()


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class PublicProposal:
    """A proposal as the public sees it: a hidden one keeps only its public reason."""

    public_id: str
    external_id: str
    title: str
    description: str
    status: str
    status_label: str
    public_reason: str
    estimated_cost: int | None
    category: str
    zone: str
    envelope: str
    hidden: bool
    hidden_reason: str
    selected: bool
    votes: int | None
    points: int | None
    roadmap_project_id: str | None


def public_proposal(p: Proposal, *, show_votes: bool) -> PublicProposal:
    hidden = p.hidden_at is not None
    return PublicProposal(
        public_id=str(p.public_id),
        external_id=p.external_id,
        title="" if hidden else p.title,
        description="" if hidden else p.description,
        status=p.status,
        status_label=str(p.get_status_display()),
        public_reason=p.public_reason,
        estimated_cost=p.estimated_cost,
        category=p.category.name if p.category else "",
        zone=p.zone.name if p.zone else "",
        envelope=p.envelope.name,
        hidden=hidden,
        hidden_reason=p.hidden_reason,
        selected=p.selected,
        votes=getattr(p, "vote_count", None) if show_votes else None,
        points=getattr(p, "point_total", None) if show_votes else None,
        roadmap_project_id=str(p.roadmap_project.public_id)
        if p.roadmap_project_id and p.roadmap_project
        else None,
    )


def proposals_queryset(
    budget: ParticipatoryBudget,
    *,
    envelope: Envelope | None = None,
    status: str | None = None,
    category: str | None = None,
    search: str = "",
    with_votes: bool = False,
) -> QuerySet[Proposal]:
    qs = Proposal.objects.filter(budget=budget).select_related(
        "category", "zone", "envelope", "roadmap_project"
    )
    if envelope is not None:
        qs = qs.filter(envelope=envelope)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category__code=category)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(description__icontains=search), hidden_at__isnull=True)
    if with_votes:
        qs = qs.annotate(vote_count=Count("ballot_items"), point_total=Sum("ballot_items__points"))
    return qs.order_by("pk")


def results_published(budget: ParticipatoryBudget) -> bool:
    return Result.objects.filter(envelope__budget=budget, published_at__isnull=False).exists()


def proposals_page(
    budget: ParticipatoryBudget,
    *,
    envelope: Envelope | None = None,
    status: str | None = None,
    category: str | None = None,
    search: str = "",
    page: int | str = 1,
    per_page: int = PROPOSALS_PER_PAGE,
) -> tuple[Page[Any], list[PublicProposal]]:
    """One page of the public list of proposals (constant number of queries).

    Vote counts appear only once a result of the budget is published (no running tally
    during the vote).
    """
    show_votes = results_published(budget)
    qs = proposals_queryset(
        budget, envelope=envelope, status=status, category=category, search=search, with_votes=show_votes
    )
    paginator = Paginator(qs, per_page)
    page_obj = paginator.get_page(page)
    return page_obj, [public_proposal(p, show_votes=show_votes) for p in page_obj.object_list]


def ballot_proposals(envelope: Envelope) -> list[PublicProposal]:
    """The proposals a participant can choose in ``envelope`` (eligible, estimated, shown)."""
    qs = (
        Proposal.objects.filter(
            envelope=envelope,
            status=ProposalStatus.ELIGIBLE,
            estimated_cost__isnull=False,
            hidden_at__isnull=True,
        )
        .select_related("category", "zone", "envelope", "roadmap_project")
        .order_by("category__name", "title", "pk")
    )
    return [public_proposal(p, show_votes=False) for p in qs]


def ballot_of(participant: Participant | None, envelope: Envelope) -> dict[str, int]:
    """The participant's current choices in ``envelope``: proposal public id → points."""
    if participant is None:
        return {}
    items = BallotItem.objects.filter(ballot__envelope=envelope, ballot__participant=participant).values_list(
        "proposal__public_id", "points"
    )
    return {str(pid): points for pid, points in items}


def ballots_of(participant: Participant | None, budget: ParticipatoryBudget) -> dict[str, dict[str, int]]:
    """All the participant's choices in the budget, by envelope code."""
    if participant is None:
        return {}
    result: dict[str, dict[str, int]] = {}
    items = BallotItem.objects.filter(
        ballot__envelope__budget=budget, ballot__participant=participant
    ).values_list("ballot__envelope__code", "proposal__public_id", "points")
    for code, pid, points in items:
        result.setdefault(code, {})[str(pid)] = points
    return result


# --------------------------------------------------------------------------- results


@dataclass
class ResultRow:
    proposal: PublicProposal
    cost: int
    votes: int
    points: int
    paper_votes: int
    selected: bool


@dataclass
class EnvelopeResults:
    envelope: Envelope
    result: Result | None
    rows: list[ResultRow]
    ballots: int
    paper_ballots: int
    online_ballots: int
    selected_cost: int
    rule_label: str
    satisfaction_label: str


def published_result(envelope: Envelope) -> Result | None:
    return Result.objects.filter(envelope=envelope, published_at__isnull=False).first()


def envelope_results(envelope: Envelope, *, result: Result | None = None) -> EnvelopeResults | None:
    """The published result of ``envelope`` with every project's votes (a handful of
    queries whatever the number of proposals or ballots), or None if not published.

    Staff pass ``result`` to preview a computed, unpublished result.
    """
    result = result or published_result(envelope)
    if result is None:
        return None
    paper = Q(ballot_items__ballot__method=BallotMethod.PAPER)
    qs = (
        Proposal.objects.filter(
            envelope=envelope, status=ProposalStatus.ELIGIBLE, estimated_cost__isnull=False
        )
        .select_related("category", "zone", "envelope", "roadmap_project")
        .annotate(
            vote_count=Count("ballot_items"),
            point_total=Sum("ballot_items__points"),
            paper_count=Count("ballot_items", filter=paper),
        )
    )
    selected = set(result.selected)
    rows = [
        ResultRow(
            proposal=public_proposal(p, show_votes=True),
            cost=int(p.estimated_cost or 0),
            votes=int(p.vote_count),
            points=int(p.point_total or 0),
            paper_votes=int(p.paper_count),
            selected=p.external_id in selected,
        )
        for p in qs
    ]
    rows.sort(key=lambda r: (not r.selected, -r.points, -r.votes, r.proposal.external_id))
    return EnvelopeResults(
        envelope=envelope,
        result=result,
        rows=rows,
        ballots=result.ballot_count,
        paper_ballots=result.paper_ballot_count,
        online_ballots=result.ballot_count - result.paper_ballot_count,
        selected_cost=result.total_cost,
        rule_label=str(Result(rule=result.rule).get_rule_display()),
        satisfaction_label=str(Result(satisfaction=result.satisfaction).get_satisfaction_display()),
    )


def budget_results(budget: ParticipatoryBudget) -> list[EnvelopeResults]:
    """Published results of every envelope of the budget."""
    out = []
    for envelope in budget.envelopes.select_related("budget", "zone").order_by("code"):
        res = envelope_results(envelope)
        if res is not None:
            out.append(res)
    return out


def results_to_review(budget: ParticipatoryBudget) -> QuerySet[Result]:
    """Staff: every computation of the budget's envelopes, newest first."""
    return Result.objects.filter(envelope__budget=budget).select_related("envelope").order_by("-computed_at")


def phases_of(budget: ParticipatoryBudget) -> Sequence[BudgetPhase]:
    return sorted(budget.phases.all(), key=lambda p: p.starts_at)


def has_voted(participant: Participant | None, envelope: Envelope) -> bool:
    if participant is None:
        return False
    return Ballot.objects.filter(envelope=envelope, participant=participant).exists()


def online_ballot(participant: Participant | None, envelope: Envelope) -> Ballot | None:
    """The participant's online ballot in ``envelope`` (for its receipt), or None."""
    if participant is None:
        return None
    return Ballot.objects.filter(envelope=envelope, participant=participant).first()


def ballot_by_receipt(organisation: Organisation, code: str) -> Ballot | None:
    """The current online ballot whose receipt code is ``code``, in a published budget of
    ``organisation``; None when no ballot (or no longer: changed or withdrawn) has it."""
    if not code:
        return None
    return (
        Ballot.objects.filter(
            receipt_code=code,
            method=BallotMethod.ONLINE,
            envelope__budget__organisation=organisation,
            envelope__budget__published_at__isnull=False,
        )
        .select_related("envelope__budget")
        .first()
    )


def published_proposal(organisation: Organisation, public_id: UUID) -> Proposal | None:
    """A proposal of a published budget of ``organisation`` (a hidden one included: its
    page shows the public reason instead of its text)."""
    return (
        Proposal.objects.filter(
            public_id=public_id, budget__organisation=organisation, budget__published_at__isnull=False
        )
        .select_related("budget", "envelope", "zone", "category", "roadmap_project")
        .first()
    )


@dataclass
class EnvelopeDashboard:
    envelope: Envelope
    ballots: int
    paper_ballots: int
    latest: Result | None
    published: Result | None


def budget_dashboard(budget: ParticipatoryBudget) -> tuple[dict[str, int], list[EnvelopeDashboard], int]:
    """Staff summary: proposals by status, per envelope ballots and results, open reports."""
    by_status = dict(
        Proposal.objects.filter(budget=budget)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    envelopes = list(budget.envelopes.all())
    ballots = {
        row["envelope_id"]: row
        for row in Ballot.objects.filter(envelope__in=envelopes)
        .values("envelope_id")
        .annotate(total=Count("pk"), paper=Count("pk", filter=Q(method=BallotMethod.PAPER)))
    }
    latest: dict[int, Result] = {}
    published: dict[int, Result] = {}
    for result in Result.objects.filter(envelope__in=envelopes).order_by("computed_at", "pk"):
        latest[result.envelope_id] = result
        if result.published_at is not None:
            published[result.envelope_id] = result
    rows = [
        EnvelopeDashboard(
            envelope=e,
            ballots=int(ballots.get(e.pk, {}).get("total", 0)),
            paper_ballots=int(ballots.get(e.pk, {}).get("paper", 0)),
            latest=latest.get(e.pk),
            published=published.get(e.pk),
        )
        for e in envelopes
    ]
    reports = AbuseReport.objects.filter(proposal__budget=budget, status=AbuseReportStatus.OPEN).count()
    return by_status, rows, reports


# --------------------------------------------------------------------------- phases


def phase_windows(budget: ParticipatoryBudget) -> dict[str, BudgetPhase]:
    """The budget's phases by kind (read once per budget object)."""
    cached: dict[str, BudgetPhase] | None = getattr(budget, "_phase_cache", None)
    if cached is None:
        cached = {p.kind: p for p in budget.phases.all()}
        budget._phase_cache = cached  # type: ignore[attr-defined]
    return cached


def current_phase(budget: ParticipatoryBudget, now: dt.datetime | None = None) -> str | None:
    """The phase in progress (the one started last among those containing ``now``)."""
    now = now or timezone.now()
    running = [p for p in phase_windows(budget).values() if p.contains(now)]
    return max(running, key=lambda p: p.starts_at).kind if running else None


def voting_closed(budget: ParticipatoryBudget, now: dt.datetime | None = None) -> bool:
    """True once the vote is over (or for an imported budget without a voting phase)."""
    now = now or timezone.now()
    voting = phase_windows(budget).get(PhaseKind.VOTING)
    if voting is None:
        return bool(budget.imported_from)
    return voting.ends_at is not None and now >= voting.ends_at


def votable_proposals(envelope: Envelope) -> dict[str, Proposal]:
    """Proposals on the ballot of ``envelope``, by public id: eligible, estimated, shown."""
    qs = Proposal.objects.filter(
        envelope=envelope,
        status=ProposalStatus.ELIGIBLE,
        estimated_cost__isnull=False,
        hidden_at__isnull=True,
    )
    return {str(p.public_id): p for p in qs}
