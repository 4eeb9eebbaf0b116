"""Reads of the territory for pages and API."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404

from territoire.territory.models import Organisation, Scope


def scope_by_code(code: str) -> Scope:
    """A published scope (an organisation, or a commune that belongs to one), or 404."""
    scope = (
        Scope.objects.select_related("organisation", "commune", "commune__organisation")
        .filter(code=code)
        .first()
    )
    if scope is None or (scope.commune is not None and scope.commune.organisation is None):
        raise Http404("unknown territory")
    return scope


def organisation_of(scope: Scope) -> Organisation:
    if scope.organisation is not None:
        return scope.organisation
    assert scope.commune is not None
    assert scope.commune.organisation is not None
    return scope.commune.organisation


def default_organisation() -> Organisation | None:
    code = settings.TERRITOIRE["DEFAULT_ORGANISATION"]
    qs = Organisation.objects.order_by("created_at", "pk")
    if code:
        return qs.filter(siren=code).first() or qs.filter(slug=code).first()
    return qs.first()
