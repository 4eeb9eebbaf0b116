"""Shared plumbing of the participation pages (one module per area in this package).

Pages live under ``t/<scope_code>/participer/``; the scope (organisation or commune)
resolves through ``territory.selectors`` as on every public page. Views only read through
``selectors`` and write through ``services``; a service's refusal (``ParticipationError``)
becomes a message on the form with the status it carries, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from territoire.participation.models import Participant
from territoire.participation.services.participants import participant_for
from territoire.territory.models import Organisation, Scope
from territoire.territory.selectors import organisation_of, scope_by_code


@dataclass(frozen=True)
class Place:
    """Where a page is: the scope of the URL, its organisation, the signed-in resident."""

    scope: Scope
    organisation: Organisation
    resident: Participant | None

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"scope": self.scope, "organisation": self.organisation, "resident": self.resident, **extra}


def place(request: HttpRequest, scope_code: str) -> Place:
    scope = scope_by_code(scope_code)
    return Place(scope=scope, organisation=organisation_of(scope), resident=participant_for(request.user))


def page(request: HttpRequest, template: str, where: Place, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, f"participation/{template}", where.context(**extra), status=status)


def login_redirect(request: HttpRequest, where: Place) -> HttpResponseRedirect:
    url = reverse("participation-login", args=[where.scope.code])
    return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
