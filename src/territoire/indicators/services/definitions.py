"""Writes to the indicator definitions: a tenant's own, or the shared catalogue.

A definition with no organisation belongs to the platform-wide catalogue shown on every
tenant's dashboard: only a superuser (or the platform itself, ``actor=None``: the
registry's sync, the demo) writes there. A tenant's definitions are written by those
who edit its roadmap.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.indicators.models import IndicatorDefinition
from territoire.territory import access


def may_write_definition(actor: Any, organisation_id: int | None) -> bool:
    """Whether ``actor`` (None: the platform) may write a definition of this organisation."""
    if actor is None or access.is_superuser(actor):
        return True
    return organisation_id is not None and access.can_edit_roadmap(actor, organisation_id)


def save_definition(definition: IndicatorDefinition, *, actor: Any) -> IndicatorDefinition:
    """Create or change ``definition``; refused (PermissionDenied) outside the actor's rights.

    Both the definition's organisation before the change and after it are checked: a
    tenant neither writes to the shared catalogue nor takes a definition out of it.
    """
    before = (
        IndicatorDefinition.objects.filter(pk=definition.pk).values_list("organisation_id", flat=True).first()
        if definition.pk is not None
        else definition.organisation_id
    )
    for organisation_id in {before, definition.organisation_id}:
        if not may_write_definition(actor, organisation_id):
            raise PermissionDenied(
                _("Seul un super-administrateur modifie le catalogue commun des indicateurs.")
            )
    created = definition.pk is None
    with action(
        "indicators.create_definition" if created else "indicators.change_definition",
        actor=actor,
        obj=definition,
        organisation_id=definition.organisation_id,
        changes={"code": definition.code, "organisation_id": definition.organisation_id},
    ) as act:
        definition.save()
        act.obj = definition
    return definition
