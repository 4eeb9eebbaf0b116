"""The staff home: where a member of staff lands after signing in (and the second factor).

For each organisation of theirs: their role, the territory's dashboard, and the staff
actions the modules declare (``StaffLink``) that this person may take, nothing else;
then the back-office when it holds anything for them, and their account's pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from territoire.core import modules
from territoire.territory import access
from territoire.territory.models import Organisation

# A superuser is staff of every organisation: the page lists this many, then says how many more.
LISTED_ORGANISATIONS = 50


@dataclass
class OrganisationLinks:
    organisation: Organisation
    roles: list[str]
    links: list[tuple[str, str]] = field(default_factory=list)


def _role_line(membership: Any) -> str:
    where = str(membership.commune) if membership.commune_id else _("toute l'organisation")
    return f"{membership.get_role_display()} — {where}"


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    organisations = list(access.organisations_for(user).order_by("name")[: LISTED_ORGANISATIONS + 1])
    more = len(organisations) > LISTED_ORGANISATIONS
    entries = []
    for organisation in organisations[:LISTED_ORGANISATIONS]:
        memberships = access.roles_in(user, organisation)
        roles = [_role_line(m) for m in memberships] or [_("super-administrateur de la plateforme")]
        links = [(_("Tableau de bord du territoire"), reverse("home", args=[organisation.siren]))]
        links += [
            (str(link.label), reverse(link.url_name, args=[organisation.siren]))
            for link in modules.staff_links()
            if link.offered_to(user, organisation)
        ]
        entries.append(OrganisationLinks(organisation, roles, links))
    context = {
        "entries": entries,
        "more": more,
        "back_office": access.reaches_anything(user, commune_level=True),
    }
    return render(request, "accounts/home.html", context)
