"""Reads of the participation pages that ``participation.selectors`` does not offer (yet).

Read-only, bounded query counts; published processes only, scoped to the URL's
organisation (a commune's page shows its own processes and the organisation-wide ones).
Nothing here returns a participant's identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, Q

from territoire.participation.models import (
    Ballot,
    Envelope,
    Participant,
    ParticipatoryBudget,
    Proposal,
    Response,
    Result,
)
from territoire.territory.models import Organisation


def public_proposal(organisation: Organisation, public_id: UUID) -> Proposal | None:
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
class Activity:
    responses: list[Response]
    ballots: list[Ballot]
    proposals: list[Proposal]


def participant_activity(participant: Participant) -> Activity:
    """What the signed-in resident did (their own page only)."""
    return Activity(
        responses=list(Response.objects.filter(participant=participant).select_related("consultation")),
        ballots=list(Ballot.objects.filter(participant=participant).select_related("envelope__budget")),
        proposals=list(Proposal.objects.filter(author=participant).select_related("budget")),
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
    from territoire.participation.models import AbuseReport, BallotMethod, ReportStatus

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
    reports = AbuseReport.objects.filter(proposal__budget=budget, status=ReportStatus.OPEN).count()
    return by_status, rows, reports
