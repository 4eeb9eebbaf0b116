"""Writes to the roadmap. The back-office (admin) edits single records; these functions
do what spans several records, and what other modules write into the roadmap (a
participatory budget's winners become projects through ``create_project``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from territoire.core.actions import action
from territoire.core.languages import in_each_language
from territoire.indicators import registry
from territoire.indicators.models import IndicatorDefinition, Periodicity, Source
from territoire.indicators.services import sync_registry
from territoire.roadmap.models import (
    Axis,
    FundingKind,
    FundingLine,
    Objective,
    Partner,
    Project,
    ProjectStatus,
    Risk,
)
from territoire.roadmap.template import AXES, OBJECTIVE_DEADLINE
from territoire.territory.models import Organisation, Role


def ensure_template_indicators() -> dict[str, IndicatorDefinition]:
    """Create the catalogue indicators of the template (shared by every organisation)."""
    specs = [spec for axis in AXES for spec in axis.indicators]
    definitions = {
        d.code: d for d in IndicatorDefinition.objects.filter(code__in=[spec.code for spec in specs])
    }
    for spec in specs:
        if spec.code in definitions:
            continue
        definitions[spec.code] = IndicatorDefinition.objects.create(
            code=spec.code,
            **in_each_language("name", spec.name),
            unit=spec.unit,
            direction=spec.direction,
            **in_each_language("method", spec.method),
            source=Source.MANUAL,
            visibility=spec.visibility,
            periodicity=Periodicity.MONTHLY,
            aggregate=spec.aggregate,
            decimals=spec.decimals,
        )
    return definitions


def module_indicators_by_axis() -> dict[str, list[IndicatorDefinition]]:
    """Definitions of the registered (computed) indicators, by the axis code they declare."""
    specs = registry.registered()
    if not any(spec.axis for spec in specs.values()):
        return {}
    definitions = sync_registry()
    by_axis: dict[str, list[IndicatorDefinition]] = {}
    for code, spec in sorted(specs.items()):
        if spec.axis:
            by_axis.setdefault(spec.axis, []).append(definitions[code])
    return by_axis


def apply_template(organisation: Organisation) -> None:
    """Give ``organisation`` the source document's roadmap. Idempotent; never overwrites edits.

    The template is applied axis by axis: an axis that exists (found by its code, whatever
    its name now) is left alone with its objectives, risk and partners, so that a renamed
    objective, risk or partner never reappears under its template name. An axis that is
    missing (new organisation, or axis deleted) is created with its objective, indicators,
    risk and partners; a risk or partner of that name already present is reused.

    A handful of bulk inserts whatever the size of the template (it runs for every new
    organisation), then one bump of the published-data version.
    """
    with action(
        "roadmap.apply_template", actor_label="system", obj=organisation, organisation_id=organisation.pk
    ) as act:
        definitions = ensure_template_indicators()
        existing_axes = set(Axis.objects.filter(organisation=organisation).values_list("code", flat=True))
        missing = [
            (position, spec) for position, spec in enumerate(AXES, start=1) if spec.code not in existing_axes
        ]
        if not missing:
            # Nothing to add: no audit record, no new version.
            act.audited, act.versions = False, ()
            return
        axes = Axis.objects.bulk_create(
            [
                Axis(
                    organisation=organisation,
                    code=spec.code,
                    position=position,
                    **in_each_language("name", spec.name),
                )
                for position, spec in missing
            ]
        )
        specs = [spec for _position, spec in missing]
        objectives = Objective.objects.bulk_create(
            [
                Objective(
                    organisation=organisation,
                    axis=axis,
                    **in_each_language("title", spec.objective),
                    deadline=OBJECTIVE_DEADLINE,
                    position=1,
                )
                for axis, spec in zip(axes, specs, strict=True)
            ]
        )
        # The objective of an axis follows the template's indicators and those a module
        # computes for that axis (``@indicator(axis=…)``): modules feed the roadmap.
        computed = module_indicators_by_axis()
        Objective.indicators.through.objects.bulk_create(
            [
                Objective.indicators.through(objective=objective, indicatordefinition=definition)
                for objective, spec in zip(objectives, specs, strict=True)
                for definition in [definitions[i.code] for i in spec.indicators] + computed.get(spec.code, [])
            ]
        )
        risks = set(Risk.objects.filter(organisation=organisation).values_list("title", flat=True))
        new_risks = []
        for axis, spec in zip(axes, specs, strict=True):
            if str(spec.risk) not in risks:
                risks.add(str(spec.risk))
                new_risks.append(
                    Risk(
                        organisation=organisation,
                        axis=axis,
                        likelihood=spec.risk_likelihood,
                        impact=spec.risk_impact,
                        **in_each_language("title", spec.risk),
                        **in_each_language("mitigation", spec.mitigation),
                        # The brief: the DSI / project lead keeps the roadmap's risks until
                        # the organisation names someone.
                        owner=str(Role.CHEF_PROJET.label),
                    )
                )
        Risk.objects.bulk_create(new_risks)
        partners = {p.name: p for p in Partner.objects.filter(organisation=organisation)}
        new_partners: dict[str, Partner] = {}
        for spec in specs:
            for name, kind in spec.partners:
                if name not in partners and name not in new_partners:
                    new_partners[name] = Partner(organisation=organisation, name=name, kind=kind)
        partners.update({p.name: p for p in Partner.objects.bulk_create(list(new_partners.values()))})
        Partner.axes.through.objects.bulk_create(
            [
                Partner.axes.through(partner=partners[name], axis=axis)
                for axis, spec in zip(axes, specs, strict=True)
                for name, _kind in spec.partners
            ],
            ignore_conflicts=True,
        )
        act.changes = {"axes": [spec.code for spec in specs]}


@dataclass(frozen=True)
class Link:
    """An indicator a module computes, linked to an objective of the axis it declares."""

    organisation: str
    axis: str
    objective: str
    indicator: str


def link_module_indicators(organisation: Organisation, *, dry_run: bool = False) -> list[Link]:
    """Link the indicators modules compute to ``organisation``'s objectives. Idempotent.

    A new organisation gets these links with the template; one created before a module
    was installed does not. For each axis a module's indicator declares
    (``@indicator(axis=…)``), the organisation's axis of that code, if it still has one,
    gets the indicator on its first objective, unless one of the axis's objectives
    already follows it. Axes or objectives deleted by the organisation stay deleted.
    """
    computed = module_indicators_by_axis()
    links: list[tuple[Objective, IndicatorDefinition]] = []
    axes = Axis.objects.filter(organisation=organisation, code__in=list(computed)).prefetch_related(
        "objectives__indicators"
    )
    for axis in axes:
        objectives = list(axis.objectives.all())
        if not objectives:
            continue
        followed = {d.pk for objective in objectives for d in objective.indicators.all()}
        first = min(objectives, key=lambda o: (o.position, o.pk))
        links += [(first, d) for d in computed[axis.code] if d.pk not in followed]
    if links and not dry_run:
        with action(
            "roadmap.link_module_indicators",
            actor_label="system",
            obj=organisation,
            organisation_id=organisation.pk,
            changes={"links": [[o.axis.code, d.code] for o, d in links]},
        ):
            Objective.indicators.through.objects.bulk_create(
                [Objective.indicators.through(objective=o, indicatordefinition=d) for o, d in links],
                ignore_conflicts=True,
            )
    return [Link(organisation.siren, o.axis.code, o.title, d.code) for o, d in links]


def create_project(
    axis: Axis,
    *,
    title: str,
    target_year: int,
    description: str = "",
    commune_id: int | None = None,
    cost: int | Decimal = 0,
    target_quarter: int = 4,
    value_score: int = 3,
    complexity_score: int = 3,
    status: str = ProjectStatus.PLANNED,
    self_funding_label: str = "",
    actor: Any = None,
) -> Project:
    """Create a project of ``axis``'s organisation, for another module (the caller checks
    the rights). A project with a cost and a ``self_funding_label`` is paid from the
    organisation's own funds: its funding plan gets one self-financing line of that cost.
    """
    with action(
        "roadmap.create_project", actor=actor, organisation_id=axis.organisation_id, changes={"title": title}
    ) as act:
        project = Project.objects.create(
            organisation_id=axis.organisation_id,
            commune_id=commune_id,
            axis=axis,
            title=title[:300],
            description=description,
            value_score=value_score,
            complexity_score=complexity_score,
            cost=cost,
            target_year=target_year,
            target_quarter=target_quarter,
            status=status,
            progress=0,
        )
        act.obj = project
        if project.cost > 0 and self_funding_label:
            FundingLine.objects.create(
                project=project,
                kind=FundingKind.AUTOFINANCEMENT,
                amount=project.cost,
                label=self_funding_label,
            )
    return project


def on_organisation_created(sender: Any, organisation: Organisation, **kwargs: Any) -> None:
    apply_template(organisation)
