"""Participation rights, on top of territory.access (the one place that decides).

Managing a process (consultation or budget: review, estimate, paper ballots, results,
answers, moderation) needs a membership of its organisation covering its commune, with a
role that writes data. Commands and the demo act as the system (``actor=None``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from territoire.participation.errors import ParticipationError
from territoire.territory import access
from territoire.territory.models import Role

MANAGE_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET, Role.AGENT})


def can_manage(user: Any, organisation_id: int, commune_id: int | None = None) -> bool:
    """May ``user`` manage a process of this organisation (and commune, if any)?"""
    if access.is_superuser(user):
        return True
    for m in access.memberships_of(user):
        if m.organisation_id != organisation_id or m.role not in MANAGE_ROLES:
            continue
        if m.commune_id is None or (commune_id is not None and m.commune_id == commune_id):
            return True
    return False


def can_manage_process(user: Any, process: Any) -> bool:
    return can_manage(user, process.organisation_id, process.commune_id)


def require_manager(actor: Any, process: Any) -> None:
    """Raise unless ``actor`` (None: the system) may manage ``process``.

    Someone without any membership in the organisation gets a 404 (nothing is revealed
    about other tenants); a member without the right role gets a 403.
    """
    if actor is None or can_manage_process(actor, process):
        return
    if access.is_staff_of(actor, process.organisation_id):
        raise ParticipationError(_("Vous n'avez pas le droit de gérer cette démarche."), status=403)
    raise ParticipationError(_("Démarche introuvable."), status=404)
