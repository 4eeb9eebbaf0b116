"""Reads of the participation module for pages, API, exports and indicators.

Public reads never return personal data: no participant, e-mail or voter identity.
Query counts are bounded whatever the number of proposals or ballots (aggregates in the
database, pagination, ``select_related``).

What is suppressed (counts from 1 to k − 1, k = ``core.disclosure.threshold()``):

- consultation results: every count of respondents (per option, per value, per rank,
  per profile), with complementary suppression against published totals;
- engagement analytics: participants per zone and per profile, contributions and votes
  per theme;
- NOT the vote counts of a budget's published result: each project's votes are public
  by nature (they are what the result is computed from, and the anonymised ballots are
  published in the Pabulib export so that anyone can recompute it). Ballots carry no
  profile, so they reveal nothing about a person.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from territoire.core.disclosure import series_total, suppress_series, suppress_table, threshold
from territoire.participation.models import (
    AbuseReport,
    Answer,
    Ballot,
    BallotItem,
    BallotMethod,
    BudgetPhase,
    Consultation,
    Envelope,
    ModerationStatus,
    Participant,
    ParticipatoryBudget,
    Proposal,
    ProposalStatus,
    Question,
    QuestionKind,
    ReferenceAttribute,
    ReferencePopulation,
    ReportStatus,
    Response,
    Result,
)
from territoire.territory.models import Commune, Organisation, Zone

PROPOSALS_PER_PAGE = 50

# --------------------------------------------------------------------------- processes


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


def public_consultations(organisation: Organisation) -> QuerySet[Consultation]:
    """Published consultations of the organisation, newest first."""
    return (
        Consultation.objects.filter(organisation=organisation, published_at__isnull=False)
        .select_related("commune", "zone")
        .order_by("-opens_at", "pk")
    )


def public_consultation(organisation: Organisation, public_id: Any) -> Consultation | None:
    try:
        return (
            public_consultations(organisation)
            .prefetch_related(
                Prefetch(
                    "questions",
                    queryset=Question.objects.prefetch_related("options").order_by("position", "pk"),
                ),
                "roadmap_projects",
                "roadmap_decisions",
            )
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, Exception):
        return None


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


# --------------------------------------------------------------------------- consultation results


@dataclass
class OptionCount:
    label: str
    count: int | None  # None: suppressed
    percent: Decimal | None = None
    mean_rank: Decimal | None = None


@dataclass
class QuestionResult:
    question: Question
    kind: str
    respondents: int | None
    options: list[OptionCount] = field(default_factory=list)
    mean: Decimal | None = None
    ranks: dict[tuple[str, int], int | None] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    hidden_texts: list[str] = field(default_factory=list)  # public reasons of hidden texts


@dataclass
class ConsultationResults:
    consultation: Consultation
    k: int
    respondents: int | None
    questions: list[QuestionResult]


def _k_for(consultation: Consultation, k: int | None) -> int:
    return k or consultation.suppression_k or threshold()


def _percent(count: int | None, total: int | None) -> Decimal | None:
    if count is None or not total:
        return None
    return (Decimal(100) * count / total).quantize(Decimal("0.1"))


def consultation_results(consultation: Consultation, *, k: int | None = None) -> ConsultationResults:
    """Results of a consultation with every count below k suppressed (and the counts that
    would give one back by subtraction). Free texts: the moderated, published ones only.

    A fixed number of queries whatever the number of responses.
    """
    k = _k_for(consultation, k)
    questions = list(consultation.questions.prefetch_related("options").order_by("position", "pk"))
    total = Response.objects.filter(consultation=consultation).count()
    respondents = total if total == 0 or total >= k else None
    option_counts = Counter(
        {
            (q, o): n
            for q, o, n in Answer.objects.filter(response__consultation=consultation, option__isnull=False)
            .values_list("question_id", "option_id")
            .annotate(n=Count("id"))
        }
    )
    rank_counts = {
        (q, o, r): n
        for q, o, r, n in Answer.objects.filter(
            response__consultation=consultation, question__kind=QuestionKind.RANKING
        )
        .values_list("question_id", "option_id", "rank")
        .annotate(n=Count("id"))
    }
    scale_counts = {
        (q, v): n
        for q, v, n in Answer.objects.filter(
            response__consultation=consultation, question__kind=QuestionKind.SCALE
        )
        .values_list("question_id", "value")
        .annotate(n=Count("id"))
    }
    answered = dict(
        Answer.objects.filter(response__consultation=consultation)
        .values_list("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    texts: dict[int, list[Answer]] = {}
    for a in (
        Answer.objects.filter(response__consultation=consultation, question__kind=QuestionKind.TEXT)
        .exclude(moderation=ModerationStatus.PENDING)
        .order_by("pk")
    ):
        texts.setdefault(a.question_id, []).append(a)
    out: list[QuestionResult] = []
    for q in questions:
        n_answered = answered.get(q.pk, 0)
        qr = QuestionResult(
            question=q, kind=q.kind, respondents=n_answered if n_answered == 0 or n_answered >= k else None
        )
        options = list(q.options.all())
        if q.kind == QuestionKind.SINGLE:
            counts = {o.pk: option_counts.get((q.pk, o.pk), 0) for o in options}
            shown = suppress_series(counts, k=k, total_published=True)
            qr.respondents = series_total(counts, k=k)
            qr.options = [
                OptionCount(o.label, shown[o.pk], _percent(shown[o.pk], qr.respondents)) for o in options
            ]
        elif q.kind == QuestionKind.MULTIPLE:
            counts = {o.pk: option_counts.get((q.pk, o.pk), 0) for o in options}
            shown = suppress_series(counts, k=k, total_published=False)
            qr.options = [
                OptionCount(o.label, shown[o.pk], _percent(shown[o.pk], qr.respondents)) for o in options
            ]
        elif q.kind == QuestionKind.RANKING:
            cells = {
                (o.pk, r): rank_counts.get((q.pk, o.pk, r), 0)
                for o in options
                for r in range(1, len(options) + 1)
            }
            table = suppress_table(cells, k=k, margins=True)
            labels = {o.pk: o.label for o in options}
            qr.ranks = {(labels[o], r): v for (o, r), v in table.cells.items()}
            for o in options:
                full = [rank_counts.get((q.pk, o.pk, r), 0) for r in range(1, len(options) + 1)]
                n = sum(full)
                mean = (
                    (Decimal(sum(r * c for r, c in enumerate(full, start=1))) / n).quantize(Decimal("0.01"))
                    if n >= k
                    else None
                )
                qr.options.append(OptionCount(o.label, table.row_totals.get(o.pk), None, mean))
        elif q.kind == QuestionKind.SCALE:
            low, high = q.scale_min or 0, q.scale_max or 0
            counts = {v: scale_counts.get((q.pk, v), 0) for v in range(low, high + 1)}
            shown = suppress_series(counts, k=k, total_published=True)
            qr.respondents = series_total(counts, k=k)
            qr.options = [OptionCount(str(v), shown[v], _percent(shown[v], qr.respondents)) for v in counts]
            n = sum(counts.values())
            if n >= k:
                qr.mean = (Decimal(sum(v * c for v, c in counts.items())) / n).quantize(Decimal("0.01"))
        else:
            for a in texts.get(q.pk, []):
                if a.moderation == ModerationStatus.PUBLISHED and a.hidden_at is None:
                    qr.texts.append(a.text)
                elif a.moderation == ModerationStatus.HIDDEN:
                    qr.hidden_texts.append(a.hidden_reason)
        out.append(qr)
    return ConsultationResults(consultation=consultation, k=k, respondents=respondents, questions=out)


def answers_to_moderate(organisation: Organisation) -> QuerySet[Answer]:
    """Staff: free-text answers awaiting moderation, oldest first."""
    return (
        Answer.objects.filter(
            response__consultation__organisation=organisation,
            question__kind=QuestionKind.TEXT,
            moderation=ModerationStatus.PENDING,
        )
        .select_related("question", "response__consultation")
        .order_by("pk")
    )


def open_reports(organisation: Organisation) -> QuerySet[AbuseReport]:
    """Staff: open abuse reports of the organisation's contributions."""
    return (
        AbuseReport.objects.filter(status=ReportStatus.OPEN)
        .filter(
            Q(proposal__budget__organisation=organisation)
            | Q(answer__response__consultation__organisation=organisation)
        )
        .select_related("proposal", "answer", "answer__question")
        .order_by("created_at")
    )


