"""Staff page of a participatory budget: counts at a glance, links to the back-office
actions (review, cost estimates, paper ballots), and computing then publishing the
results of an envelope. Wrapped with ``staff_page`` in ``urls.py`` (second factor)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from territoire.core.ratelimit import rate_limited
from territoire.participation import selectors
from territoire.participation.errors import ParticipationError
from territoire.participation.models import ParticipatoryBudget, ProposalStatus
from territoire.participation.permissions import can_manage_process
from territoire.participation.services import results as result_services
from territoire.participation.views.common import page, place


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("staff_write")
def dashboard(request: HttpRequest, scope_code: str, budget_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    budget = (
        ParticipatoryBudget.objects.filter(organisation=where.organisation, public_id=budget_id)
        .prefetch_related("envelopes", "phases")
        .first()
    )
    if budget is None or not can_manage_process(request.user, budget):
        raise Http404("not found")
    status = 200
    if request.method == "POST":
        envelope = next((e for e in budget.envelopes.all() if e.code == request.POST.get("envelope")), None)
        if envelope is None:
            messages.error(request, _("Enveloppe inconnue."))
            status = 400
        else:
            envelope.budget = budget
            try:
                result = result_services.compute_results(envelope, actor=request.user)
                result_services.publish_results(result, actor=request.user)
            except ParticipationError as error:
                messages.error(request, error.message)
                status = error.status
            else:
                messages.success(
                    request, _("Résultats de « %(name)s » calculés et publiés.") % {"name": envelope.name}
                )
                return HttpResponseRedirect(request.path)
    by_status, envelopes, reports = selectors.budget_dashboard(budget)
    statuses = [(label, by_status.get(value, 0)) for value, label in ProposalStatus.choices]
    return page(
        request,
        "staff/budget.html",
        where,
        status=status,
        budget=budget,
        statuses=statuses,
        envelopes=envelopes,
        reports=reports,
        voting_closed=selectors.voting_closed(budget),
    )
