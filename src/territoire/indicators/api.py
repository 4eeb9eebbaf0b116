from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, WithJsonSchema

from territoire.api.auth import TokenAuth, token_covers, token_scopes
from territoire.api.common import optional_token
from territoire.api.models import ApiToken
from territoire.core.api import ErrorDetail, ErrorOut, Page, paginate
from territoire.indicators import selectors, services
from territoire.indicators.models import IndicatorDefinition, Measurement, MeasurementOrigin, Visibility
from territoire.territory.models import Organisation

router = Router(tags=["indicators"])


class IndicatorOut(Schema):
    code: str
    name: str
    description: str
    unit: str
    direction: str
    method: str
    source: str
    visibility: str
    periodicity: str
    aggregate: str
    method_version: int
    module: str


class MeasurementOut(Schema):
    indicator: str
    scope: str
    period_start: date
    period_end: date
    value: Decimal
    version: int
    is_current: bool
    origin: str
    provenance: str
    recorded_at: datetime

    @staticmethod
    def resolve_indicator(obj: Measurement) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_scope(obj: Measurement) -> str:
        return obj.scope.code


class MeasurementFilters(Schema):
    organisation: str | None = Field(None, description="SIREN of the organisation")
    indicator: str | None = Field(None, description="indicator code")
    scope: str | None = Field(None, description="INSEE code of a commune or SIREN of the organisation")
    period_from: date | None = Field(None, description="periods ending on or after this date")
    period_to: date | None = Field(None, description="periods starting on or before this date")
    include_superseded: bool = Field(False, description="include corrected (superseded) versions")
    page: int = 1
    page_size: int = 100


def _number_text(value: Any) -> Any:
    # A JSON number or a string holding one (French decimal comma accepted); the spine's
    # validation parses it. One type rather than a union, so that an error names the
    # field ("measurements.0.value") and not a union member ("...value.float").
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    if isinstance(value, int | float):
        return repr(value)
    return value


NumberText = Annotated[
    str,
    BeforeValidator(_number_text),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}], "description": "a decimal number"}),
]


class MeasurementIn(Schema):
    indicator: str = Field(..., max_length=100)
    scope: str = Field(..., max_length=9)
    period_start: str = Field(..., max_length=10, description="YYYY-MM-DD")
    period_end: str = Field(..., max_length=10, description="YYYY-MM-DD")
    value: NumberText = Field(..., max_length=40)
    note: str = Field("", max_length=500)


class MeasurementBatchIn(Schema):
    measurements: list[MeasurementIn] = Field(..., min_length=1, max_length=5000)


class StoreOut(Schema):
    created: int
    corrected: int
    unchanged: int


def _visible(token: ApiToken | None) -> Q:
    """Public definitions for everyone; internal ones of the common catalogue or of the
    token's own organisation for an integration (another organisation's read as unknown)."""
    visible = Q(visibility=Visibility.PUBLIC)
    if token is not None:
        visible |= Q(organisation__isnull=True) | Q(organisation_id=token.organisation_id)
    return visible


@router.get("/indicators", response={200: list[IndicatorOut], 401: ErrorOut, 404: ErrorOut})
def list_indicators(request: HttpRequest, organisation: str | None = None) -> list[IndicatorDefinition]:
    token = optional_token(request, "indicators")
    qs = IndicatorDefinition.objects.filter(_visible(token)).order_by("code")
    if organisation:
        org = get_object_or_404(Organisation, siren=organisation)
        qs = qs.filter(Q(organisation__isnull=True) | Q(organisation=org))
    return list(qs)


@router.get("/indicators/{code}", response={200: IndicatorOut, 401: ErrorOut, 404: ErrorOut})
def get_indicator(request: HttpRequest, code: str) -> IndicatorDefinition:
    token = optional_token(request, "indicators")
    definition = IndicatorDefinition.objects.filter(_visible(token), code=code).first()
    if definition is None:
        raise HttpError(404, "unknown indicator")
    return definition


@router.get(
    "/measurements", response={200: Page[MeasurementOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def list_measurements(request: HttpRequest, filters: Query[MeasurementFilters]) -> dict[str, Any]:
    token = optional_token(request, "indicators")
    organisation = None
    if filters.organisation:
        organisation = get_object_or_404(Organisation, siren=filters.organisation)
    qs = selectors.measurements(
        organisation=organisation,
        indicator=filters.indicator,
        scope=filters.scope,
        period_from=filters.period_from,
        period_to=filters.period_to,
        include_superseded=filters.include_superseded,
        # An integration also reads the internal figures of the scopes its token covers.
        internal_scopes=token_scopes(token) if token is not None else None,
    )
    return paginate(qs, filters.page, filters.page_size)


@router.post(
    "/measurements",
    auth=TokenAuth("indicators"),
    response={201: StoreOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Record figures (all or nothing)",
)
def create_measurements(
    request: HttpRequest, payload: MeasurementBatchIn
) -> Status[services.StoreSummary] | Status[ErrorOut]:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if not token.can_write:
        raise HttpError(403, "this token is read-only; ask for a token with write rights")
    rows = [(index, item.model_dump()) for index, item in enumerate(payload.measurements)]
    # The API speaks English, as its reference does (the messages are French msgids).
    with translation.override("en"):
        clean, errors = services.validate_rows(
            rows, may_write=lambda scope: token_covers(token, scope), position="measurements.{}"
        )
    if errors:
        return Status(
            422,
            ErrorOut(
                detail=f"{len(errors)} error(s); nothing was recorded",
                errors=[
                    ErrorDetail(field=f"measurements.{e.line}.{e.column}", message=e.message, line=e.line)
                    for e in errors
                ],
            ),
        )
    summary = services.record_figures(
        clean,
        origin=MeasurementOrigin.API,
        provenance=f"api:{token.name}",
        audit_action="indicators.api_write",
    )
    return Status(201, summary)
