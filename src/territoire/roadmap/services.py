"""Writes to the roadmap. The back-office (admin) edits single records; these functions
do what spans several records."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from territoire.core import audit
from territoire.indicators.models import IndicatorDefinition, Periodicity, Source
from territoire.roadmap.models import Axis, Objective, Partner, Risk
from territoire.roadmap.template import AXES, OBJECTIVE_DEADLINE
from territoire.territory.models import Organisation


def ensure_template_indicators() -> dict[str, IndicatorDefinition]:
    """Create the catalogue indicators of the template (shared by every organisation)."""
    definitions: dict[str, IndicatorDefinition] = {}
    for axis in AXES:
        for spec in axis.indicators:
            definition, _ = IndicatorDefinition.objects.get_or_create(
                code=spec.code,
                defaults={
                    "name": str(spec.name),
                    "unit": spec.unit,
                    "direction": spec.direction,
                    "method": str(spec.method),
                    "source": Source.MANUAL,
                    "visibility": spec.visibility,
                    "periodicity": Periodicity.MONTHLY,
                    "aggregate": spec.aggregate,
                    "decimals": spec.decimals,
                },
            )
            definitions[spec.code] = definition
    return definitions


def apply_template(organisation: Organisation) -> None:
    """Give ``organisation`` the source document's roadmap. Idempotent; never overwrites edits."""
    with transaction.atomic():
        definitions = ensure_template_indicators()
        for position, spec in enumerate(AXES, start=1):
            axis, _ = Axis.objects.get_or_create(
                organisation=organisation,
                code=spec.code,
                defaults={"name": str(spec.name), "position": position},
            )
            objective, created = Objective.objects.get_or_create(
                organisation=organisation,
                axis=axis,
                title=str(spec.objective),
                defaults={"deadline": OBJECTIVE_DEADLINE, "position": 1},
            )
            if created:
                objective.indicators.set([definitions[i.code] for i in spec.indicators])
            Risk.objects.get_or_create(
                organisation=organisation,
                title=str(spec.risk),
                defaults={
                    "axis": axis,
                    "likelihood": spec.risk_likelihood,
                    "impact": spec.risk_impact,
                    "mitigation": str(spec.mitigation),
                },
            )
            for name, kind in spec.partners:
                partner, _ = Partner.objects.get_or_create(
                    organisation=organisation, name=name, defaults={"kind": kind}
                )
                partner.axes.add(axis)
        audit.record(
            "roadmap.apply_template", actor_label="system", obj=organisation, organisation_id=organisation.pk
        )


def on_organisation_created(sender: Any, organisation: Organisation, **kwargs: Any) -> None:
    apply_template(organisation)
