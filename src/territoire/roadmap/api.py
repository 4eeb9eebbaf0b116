from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from territoire.api.common import ErrorOut, Page, paginate
from territoire.roadmap.models import Axis, Objective, Project
from territoire.roadmap.prioritisation import quadrant
from territoire.territory.models import Organisation

router = Router(tags=["roadmap"])


class AxisOut(Schema):
    code: str
    name: str
    description: str
    position: int


class ObjectiveOut(Schema):
    id: str
    axis: str
    title: str
    description: str
    deadline: date
    indicators: list[str]

    @staticmethod
    def resolve_id(obj: Objective) -> str:
        return str(obj.public_id)

    @staticmethod
    def resolve_axis(obj: Objective) -> str:
        return obj.axis.code

    @staticmethod
    def resolve_indicators(obj: Objective) -> list[str]:
        return [i.code for i in obj.indicators.all()]


class ProjectOut(Schema):
    id: str
    title: str
    description: str
    axis: str
    commune: str | None
    value_score: int
    complexity_score: int
    quadrant: str
    cost: Decimal
    spent: Decimal
    target_quarter: str
    status: str
    progress: int
    sponsor: str

    @staticmethod
    def resolve_id(obj: Project) -> str:
        return str(obj.public_id)

    @staticmethod
    def resolve_axis(obj: Project) -> str:
        return obj.axis.code

    @staticmethod
    def resolve_commune(obj: Project) -> str | None:
        return obj.commune.insee_code if obj.commune else None

    @staticmethod
    def resolve_quadrant(obj: Project) -> str:
        return quadrant(obj.value_score, obj.complexity_score).name.lower()

    @staticmethod
    def resolve_target_quarter(obj: Project) -> str:
        return f"{obj.target_year}-Q{obj.target_quarter}"


class ProjectFilters(Schema):
    status: str | None = None
    axis: str | None = None
    page: int = 1
    page_size: int = 100


@router.get("/organisations/{siren}/axes", response={200: list[AxisOut], 404: ErrorOut})
def list_axes(request: HttpRequest, siren: str) -> list[Axis]:
    org = get_object_or_404(Organisation, siren=siren)
    return list(Axis.objects.filter(organisation=org))


@router.get("/organisations/{siren}/objectives", response={200: list[ObjectiveOut], 404: ErrorOut})
def list_objectives(request: HttpRequest, siren: str, axis: str | None = None) -> list[Objective]:
    org = get_object_or_404(Organisation, siren=siren)
    qs = Objective.objects.filter(organisation=org).select_related("axis").prefetch_related("indicators")
    if axis:
        qs = qs.filter(axis__code=axis)
    return list(qs)


@router.get("/organisations/{siren}/projects", response={200: Page[ProjectOut], 404: ErrorOut, 422: ErrorOut})
def list_projects(request: HttpRequest, siren: str, filters: Query[ProjectFilters]) -> dict[str, Any]:
    org = get_object_or_404(Organisation, siren=siren)
    qs = Project.objects.filter(organisation=org).select_related("axis", "commune").order_by("title", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.axis:
        qs = qs.filter(axis__code=filters.axis)
    return paginate(qs, filters.page, filters.page_size)
