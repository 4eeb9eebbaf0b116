"""Engagement analytics: participants per zone and per profile, contributions and votes
per theme (every count from 1 to k − 1 suppressed, totals included)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from territoire.core.disclosure import series_total, suppress_series, threshold
from territoire.participation import statistics
from territoire.participation.models import (
    AgeBand,
    Ballot,
    BallotItem,
    BallotMethod,
    Participant,
    Proposal,
    ReferenceAttribute,
    ReferencePopulation,
    Response,
    age_band_for,
)
from territoire.territory.models import Commune, Organisation, Zone

# --------------------------------------------------------------------------- engagement analytics


def _period_filter(prefix: str, since: dt.datetime | None, until: dt.datetime | None) -> Q:
    q = Q()
    if since is not None:
        q &= Q(**{f"{prefix}__gte": since})
    if until is not None:
        q &= Q(**{f"{prefix}__lt": until})
    return q


def active_participants(
    organisation: Organisation,
    *,
    commune: Commune | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Participant]:
    """Participants who responded, voted online or proposed in the organisation's
    processes during the period.

    A lazy queryset (three subqueries): callers count or group it in the database, so the
    statistics work for any number of participants (no list of ids sent back as
    parameters, which SQLite caps at 32,766).
    """
    responses = Response.objects.filter(consultation__organisation=organisation).filter(
        _period_filter("created_at", since, until)
    )
    ballots = Ballot.objects.filter(
        envelope__budget__organisation=organisation, participant__isnull=False
    ).filter(_period_filter("created_at", since, until))
    proposals = Proposal.objects.filter(budget__organisation=organisation, author__isnull=False).filter(
        _period_filter("created_at", since, until)
    )
    if commune is not None:
        responses = responses.filter(participant__commune=commune)
        ballots = ballots.filter(participant__commune=commune)
        proposals = proposals.filter(author__commune=commune)
    return Participant.objects.filter(
        Q(pk__in=responses.values("participant_id"))
        | Q(pk__in=ballots.values("participant_id"))
        | Q(pk__in=proposals.values("author_id"))
    )


@dataclass
class Analytics:
    k: int
    zones: list[Any]  # statistics.ZoneEngagement (suppressed counts are None)
    low_zones: list[Any]
    age_observed: dict[str, int | None]
    age_reference: dict[str, int]
    representativeness: Decimal | None
    themes: list[Any]
    participants_total: int | None
    paper_ballots: int | None


def zone_participation_counts(
    organisation: Organisation, participants: QuerySet[Participant]
) -> tuple[dict[str, int], dict[str, int | None]]:
    """(participants per zone label, population per zone label) for the organisation's
    zones; participants without a declared zone are not counted in any zone."""
    zones = list(
        Zone.objects.filter(commune__organisation=organisation)
        .select_related("commune")
        .order_by("commune__name", "name")
    )
    per_zone = dict(
        participants.filter(zone__isnull=False)
        .order_by()
        .values("zone_id")
        .annotate(n=Count("pk"))
        .values_list("zone_id", "n")
    )
    label = {z.pk: f"{z.name} ({z.commune.name})" for z in zones}
    return (
        {label[z.pk]: per_zone.get(z.pk, 0) for z in zones},
        {label[z.pk]: z.population for z in zones},
    )


def age_profile(participants: QuerySet[Participant], *, today: dt.date | None = None) -> dict[str, int]:
    """Active participants per age band (declared band, else from the birth year)."""

    today = today or timezone.localdate()
    counts = dict.fromkeys(AgeBand.values, 0)
    rows = (
        participants.order_by()
        .values("age_band", "birth_year")
        .annotate(n=Count("pk"))
        .values_list("age_band", "birth_year", "n")
    )
    for band, year, n in rows:
        value = band or (age_band_for(today.year - year) if year else "")
        if value:
            counts[value] += n
    return counts


def reference_profile(
    organisation: Organisation, attribute: str = ReferenceAttribute.AGE_BAND
) -> dict[str, int]:
    """Reference counts (commune-level figures, zone null) summed over the organisation."""
    rows = (
        ReferencePopulation.objects.filter(
            commune__organisation=organisation, zone__isnull=True, attribute=attribute
        )
        .values_list("category")
        .annotate(n=Sum("count"))
        .values_list("category", "n")
    )
    return {c: int(n or 0) for c, n in rows}


def theme_counts(organisation: Organisation) -> tuple[dict[str, int], dict[str, int]]:
    """(contributions, votes) per theme: proposals and consultation responses by their
    category / theme; online and paper ballot choices by the proposal's category."""
    contributions: Counter[str] = Counter()
    for theme, n in (
        Proposal.objects.filter(budget__organisation=organisation, category__isnull=False)
        .values_list("category__name")
        .annotate(n=Count("id"))
    ):
        contributions[theme] += n
    for theme, n in (
        Response.objects.filter(consultation__organisation=organisation)
        .exclude(consultation__theme="")
        .values_list("consultation__theme")
        .annotate(n=Count("id"))
    ):
        contributions[theme] += n
    votes: Counter[str] = Counter()
    for theme, n in (
        BallotItem.objects.filter(
            proposal__budget__organisation=organisation, proposal__category__isnull=False
        )
        .values_list("proposal__category__name")
        .annotate(n=Count("id"))
    ):
        votes[theme] += n
    return dict(contributions), dict(votes)


def engagement_analytics(
    organisation: Organisation,
    *,
    k: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Analytics:
    """Public engagement analytics (every count below k suppressed, totals included)."""

    k = k or threshold()
    participants = active_participants(organisation, since=since, until=until)
    per_zone, population = zone_participation_counts(organisation, participants)
    known = {zone: n for zone, n in population.items() if n is not None}
    zones = statistics.participation_rates(per_zone, known, k=k)
    observed = age_profile(participants)
    # The unknown band is a cell too: with the total published, leaving it out would let
    # a reader recover it by subtraction.
    observed_all = {**observed, "": participants.count() - sum(observed.values())}
    shown_ages = suppress_series(observed_all, k=k, total_published=True)
    reference = reference_profile(organisation)
    index = statistics.representativeness_index(observed, reference) if reference else None
    contributions, votes = theme_counts(organisation)
    themes = statistics.ranked_themes(contributions, votes, k=k)
    paper = Ballot.objects.filter(
        envelope__budget__organisation=organisation, method=BallotMethod.PAPER
    ).count()
    return Analytics(
        k=k,
        zones=list(zones),
        low_zones=[z for z in zones if getattr(z, "low", False)],
        age_observed=shown_ages,
        age_reference=reference,
        representativeness=index,
        themes=list(themes),
        participants_total=series_total(observed_all, k=k),
        paper_ballots=paper if paper == 0 or paper >= k else None,
    )
