"""Reference population figures (census counts entered by staff)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    AgeBand,
    Gender,
    ReferenceAttribute,
    ReferencePopulation,
)
from territoire.participation.permissions import can_manage
from territoire.territory import access
from territoire.territory.models import Commune, Zone

CATEGORIES = {ReferenceAttribute.AGE_BAND: set(AgeBand.values), ReferenceAttribute.GENDER: set(Gender.values)}


def set_reference_population(
    commune: Commune,
    attribute: str,
    counts: Mapping[str, int],
    *,
    zone: Zone | None = None,
    year: int | None = None,
    actor: Any = None,
) -> list[ReferencePopulation]:
    """Replace the reference counts of ``attribute`` for the commune (or one of its zones)."""
    if actor is not None and (
        commune.organisation_id is None or not can_manage(actor, commune.organisation_id, commune.pk)
    ):
        if commune.organisation_id is not None and access.is_staff_of(actor, commune.organisation_id):
            raise ParticipationError(_("Vous n'avez pas le droit de saisir ces chiffres."), status=403)
        raise ParticipationError(_("Commune introuvable."), status=404)
    if attribute not in CATEGORIES:
        raise ParticipationError(_("Caractéristique inconnue."), field="attribute")
    if zone is not None and zone.commune_id != commune.pk:
        raise ParticipationError(_("Ce quartier n'appartient pas à la commune."), field="zone")
    bad = [c for c in counts if c not in CATEGORIES[ReferenceAttribute(attribute)]]
    if bad:
        raise ParticipationError(_("Modalité inconnue : %(c)s.") % {"c": bad[0]}, field="counts")
    if any(int(v) < 0 for v in counts.values()):
        raise ParticipationError(_("Un effectif ne peut pas être négatif."), field="counts")
    with action(
        "participation.set_reference_population",
        actor=actor,
        obj=commune,
        organisation_id=commune.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        ReferencePopulation.objects.filter(commune=commune, zone=zone, attribute=attribute).delete()
        rows = ReferencePopulation.objects.bulk_create(
            [
                ReferencePopulation(
                    commune=commune, zone=zone, attribute=attribute, category=c, count=int(v), year=year
                )
                for c, v in counts.items()
            ]
        )
        act.changes = {"zone": zone.code if zone else None, "attribute": attribute, "counts": dict(counts)}
    return rows