def my_response(participant: Participant | None, consultation: Consultation) -> dict[str, Any]:
    """The participant's current answers, in the shape ``submit_response`` takes."""
    if participant is None:
        return {}
    out: dict[str, Any] = {}
    rows = (
        Answer.objects.filter(response__consultation=consultation, response__participant=participant)
        .select_related("question")
        .order_by("question_id", "rank", "pk")
    )
    for a in rows:
        key = str(a.question_id)
        if a.question.kind == QuestionKind.SINGLE:
            out[key] = str(a.option_id)
        elif a.question.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
            out.setdefault(key, []).append(str(a.option_id))
        elif a.question.kind == QuestionKind.SCALE:
            out[key] = a.value
        else:
            out[key] = a.text
    return out


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
    from territoire.participation.models import AgeBand, age_band_for

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
    from territoire.participation import statistics

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


def phases_of(budget: ParticipatoryBudget) -> Sequence[BudgetPhase]:
    return sorted(budget.phases.all(), key=lambda p: p.starts_at)


def has_voted(participant: Participant | None, envelope: Envelope) -> bool:
    if participant is None:
        return False
    return Ballot.objects.filter(envelope=envelope, participant=participant).exists()


def unanswered_consultations(organisation: Organisation) -> QuerySet[Consultation]:
    """Staff: closed consultations still without an argued answer."""
    return Consultation.objects.filter(
        organisation=organisation, closes_at__lte=timezone.now(), answered_at__isnull=True
    ).annotate(has_responses=Exists(Response.objects.filter(consultation=OuterRef("pk"))))


# --------------------------------------------------------------------------- pages' reads


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
