"""Writes to the indicator definitions: a tenant's own, or the shared catalogue.

A definition with no organisation belongs to the platform-wide catalogue shown on every
tenant's dashboard: only a superuser (or the platform itself, ``actor=None``: the
registry's sync, the demo) writes there. A tenant's definitions are written by those
who edit its roadmap.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from territoire.core import modules
from territoire.core.actions import action
from territoire.indicators import registry
from territoire.indicators.models import IndicatorDefinition
from territoire.territory import access


def may_write_definition(actor: Any, organisation_id: int | None) -> bool:
    """Whether ``actor`` (None: the platform) may write a definition of this organisation."""
    if actor is None or access.is_superuser(actor):
        return True
    return organisation_id is not None and access.can_edit_roadmap(actor, organisation_id)


def reserved_by(code: str) -> str | None:
    """The module that owns ``code``'s namespace (``reports.…``), or that computes it."""
    computed = registry.registered().get(code)
    if computed is not None:
        return str(computed.module or code.split(".", 1)[0])
    prefix = code.split(".", 1)[0] if "." in code else ""
    labels = {module.label for module in modules.installed()}
    return prefix if prefix in labels else None


def check_code(code: str, organisation_id: int | None) -> None:
    """A tenant's definition may not take a code of a module's namespace (ValidationError)."""
    if organisation_id is None:
        return
    module = reserved_by(code)
    if module is not None:
        suggestion = code.split(".", 1)[-1]
        raise ValidationError(
            _(
                "Le code « %(code)s » est réservé au module « %(module)s », qui le calcule pour "
                "toutes les collectivités. Choisissez un code hors de ce préfixe, par exemple "
                "« local.%(suggestion)s »."
            )
            % {"code": code, "module": module, "suggestion": suggestion},
            code="reserved",
        )


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
    if actor is not None:
        check_code(definition.code, definition.organisation_id)
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
