"""Shared pieces of the JSON API: pagination, optional token, errors."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError

from territoire.api.auth import TokenAuth
from territoire.api.models import ApiToken

T = TypeVar("T")


class ErrorDetail(Schema):
    field: str | None = None
    message: str
    line: int | None = None


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorDetail] = []


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    next_page: int | None
    results: list[T]


def paginate(qs: QuerySet[Any], page: int, page_size: int) -> dict[str, Any]:
    limit = int(settings.TERRITOIRE["API_PAGE_SIZE_MAX"])
    if page < 1:
        raise HttpError(422, "page: must be 1 or more")
    if not 1 <= page_size <= limit:
        raise HttpError(422, f"page_size: must be between 1 and {limit}")
    count = qs.count()
    start = (page - 1) * page_size
    results = list(qs[start : start + page_size])
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if start + page_size < count else None,
        "results": results,
    }


def optional_token(request: HttpRequest) -> ApiToken | None:
    """The integration's token when one is sent (reads are public without one)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        raise HttpError(401, "Authorization: expected 'Bearer <token>'")
    token = TokenAuth().authenticate(request, raw.strip())
    if token is None:
        raise HttpError(401, "Authorization: unknown, expired or revoked token")
    return token
