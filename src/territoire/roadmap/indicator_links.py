"""What the roadmap says about an indicator: the axis and objectives it measures, the
projects that move it, and the rule that keeps their dates in step.

The rule: a target may not fall after the deadline of an objective its indicator measures
(in the target's organisation), and an objective's deadline may not move before such a
target. The status of an indicator is projected to its target's date, so this is what
makes the status the objective's status: "on track" means "on track for the objective's
deadline". Deriving the deadline from the targets instead would let one late target move
a deadline the council voted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from territoire.indicators.models import IndicatorDefinition, Target
from territoire.roadmap.models import Objective, Project
from territoire.territory.models import Organisation, Scope


def target_check(indicator: IndicatorDefinition, scope: Scope, target_date: date) -> list[str]:
    """The manifest's ``target_check``: a target after an objective's deadline is refused."""
    organisation_id = scope.owning_organisation_id
    if organisation_id is None:
        return []
    objectives = Objective.objects.filter(
        organisation_id=organisation_id, indicators=indicator, deadline__lt=target_date
    ).order_by("deadline", "title")
    return [
        _(
            "L'échéance de la cible (%(target)s) tombe après celle de l'objectif « %(objective)s » "
            "(%(deadline)s), que cet indicateur mesure : fixez-la au plus tard au %(deadline)s, "
            "ou reportez d'abord l'échéance de l'objectif."
        )
        % {
            "target": formats.date_format(target_date, "SHORT_DATE_FORMAT"),
            "objective": objective.title,
            "deadline": formats.date_format(objective.deadline, "SHORT_DATE_FORMAT"),
        }
        for objective in objectives
    ]


def objective_problems(
    organisation_id: int, deadline: date, indicators: Iterable[IndicatorDefinition]
) -> list[str]:
    """Why an objective of ``organisation_id`` may not have this deadline and these indicators:
    a target of one of them, in the organisation or one of its communes, falls after it."""
    targets = sorted(
        Target.objects.filter(indicator__in=list(indicators), target_date__gt=deadline)
        .filter(
            Q(scope__organisation_id=organisation_id) | Q(scope__commune__organisation_id=organisation_id)
        )
        .select_related("indicator", "scope"),
        key=lambda t: (t.indicator.name, t.scope.name),
    )
    return [
        _(
            "La cible de « %(indicator)s » pour %(scope)s a pour échéance le %(target)s, après "
            "celle de l'objectif (%(deadline)s) : avancez d'abord cette cible."
        )
        % {
            "indicator": t.indicator.name,
            "scope": t.scope.name,
            "target": formats.date_format(t.target_date, "SHORT_DATE_FORMAT"),
            "deadline": formats.date_format(deadline, "SHORT_DATE_FORMAT"),
        }
        for t in targets
    ]


def indicator_page(
    definition: IndicatorDefinition, scope: Scope, organisation: Organisation
) -> dict[str, Any]:
    """The manifest's ``indicator_page``: breadcrumb through axis and objective, the projects.

    Two queries: the objectives with their axis, then their active projects.
    """
    objectives = list(
        Objective.objects.filter(organisation=organisation, indicators=definition)
        .select_related("axis")
        .prefetch_related(
            Prefetch("projects", queryset=Project.objects.select_related("commune").order_by("title"))
        )
        .order_by("axis__position", "position", "title")
    )
    home = reverse("home", args=[scope.code])
    trail: list[tuple[str, str]] = []
    if objectives:
        first = objectives[0]
        trail = [
            (first.axis.name, f"{home}#axis-{first.axis.code}"),
            (first.title, f"{home}#objective-{first.pk}"),
        ]
    projects_page = reverse("projects", args=[organisation.siren])
    seen: set[int] = set()
    projects = []
    for objective in objectives:
        for project in objective.projects.all():
            if project.pk in seen:
                continue
            seen.add(project.pk)
            note = f"{project.get_status_display()}, {project.progress} %"
            if project.commune is not None:
                note = f"{project.commune.name} — {note}"
            projects.append((project.title, f"{projects_page}#projet-{project.pk}", note))
    objective_links = [
        (
            f"{o.axis.name} › {o.title}",
            f"{home}#objective-{o.pk}",
            _("échéance %(d)s") % {"d": formats.date_format(o.deadline, "SHORT_DATE_FORMAT")},
        )
        for o in objectives
    ]
    related = []
    if objective_links:
        related.append({"heading": _("Objectifs mesurés par cet indicateur"), "links": objective_links})
    related.append(
        {
            "heading": _("Projets qui font bouger cet indicateur"),
            "links": projects,
            "empty": _("Aucun projet de la feuille de route n'est rattaché à ses objectifs."),
        }
    )
    return {"trail": trail, "related": related, "objective_deadlines": [o.deadline for o in objectives]}
