"""Participatory budget pages: list, budget with its phases, proposal submission, the
proposals list, a proposal (with "report abuse"), results with the public inputs (.pb)
to recompute them. The ballot and its receipt are in ``ballots.py``.

Every refusal of the services (outside the phase, ineligible, over budget, another
zone's project, tampered ids…) is shown with its message and the status it carries;
the services check everything before writing, so nothing is counted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from territoire.core.http import client_ip
from territoire.core.ratelimit import rate_limited
from territoire.participation import explanations, forms, pabulib_io, selectors
from territoire.participation.eligibility import check_eligibility
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    PHASE_ORDER,
    Envelope,
    ParticipatoryBudget,
    PhaseKind,
    ResultRule,
)
from territoire.participation.services import budgets as budget_services
from territoire.participation.services import moderation as moderation_services
from territoire.participation.views.common import Place, page, place
from territoire.territory.models import Zone

PROPOSALS_PER_PAGE = 50

RULE_EXPLANATIONS = {
    ResultRule.GREEDY: _(
        "Les projets sont pris du plus soutenu au moins soutenu ; un projet est retenu tant "
        "que son coût tient dans ce qui reste de l'enveloppe, sinon on passe au suivant."
    ),
    ResultRule.GREEDY_CAPS: _(
        "Comme la règle gloutonne (du plus soutenu au moins soutenu, tant que l'enveloppe le "
        "permet), en respectant en plus le plafond de chaque catégorie."
    ),
    ResultRule.MES: _(
        "Méthode des parts égales : l'enveloppe est partagée à parts égales entre les votants ; "
        "un projet est retenu quand ses soutiens peuvent le payer ensemble avec leurs parts, en "
        "commençant par celui qui coûte le moins à chacun. Chaque groupe de votants obtient ainsi "
        "une part des projets proportionnelle à sa taille."
    ),
    ResultRule.MES_COMPLETE: _(
        "Méthode des parts égales (voir ci-dessus), puis, s'il reste de l'argent, les parts sont "
        "augmentées pas à pas et le reste est attribué selon la règle gloutonne."
    ),
}
METHOD_DOC_URL = "https://equalshares.net/"


# --------------------------------------------------------------------------- helpers


def _budget(where: Place, budget_id: UUID) -> ParticipatoryBudget:
    budget = selectors.public_budget(where.organisation, budget_id)
    if budget is None:
        raise Http404("unknown budget")
    return budget


def _envelope(budget: ParticipatoryBudget, code: str) -> Envelope:
    envelope = next((e for e in budget.envelopes.all() if e.code == code), None)
    if envelope is None:
        raise Http404("unknown envelope")
    envelope.budget = budget  # the services read budget rules through it: no extra query
    return envelope


def _timeline(budget: ParticipatoryBudget) -> tuple[list[dict[str, Any]], str | None]:
    windows = selectors.phase_windows(budget)
    current = selectors.current_phase(budget)
    labels = dict(PhaseKind.choices)
    steps = [
        {"kind": kind, "label": labels[kind], "window": windows.get(kind), "current": kind == current}
        for kind in PHASE_ORDER
        if kind in windows
    ]
    return steps, current


def phase_label(budget: ParticipatoryBudget) -> str:
    current = selectors.current_phase(budget)
    return str(dict(PhaseKind.choices)[current]) if current else ""


# --------------------------------------------------------------------------- pages


def budget_list(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    budgets = list(selectors.public_budgets(where.organisation))
    for budget in budgets:
        budget.phase_label = phase_label(budget)  # type: ignore[attr-defined]
    return page(request, "budgets/list.html", where, budgets=budgets)


def votable_envelopes(where: Place, budget: ParticipatoryBudget) -> list[Envelope]:
    """The envelopes of ``budget`` the signed-in resident may vote in (none for a visitor)."""
    if where.resident is None:
        return []
    return [e for e in budget.envelopes.all() if not check_eligibility(where.resident, budget, envelope=e)]


def detail(request: HttpRequest, scope_code: str, budget_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    steps, current = _timeline(budget)
    voting = current == PhaseKind.VOTING
    voted = selectors.ballots_of(where.resident, budget) if voting else {}
    # Only the envelopes the resident may vote in are offered; the others say who votes there.
    votable = {e.pk for e in votable_envelopes(where, budget)} if voting else set()
    envelopes = [
        {"envelope": e, "voted": e.code in voted, "may_vote": e.pk in votable} for e in budget.envelopes.all()
    ]
    reasons = (
        check_eligibility(where.resident, budget)
        if current in (PhaseKind.SUBMISSION, PhaseKind.VOTING)
        else []
    )
    return page(
        request,
        "budgets/detail.html",
        where,
        budget=budget,
        process=budget,
        steps=steps,
        current=current,
        envelopes=envelopes,
        reasons=reasons,
        has_results=selectors.results_published(budget),
    )


@require_http_methods(["GET", "POST"])
@rate_limited("public_write")
def submit(request: HttpRequest, scope_code: str, budget_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    steps, current = _timeline(budget)
    open_now = current == PhaseKind.SUBMISSION
    reasons = check_eligibility(where.resident, budget)
    form = forms.ProposalForm(request.POST or None, budget=budget)
    status = 200
    refusal = ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                proposal = budget_services.submit_proposal(
                    where.resident,
                    budget,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data.get("description") or "",
                    zone=form.cleaned_data.get("zone"),
                    category=form.cleaned_data.get("category"),
                    ip_address=client_ip(request),
                )
            except ParticipationError as error:
                if error.field in form.fields:
                    forms.apply_error(form, error)
                else:
                    refusal = error.message
                status = error.status
            else:
                messages.success(
                    request,
                    _("Votre proposition est déposée. Elle sera examinée par les services avant le vote."),
                )
                return HttpResponseRedirect(
                    reverse("participation-proposal", args=[scope_code, proposal.public_id])
                )
    return page(
        request,
        "budgets/submit.html",
        where,
        status=status,
        budget=budget,
        process=budget,
        steps=steps,
        open_now=open_now,
        reasons=reasons,
        form=form,
        refusal=refusal,
    )


def proposals(request: HttpRequest, scope_code: str, budget_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    zones = list(
        Zone.objects.filter(commune__organisation_id=budget.organisation_id)
        .order_by("name")
        .only("pk", "name")
    )
    categories = list(budget.categories.all())
    filters = forms.ProposalFilterForm(request.GET or None, zones=zones, categories=categories)
    data: dict[str, Any] = {}
    if filters.is_bound:
        filters.is_valid()  # an unknown value is ignored (a stale link is not an error)
        data = {key: value for key, value in filters.cleaned_data.items() if value}
    show_votes = selectors.results_published(budget)
    qs = selectors.proposals_queryset(
        budget,
        status=data.get("status") or None,
        category=data.get("category") or None,
        with_votes=show_votes,
    )
    if data.get("zone"):
        qs = qs.filter(zone_id=int(data["zone"]))
    page_obj = Paginator(qs, PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    query = {key: str(data[key]) for key in ("zone", "category", "status") if data.get(key)}
    return page(
        request,
        "budgets/proposals.html",
        where,
        budget=budget,
        filters=filters,
        page_obj=page_obj,
        proposals=page_obj.object_list,
        show_votes=show_votes,
        query_prefix=urlencode(query) + "&" if query else "",
    )


def _proposal(where: Place, proposal_id: UUID) -> Any:
    proposal = selectors.published_proposal(where.organisation, proposal_id)
    if proposal is None:
        raise Http404("unknown proposal")
    return proposal


def proposal(request: HttpRequest, scope_code: str, proposal_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    item = _proposal(where, proposal_id)
    return page(
        request,
        "budgets/proposal.html",
        where,
        proposal=item,
        budget=item.budget,
        form=forms.AbuseReportForm(),
    )


@require_POST
@rate_limited("public_write")
def report_abuse(request: HttpRequest, scope_code: str, proposal_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    item = _proposal(where, proposal_id)
    form = forms.AbuseReportForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            moderation_services.report_abuse(
                where.resident,
                proposal=item,
                reason=form.cleaned_data["reason"],
                ip_address=client_ip(request),
            )
        except ParticipationError as error:
            forms.apply_error(form, error)
            status = error.status
        else:
            messages.success(request, _("Merci : votre signalement sera examiné par les services."))
            return HttpResponseRedirect(reverse("participation-proposal", args=[scope_code, item.public_id]))
    return page(
        request, "budgets/proposal.html", where, status=status, proposal=item, budget=item.budget, form=form
    )


def results(request: HttpRequest, scope_code: str, budget_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    outcomes = selectors.budget_results(budget)
    if not outcomes:
        return page(request, "budgets/no_results.html", where, status=404, budget=budget)
    rules = sorted({o.result.rule for o in outcomes if o.result is not None})
    for outcome in outcomes:
        outcome.share = round(100 * outcome.selected_cost / outcome.envelope.amount)  # type: ignore[attr-defined]
        if outcome.result is not None:
            words = explanations.project_outcomes(outcome.result, outcome.rows, outcome.envelope.amount)
            for row in outcome.rows:
                row.explanation = words.get(row.proposal.external_id, "")  # type: ignore[attr-defined]
            outcome.unspent = explanations.unspent(  # type: ignore[attr-defined]
                budget, outcome.result, outcome.rows, outcome.envelope.amount
            )
    return page(
        request,
        "budgets/results.html",
        where,
        budget=budget,
        outcomes=outcomes,
        rules=[(dict(ResultRule.choices)[r], RULE_EXPLANATIONS[ResultRule(r)], r) for r in rules],
        method_doc_url=METHOD_DOC_URL,
    )


def download_pabulib(
    request: HttpRequest, scope_code: str, budget_id: UUID, envelope_code: str
) -> HttpResponse:
    """The public inputs of an envelope's vote (Pabulib), from which anyone recomputes."""
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    envelope = _envelope(budget, envelope_code)
    text = pabulib_io.public_export(envelope)
    if text is None:
        raise Http404("the inputs are published once the vote is closed")
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{budget.year}-{envelope.code}.pb"'
    return response
