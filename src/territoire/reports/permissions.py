"""Who may triage, moderate and plan rounds for residents' reports.

Built on ``territoire.territory.access`` (the one place memberships are read): a
commune-scoped member acts on that commune's reports only, an organisation-wide member on
all the organisation's communes. Reports of another organisation or commune are "not
found" for the caller (404), never "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from territoire.territory import access
from territoire.territory.models import Commune, Organisation, Role

# Roles that work on reports (triage, answers, assignment, rounds).
TRIAGE_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET, Role.AGENT})
# Moderation (hide a report, redact a photo): the triage roles and the DPO.
MODERATE_ROLES = TRIAGE_ROLES | {Role.DPO}
# Configuration (categories, statuses, crews, Open311 keys of the organisation).
CONFIGURE_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET})


def _has_role_for_commune(user: Any, commune: Commune, roles: frozenset[str]) -> bool:
    if access.is_superuser(user):
        return True
    return any(
        m.organisation_id == commune.organisation_id
        and (m.commune_id is None or m.commune_id == commune.pk)
        and m.role in roles
        for m in access.memberships_of(user)
    )


def can_view_reports(user: Any, commune: Commune) -> bool:
    """Read the staff side (queues, internal notes, reporters' contact) of a commune's reports."""
    if access.is_superuser(user):
        return True
    return any(
        m.organisation_id == commune.organisation_id and (m.commune_id is None or m.commune_id == commune.pk)
        for m in access.memberships_of(user)
    )


def can_triage(user: Any, commune: Commune) -> bool:
    """Change status, answer, assign, merge the reports of ``commune``."""
    return _has_role_for_commune(user, commune, TRIAGE_ROLES)


def can_moderate(user: Any, commune: Commune) -> bool:
    return _has_role_for_commune(user, commune, MODERATE_ROLES)


def can_plan_rounds(user: Any, organisation: Organisation | int) -> bool:
    """Plan the rounds of the organisation's crews (any triage role in the organisation)."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return access.is_superuser(user) or any(
        m.organisation_id == org_id and m.role in TRIAGE_ROLES for m in access.memberships_of(user)
    )


def can_configure(user: Any, organisation: Organisation | int) -> bool:
    """Edit categories, statuses and crews: organisation-wide administrators and project leads."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return access.is_superuser(user) or any(
        m.organisation_id == org_id and m.commune_id is None and m.role in CONFIGURE_ROLES
        for m in access.memberships_of(user)
    )


def visible_communes(user: Any, organisation: Organisation) -> QuerySet[Commune]:
    """The communes of ``organisation`` whose reports ``user`` may see on the staff side."""
    base = access.communes_of(organisation)
    if access.is_superuser(user):
        return base
    ms = [m for m in access.memberships_of(user) if m.organisation_id == organisation.pk]
    if any(m.commune_id is None for m in ms):
        return base
    return base.filter(pk__in=[m.commune_id for m in ms])


def organisations_with_reports_access(user: Any) -> QuerySet[Organisation]:
    return access.organisations_for(user)
