"""Reads about one resident: what they did (their own page only)."""

from __future__ import annotations

from dataclasses import dataclass

from territoire.participation.models import (
    Ballot,
    Participant,
    Proposal,
    Response,
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
