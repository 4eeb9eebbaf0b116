"""The ballot of an envelope, its receipt, and the public check of a receipt code.

The ballot page offers only an envelope the resident may vote in; another envelope's
page explains who votes there and links to the resident's own envelopes, never to the
profile (changing one's district to vote elsewhere is fraud). The total of the choices
against the envelope is computed by the server on "Recalculer" (without JavaScript) and
on every refusal; ``ballot.js`` updates it live. After voting the resident lands on the
receipt: a random code, renewed at each change, that proves the ballot is recorded and
says nothing of its content; anyone holding it can check it on the public check page.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from territoire.core.http import client_ip
from territoire.core.ratelimit import rate_limited
from territoire.participation import selectors
from territoire.participation.eligibility import check_eligibility
from territoire.participation.errors import ParticipationError
from territoire.participation.models import BallotKind, Envelope, ParticipatoryBudget, PhaseKind
from territoire.participation.services import ballots as ballot_services
from territoire.participation.views.budgets import _budget, _envelope, _timeline, votable_envelopes
from territoire.participation.views.common import login_redirect, page, place


def _posted_choices(request: HttpRequest, budget: ParticipatoryBudget) -> Any:
    if budget.ballot_kind == BallotKind.CUMULATIVE:
        return {
            key.removeprefix("points_"): (str(value).strip() or "0")
            for key, value in request.POST.items()
            if key.startswith("points_")
        }
    return request.POST.getlist("choices")


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _totals(rows: list[dict[str, Any]], envelope: Envelope, cumulative: bool) -> dict[str, Any]:
    chosen = [row for row in rows if (_int(row["points"]) > 0 if cumulative else row["checked"])]
    cost = sum(int(row["proposal"].estimated_cost or 0) for row in chosen)
    return {
        "count": len(chosen),
        "cost": cost,
        "points": sum(_int(row["points"]) for row in rows),
        "over": cost > envelope.amount,
        "left": max(envelope.amount - cost, 0),
        "over_by": max(cost - envelope.amount, 0),
    }


@require_http_methods(["GET", "POST"])
@rate_limited("public_write")
def ballot(request: HttpRequest, scope_code: str, budget_id: UUID, envelope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    envelope = _envelope(budget, envelope_code)
    steps, current = _timeline(budget)
    voting = current == PhaseKind.VOTING
    reasons = check_eligibility(where.resident, budget, envelope=envelope) if voting else []
    status = 200
    refusal: list[str] = []
    problems: list[str] = []
    recalculated = False
    posted: Any = None
    if request.method == "POST":
        posted = _posted_choices(request, budget)
        recalculated = "recalculate" in request.POST
        try:
            if recalculated:
                # Nothing is written: the page shows the total and what is still to correct.
                if voting and not reasons:
                    try:
                        ballot_services.validate_ballot(envelope, posted)
                    except ParticipationError as error:
                        problems = error.messages
            elif "withdraw" in request.POST and where.resident is not None:
                ballot_services.withdraw_ballot(where.resident, envelope)
                messages.success(request, _("Votre bulletin est retiré."))
            else:
                ballot_services.cast_ballot(where.resident, envelope, posted, ip_address=client_ip(request))
                messages.success(
                    request,
                    _("Votre bulletin est enregistré. Vous pouvez le modifier jusqu'à la clôture du vote."),
                )
                return HttpResponseRedirect(
                    reverse("participation-receipt", args=[scope_code, budget.public_id, envelope.code])
                )
        except ParticipationError as error:
            refusal = error.messages
            status = error.status
        else:
            if not recalculated:
                return HttpResponseRedirect(request.path)
    candidates = selectors.ballot_proposals(envelope)
    has_ballot = selectors.has_voted(where.resident, envelope)
    shown: dict[str, int] = selectors.ballot_of(where.resident, envelope)
    if posted is not None:
        shown = (
            dict.fromkeys(posted, 1) if isinstance(posted, list) else {k: _int(v) for k, v in posted.items()}
        )
    rows = [
        {"proposal": p, "checked": p.public_id in shown, "points": shown.get(p.public_id, 0) or ""}
        for p in candidates
    ]
    own = [e for e in votable_envelopes(where, budget) if e.pk != envelope.pk] if voting and reasons else []
    return page(
        request,
        "budgets/ballot.html",
        where,
        status=status,
        budget=budget,
        process=budget,
        envelope=envelope,
        steps=steps,
        voting=voting,
        reasons=reasons,
        own_envelopes=own,
        refusal=refusal,
        problems=problems,
        recalculated=recalculated,
        rows=rows,
        totals=_totals(rows, envelope, budget.ballot_kind == BallotKind.CUMULATIVE),
        has_ballot=has_ballot,
        is_knapsack=budget.ballot_kind == BallotKind.KNAPSACK,
        is_cumulative=budget.ballot_kind == BallotKind.CUMULATIVE,
    )


def receipt(request: HttpRequest, scope_code: str, budget_id: UUID, envelope_code: str) -> HttpResponse:
    """The signed-in voter's receipt for their ballot in an envelope (never the choices)."""
    where = place(request, scope_code)
    budget = _budget(where, budget_id)
    envelope = _envelope(budget, envelope_code)
    if where.resident is None:
        return login_redirect(request, where)
    item = selectors.online_ballot(where.resident, envelope)
    if item is None:
        raise Http404("no ballot in this envelope")
    response = page(
        request,
        "budgets/receipt.html",
        where,
        budget=budget,
        envelope=envelope,
        ballot=item,
        code=ballot_services.format_receipt_code(item.receipt_code),
        has_email=where.resident.email_verified_at is not None,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def receipt_check(request: HttpRequest, scope_code: str) -> HttpResponse:
    """Anyone holding a receipt code checks that the ballot is recorded (and still current)."""
    where = place(request, scope_code)
    typed = str(request.GET.get("code", ""))[:64]
    code = ballot_services.normalise_receipt_code(typed)
    found = selectors.ballot_by_receipt(where.organisation, code) if code else None
    response = page(
        request,
        "budgets/receipt_check.html",
        where,
        typed=typed,
        checked=bool(code),
        found=found,
        code=ballot_services.format_receipt_code(code),
    )
    response["Cache-Control"] = "private, no-store"
    return response
