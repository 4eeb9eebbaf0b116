from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from territoire.api.common import optional_token
from territoire.api.models import ApiToken
from territoire.core.api import ErrorOut, Page, not_found, paginate
from territoire.indicators.models import IndicatorDefinition, Visibility
from territoire.roadmap.models import Axis, Objective, Project, ProjectStatus
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
    status: ProjectStatus | None = Field(None, description="project status")
    axis: str | None = Field(None, description="axis code")
    page: int = 1
    page_size: int = 100


def _organisation(request: HttpRequest, siren: str) -> tuple[Organisation, ApiToken | None]:
    token = optional_token(request, "roadmap")
    org = Organisation.objects.filter(siren=siren).first()
    if org is None:
        raise not_found("organisation", "siren", siren)
    return org, token


@router.get("/organisations/{siren}/axes", response={200: list[AxisOut], 401: ErrorOut, 404: ErrorOut})
def list_axes(request: HttpRequest, siren: str) -> list[Axis]:
    org, _token = _organisation(request, siren)
    return list(Axis.objects.filter(organisation=org))


@router.get(
    "/organisations/{siren}/objectives", response={200: list[ObjectiveOut], 401: ErrorOut, 404: ErrorOut}
)
def list_objectives(request: HttpRequest, siren: str, axis: str | None = None) -> list[Objective]:
    org, token = _organisation(request, siren)
    # Internal indicators are named only to an integration of this organisation.
    indicators = IndicatorDefinition.objects.order_by("code")
    if token is None or token.organisation_id != org.pk:
        indicators = indicators.filter(visibility=Visibility.PUBLIC)
    qs = (
        Objective.objects.filter(organisation=org)
        .select_related("axis")
        .prefetch_related(Prefetch("indicators", queryset=indicators))
    )
    if axis:
        qs = qs.filter(axis__code=axis)
    return list(qs)


@router.get(
    "/organisations/{siren}/projects",
    response={200: Page[ProjectOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def list_projects(request: HttpRequest, siren: str, filters: Query[ProjectFilters]) -> dict[str, Any]:
    org, _token = _organisation(request, siren)
    qs = Project.objects.filter(organisation=org).select_related("axis", "commune").order_by("title", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.axis:
        qs = qs.filter(axis__code=filters.axis)
    return paginate(qs, filters.page, filters.page_size)
