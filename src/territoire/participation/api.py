"""Read-only public API of citizen participation (no personal data, ever).

Budgets, envelopes, proposals (hidden ones reduced to their public reason), published
results with the rule and the SHA-256 of their inputs (the Pabulib file, also served here
once the vote is closed), consultations and their published results (small counts
suppressed, moderated free texts only).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from territoire.api.common import optional_token
from territoire.core.api import ErrorOut, Page, not_found, paginate
from territoire.participation import selectors
from territoire.participation.models import Consultation, Envelope, ParticipatoryBudget
from territoire.participation.pabulib_io import public_export
from territoire.territory.models import Organisation

router = Router(tags=["participation"])


class PhaseOut(Schema):
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None


class EnvelopeOut(Schema):
    code: str
    name: str
    zone: str | None
    amount: int


class BudgetOut(Schema):
    id: str
    title: str
    description: str
    year: int
    commune: str | None
    ballot_kind: str
    min_choices: int
    max_choices: int | None
    max_points_per_project: int | None
    max_points_total: int | None
    rule: str
    satisfaction: str
    current_phase: str | None
    phases: list[PhaseOut]
    envelopes: list[EnvelopeOut]


class ProposalOut(Schema):
    """Read from ``selectors.PublicProposal``: a hidden proposal is already reduced there."""

    id: str = Field(alias="public_id")
    project_id: str = Field(alias="external_id")
    title: str
    description: str
    status: str
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


class ResultRowOut(Schema):
    project_id: str
    title: str
    cost: int
    votes: int
    points: int
    paper_votes: int
    selected: bool


class ResultOut(Schema):
    envelope: str
    rule: str
    satisfaction: str
    inputs_sha256: str
    inputs_url: str
    ballots: int
    paper_ballots: int
    selected: list[str]
    total_cost: int
    computed_at: dt.datetime
    published_at: dt.datetime
    rows: list[ResultRowOut]


class OptionResultOut(Schema):
    label: str
    count: int | None = Field(None, description="null: fewer than k respondents (suppressed)")
    percent: Decimal | None = None
    mean_rank: Decimal | None = None


class QuestionResultOut(Schema):
    text: str
    kind: str
    respondents: int | None
    options: list[OptionResultOut]
    mean: Decimal | None
    texts: list[str]


class ConsultationOut(Schema):
    id: str
    title: str
    description: str
    theme: str
    commune: str | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    answer_text: str
    decision_text: str
    answered_at: dt.datetime | None


class ConsultationResultsOut(Schema):
    consultation: ConsultationOut
    k: int
    respondents: int | None
    questions: list[QuestionResultOut]


class ListFilters(Schema):
    page: int = 1
    page_size: int = 100


def _organisation(request: HttpRequest, siren: str) -> Organisation:
    optional_token(request, "participation")
    org = Organisation.objects.filter(siren=siren).first()
    if org is None:
        raise not_found("organisation", "siren", siren)
    return org


def _budget(request: HttpRequest, siren: str, budget_id: str) -> ParticipatoryBudget:
    budget = selectors.public_budget(_organisation(request, siren), budget_id)
    if budget is None:
        raise not_found("budget", "budget_id", budget_id)
    return budget


def _envelope(budget: ParticipatoryBudget, code: str) -> Envelope:
    envelope = selectors.public_envelope(budget, code)
    if envelope is None:
        raise not_found("envelope", "envelope", code)
    return envelope


def _budget_out(b: ParticipatoryBudget) -> dict[str, Any]:
    return {
        "id": str(b.public_id),
        "title": b.title,
        "description": b.description,
        "year": b.year,
        "commune": b.commune.insee_code if b.commune else None,
        "ballot_kind": b.ballot_kind,
        "min_choices": b.min_choices,
        "max_choices": b.max_choices,
        "max_points_per_project": b.max_points_per_project,
        "max_points_total": b.max_points_total,
        "rule": b.rule,
        "satisfaction": b.satisfaction,
        "current_phase": selectors.current_phase(b),
        "phases": [{"kind": p.kind, "starts_at": p.starts_at, "ends_at": p.ends_at} for p in b.phases.all()],
        "envelopes": [
            {"code": e.code, "name": e.name, "zone": e.zone.code if e.zone else None, "amount": e.amount}
            for e in b.envelopes.all()
        ],
    }


@router.get("/organisations/{siren}/budgets", response={200: list[BudgetOut], 401: ErrorOut, 404: ErrorOut})
def list_budgets(request: HttpRequest, siren: str) -> list[dict[str, Any]]:
    return [_budget_out(b) for b in selectors.public_budgets(_organisation(request, siren))]


@router.get(
    "/organisations/{siren}/budgets/{budget_id}", response={200: BudgetOut, 401: ErrorOut, 404: ErrorOut}
)
def get_budget(request: HttpRequest, siren: str, budget_id: str) -> dict[str, Any]:
    return _budget_out(_budget(request, siren, budget_id))


@router.get(
    "/organisations/{siren}/budgets/{budget_id}/proposals",
    response={200: Page[ProposalOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def list_proposals(
    request: HttpRequest, siren: str, budget_id: str, filters: Query[ListFilters], envelope: str | None = None
) -> dict[str, Any]:
    budget = _budget(request, siren, budget_id)
    env = _envelope(budget, envelope) if envelope else None
    show_votes = selectors.results_published(budget)
    qs = selectors.proposals_queryset(budget, envelope=env, with_votes=show_votes)
    page = paginate(qs, filters.page, filters.page_size)
    page["results"] = [selectors.public_proposal(p, show_votes=show_votes) for p in page["results"]]
    return page


@router.get(
    "/organisations/{siren}/budgets/{budget_id}/results",
    response={200: list[ResultOut], 401: ErrorOut, 404: ErrorOut},
)
def list_results(request: HttpRequest, siren: str, budget_id: str) -> list[dict[str, Any]]:
    budget = _budget(request, siren, budget_id)
    base = request.path.rsplit("/results", 1)[0]
    out = []
    for res in selectors.budget_results(budget):
        result = res.result
        if result is None or result.published_at is None:  # only published results are listed
            continue
        out.append(
            {
                "envelope": res.envelope.code,
                "rule": result.rule,
                "satisfaction": result.satisfaction,
                "inputs_sha256": result.inputs_digest,
                "inputs_url": request.build_absolute_uri(f"{base}/envelopes/{res.envelope.code}/pabulib"),
                "ballots": res.ballots,
                "paper_ballots": res.paper_ballots,
                "selected": result.selected,
                "total_cost": result.total_cost,
                "computed_at": result.computed_at,
                "published_at": result.published_at,
                "rows": [
                    {
                        "project_id": r.proposal.external_id,
                        "title": r.proposal.title,
                        "cost": r.cost,
                        "votes": r.votes,
                        "points": r.points,
                        "paper_votes": r.paper_votes,
                        "selected": r.selected,
                    }
                    for r in res.rows
                ],
            }
        )
    return out


@router.get(
    "/organisations/{siren}/budgets/{budget_id}/envelopes/{code}/pabulib",
    response={200: None, 401: ErrorOut, 404: ErrorOut},
)
def pabulib_file(request: HttpRequest, siren: str, budget_id: str, code: str) -> HttpResponse:
    """The envelope's anonymised ballots in the Pabulib format, once the vote is closed:
    the exact inputs of the published result (compare its SHA-256)."""
    envelope = _envelope(_budget(request, siren, budget_id), code)
    text = public_export(envelope)
    if text is None:
        raise not_found("pabulib export (vote not closed)", "envelope", code)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{envelope.budget.year}-{envelope.code}.pb"'
    return response


def _consultation_out(c: Consultation) -> dict[str, Any]:
    return {
        "id": str(c.public_id),
        "title": c.title,
        "description": c.description,
        "theme": c.theme,
        "commune": c.commune.insee_code if c.commune else None,
        "opens_at": c.opens_at,
        "closes_at": c.closes_at,
        "answer_text": c.answer_text,
        "decision_text": c.decision_text,
        "answered_at": c.answered_at,
    }


@router.get(
    "/organisations/{siren}/consultations",
    response={200: list[ConsultationOut], 401: ErrorOut, 404: ErrorOut},
)
def list_consultations(request: HttpRequest, siren: str) -> list[dict[str, Any]]:
    return [_consultation_out(c) for c in selectors.public_consultations(_organisation(request, siren))]


@router.get(
    "/organisations/{siren}/consultations/{consultation_id}/results",
    response={200: ConsultationResultsOut, 401: ErrorOut, 404: ErrorOut},
)
def consultation_results(request: HttpRequest, siren: str, consultation_id: str) -> dict[str, Any]:
    consultation = selectors.public_consultation(_organisation(request, siren), consultation_id)
    if consultation is None or consultation.results_published_at is None:
        raise not_found("consultation results", "consultation_id", consultation_id)
    res = selectors.consultation_results(consultation)
    return {
        "consultation": _consultation_out(consultation),
        "k": res.k,
        "respondents": res.respondents,
        "questions": [
            {
                "text": q.question.text,
                "kind": q.kind,
                "respondents": q.respondents,
                "options": [
                    {"label": o.label, "count": o.count, "percent": o.percent, "mean_rank": o.mean_rank}
                    for o in q.options
                ],
                "mean": q.mean,
                "texts": q.texts,
            }
            for q in res.questions
        ],
    }
