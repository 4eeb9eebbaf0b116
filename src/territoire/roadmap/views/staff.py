"""Roadmap pages for staff: the risks register (wrapped in ``staff_page`` in ``urls.py``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from territoire.roadmap import selectors
from territoire.roadmap.views.public import organisation_scope
from territoire.territory import access


def risks(request: HttpRequest, scope_code: str) -> HttpResponse:
    scope, organisation = organisation_scope(scope_code)
    if not request.user.is_authenticated:
        return redirect(f"/admin/login/?next={request.path}")
    # The risk register is the organisation's own: organisation-wide members only.
    if not access.can_view_internal(request.user, scope):
        raise Http404("not found")
    context = {
        "scope": scope,
        "organisation": organisation,
        "risks": selectors.risks(organisation),
        "may_edit": access.can_edit_roadmap(request.user, organisation),
    }
    return render(request, "roadmap/risks.html", context)
