"""Reads of the roadmap for pages, API and exports."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet

from territoire.indicators.models import IndicatorDefinition
from territoire.roadmap.models import ACTIVE_PROJECT_STATUSES, Axis, Objective, Partner, Project, Risk
from territoire.roadmap.prioritisation import Candidate, proposed_order
from territoire.territory.models import Organisation


def axes_with_objectives(organisation: Organisation) -> list[Axis]:
    return list(
        Axis.objects.filter(organisation=organisation).prefetch_related(
            Prefetch(
                "objectives",
                queryset=Objective.objects.order_by("position", "title").prefetch_related(
                    Prefetch("indicators", queryset=IndicatorDefinition.objects.order_by("code"))
                ),
            )
        )
    )


def projects(organisation: Organisation) -> QuerySet[Project]:
    return Project.objects.filter(organisation=organisation).select_related("axis", "commune")


def prioritised(organisation: Organisation) -> list[tuple[int, Project, Candidate]]:
    active = list(projects(organisation).filter(status__in=ACTIVE_PROJECT_STATUSES))
    by_key = {p.pk: p for p in active}
    order = proposed_order(
        Candidate(p.pk, p.title, p.value_score, p.complexity_score, p.cost) for p in active
    )
    return [(rank, by_key[c.key], c) for rank, c in enumerate(order, start=1)]  # type: ignore[index]


def partners(organisation: Organisation) -> QuerySet[Partner]:
    return Partner.objects.filter(organisation=organisation).prefetch_related("axes").order_by("kind", "name")


def risks(organisation: Organisation) -> QuerySet[Risk]:
    """The register, most critical first (probability × impact), then the larger impact."""
    return (
        Risk.objects.filter(organisation=organisation)
        .select_related("axis", "owner_user")
        .order_by((F("likelihood") * F("impact")).desc(), "-impact", "title")
    )


def default_axis(organisation_id: int, code: str) -> Axis | None:
    """The organisation's axis of that code, else its first axis (None if it has none)."""
    axes = Axis.objects.filter(organisation_id=organisation_id).order_by("position", "pk")
    return axes.filter(code=code).first() or axes.first()
