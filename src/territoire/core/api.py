"""The plumbing every module's JSON API router uses: error documents, pagination.

Nothing here needs a model: the token-dependent parts (``TokenAuth``, ``optional_token``)
stay in the ``api`` app. The API's error shape at the edge (``{"detail", "errors"}``, for a
request refused before any view) is here too; the ``api`` app declares it for ``/api/``.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema
from ninja.errors import HttpError, ValidationError

T = TypeVar("T")


class ErrorDetail(Schema):
    field: str | None = None
    message: str
    line: int | None = None


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorDetail] = []


class ApiError(HttpError):
    """An HTTP error about one field of the request (a parameter, a header)."""

    def __init__(self, status_code: int, message: str, *, field: str | None = None) -> None:
        super().__init__(status_code, message)
        self.field = field


def not_found(what: str, field: str, value: str) -> ApiError:
    return ApiError(404, f"{field}: unknown {what} {value[:20]!r}", field=field)


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    next_page: int | None
    results: list[T]


def paginate(qs: QuerySet[Any], page: int, page_size: int) -> dict[str, Any]:
    limit = int(settings.TERRITOIRE["API_PAGE_SIZE_MAX"])
    errors = []
    if page < 1:
        errors.append({"loc": ("query", "page"), "msg": "must be 1 or more"})
    if not 1 <= page_size <= limit:
        errors.append({"loc": ("query", "page_size"), "msg": f"must be between 1 and {limit}"})
    if errors:
        raise ValidationError(errors)
    count = qs.count()
    start = (page - 1) * page_size
    # Past the end: no query (and no overflow of the database's integers on a huge page).
    results = list(qs[start : start + page_size]) if start < count else []
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if start + page_size < count else None,
        "results": results,
    }


def edge_error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    """The API's error document for a request refused before any view (see core.responses)."""
    return JsonResponse({"detail": detail, "errors": []}, status=status)
