"""The rows of an Open311 listing: public columns only, a page of ids at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from territoire.reports.models import (
    Report,
    ReportPhoto,
)
from territoire.reports.open311.params import MAX_RESULTS, Jurisdiction
from territoire.reports.open311.render import absolute_url, format_datetime, format_number, service_notice

PHOTO_URL_NAME = "reports-photo"  # the public photo view of the module's urls.py


# The only columns a GET reads (values(): no model instance, no personal column).
_LIST_COLUMNS = (
    "id",
    "organisation_id",
    "commune_id",
    "hidden",
    "public_id",
    "is_open",
    "status_notes",
    "category__name",
    "category__service_code",
    "category__team",
    "category__sla_days",
    "commune__name",
    "commune__insee_code",
    "description",
    "requested_at",
    "updated_at",
    "closed_at",
    "expected_at",
    "address_string",
    "address_id",
    "zipcode",
    "lat",
    "lon",
    "media_url",
)


def _photo_url(request: HttpRequest, row: dict[str, Any]) -> str:
    """The public URL of the report's first photo (the module's photo view), or ""."""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse(
                PHOTO_URL_NAME,
                kwargs={
                    "scope_code": row["commune__insee_code"],
                    "public_id": row["public_id"],
                    "photo_id": row["photo_id"],
                },
            )
    except NoReverseMatch:
        return ""
    return absolute_url(request, path)


def _first_photos(report_ids: Sequence[int]) -> dict[int, Any]:
    """The first photo shown (not redacted, stored) of each report: one query for the page."""
    if not report_ids:
        return {}
    first: dict[int, Any] = {}
    for report_id, photo_id in (
        ReportPhoto.objects.filter(report_id__in=list(report_ids), redacted=False)
        .exclude(file="")
        .order_by("report_id", "created_at", "id")
        .values_list("report_id", "public_id")
    ):
        first.setdefault(report_id, photo_id)
    return first


def listing_rows(
    request: HttpRequest,
    queryset: QuerySet[Report],
    *,
    offset: int = 0,
    limit: int = MAX_RESULTS,
    jurisdiction: Jurisdiction | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``queryset`` (a small set: a page of ids, or ids looked up), newest first.

    Two queries whatever the number of rows and photos: the public columns (joined with the
    category and the commune), then the first photo of each row. ``queryset`` carries no
    ordering: the rows are sorted here, so the planner never walks a date index to avoid a
    sort (the caller bounds the set to 1,000 rows). Hidden rows, and rows outside
    ``jurisdiction`` when given, are dropped here: a lookup by ``public_id`` then filters on
    the unique index alone, which no planner (with or without statistics) can get wrong.
    """
    org_id = jurisdiction.organisation.pk if jurisdiction is not None else None
    commune_id = jurisdiction.commune.pk if jurisdiction is not None and jurisdiction.commune else None
    rows = sorted(
        (
            row
            for row in queryset.order_by().values(*_LIST_COLUMNS)
            if not row["hidden"]
            and (org_id is None or row["organisation_id"] == org_id)
            and (commune_id is None or row["commune_id"] == commune_id)
        ),
        key=lambda r: (r["requested_at"], r["id"]),
        reverse=True,
    )[offset : offset + limit]
    photos = _first_photos([r["id"] for r in rows if not r["media_url"]])
    out = []
    tz = timezone.get_current_timezone()  # once: looking it up is costly at 1,000 rows
    notices: dict[int | None, str] = {}
    for row in rows:
        sla_days = row["category__sla_days"]
        if sla_days not in notices:
            notices[sla_days] = service_notice(sla_days=sla_days)
        row["photo_id"] = photos.get(row["id"])
        media_url = row["media_url"] or (_photo_url(request, row) if row["photo_id"] else "")
        out.append(
            {
                "service_request_id": str(row["public_id"]),
                "status": "open" if row["is_open"] else "closed",
                "status_notes": row["status_notes"],
                "service_name": row["category__name"],
                "service_code": row["category__service_code"],
                "description": row["description"],
                "agency_responsible": row["category__team"] or row["commune__name"],
                "service_notice": notices[sla_days],
                "requested_datetime": format_datetime(row["requested_at"], tz),
                "updated_datetime": format_datetime(
                    row["closed_at"] if not row["is_open"] and row["closed_at"] else row["updated_at"],
                    tz,
                ),
                "expected_datetime": format_datetime(row["expected_at"], tz),
                "address": row["address_string"],
                "address_id": row["address_id"],
                "zipcode": row["zipcode"],
                "lat": format_number(row["lat"]),
                "long": format_number(row["lon"]),
                "media_url": media_url,
            }
        )
    return out


def ordered_ids(queryset: QuerySet[Report], offset: int, limit: int) -> list[int]:
    """A page of ids, newest first: a LIMIT over one of the listing indexes (see models)."""
    return list(
        queryset.order_by("-requested_at", "-id").values_list("id", flat=True)[offset : offset + limit]
    )


def union_ids(branches: Sequence[QuerySet[Report]], offset: int, limit: int) -> list[int]:
    """A page of ids over several categories: each branch is a LIMIT over its own index,
    the union of at most ``len(branches) × (offset + limit)`` rows is merged by the database.

    Written by hand because Django cannot slice the parts of a UNION on SQLite.
    """
    parts: list[str] = []
    params: list[Any] = []
    for index, branch in enumerate(branches):
        sql, branch_params = (
            branch.order_by("-requested_at", "-id")
            .values_list("id", "requested_at")[: offset + limit]
            .query.sql_with_params()
        )
        parts.append(f"SELECT * FROM ({sql}) AS b{index}")  # noqa: S608 (the ORM's own SQL)
        params.extend(branch_params)
    sql = (
        f"SELECT u.id FROM ({' UNION ALL '.join(parts)}) AS u "  # noqa: S608 (the ORM's own SQL)
        "ORDER BY u.requested_at DESC, u.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [int(row[0]) for row in cursor.fetchall()]
