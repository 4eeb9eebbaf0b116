"""Open311 responses: XML or JSON documents, and the spec's error documents."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from territoire.reports.models import (
    ServiceCategory,
)

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, errors: Sequence[tuple[int, str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = list(errors)


def error(status: int, description: str) -> Open311Error:
    return Open311Error(status, [(status, description)])


# Characters XML 1.0 cannot carry at all (even escaped): dropped from the output.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml_text(value: Any) -> str:
    """Element text: ``true``/``false`` for booleans, "" for None, markup characters escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value)).translate(_XML_ESCAPES)


_LIST_CHILDREN = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml_into(out: list[str], name: str, value: Any) -> None:
    # Element names are this module's constants (never client input), so they need no escaping.
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml_into(out, key, item)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        # Lists are written as repeated children named after the parent's singular.
        child = _LIST_CHILDREN.get(name, "item")
        out.append(f"<{name}>")
        for item in value:
            _xml_into(out, child, item)
        out.append(f"</{name}>")
    else:
        text = _xml_text(value)
        out.append(f"<{name}>{text}</{name}>" if text else f"<{name} />")


def render(fmt: str, root: str, item: str | None, payload: Any, status: int = 200) -> HttpResponse:
    """``payload`` as JSON, or as XML under ``<root>`` (a list becomes repeated ``<item>``).

    The XML is written directly (escaping every text), which is several times faster than
    building an ElementTree for a page of 1,000 requests; the tests parse it with xml.etree.
    """
    if fmt == "json":
        # Plain data only (no custom encoder needed), which keeps json's C encoder in use.
        return HttpResponse(
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            status=status,
            content_type=FORMATS["json"],
        )
    out = ['<?xml version="1.0" encoding="utf-8"?>\n', f"<{root}>"]
    if isinstance(payload, list):
        for entry in payload:
            _xml_into(out, item or "item", entry)
    else:
        for key, value in payload.items():
            _xml_into(out, key, value)
    out.append(f"</{root}>")
    return HttpResponse("".join(out).encode(), status=status, content_type=FORMATS["xml"])


def render_errors(fmt: str, error: Open311Error) -> HttpResponse:
    payload = [{"code": code, "description": description} for code, description in error.errors]
    return render(fmt, "errors", "error", payload, status=error.status)


def format_datetime(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """W3C date-time with the offset, in the installation's time zone (``tz``: pass it in loops)."""
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat(timespec="seconds")


def format_number(value: float | None) -> float | None:
    return None if value is None else round(value, 7)


def absolute_url(request: HttpRequest, path: str) -> str:
    base = str(settings.TERRITOIRE.get("SITE_URL", "") or "").rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def service_notice(category: ServiceCategory | None = None, sla_days: int | None = None) -> str:
    days = category.sla_days if category is not None else sla_days
    if not days:
        return ""
    return f"Délai de traitement visé : {days} jour{'s' if days > 1 else ''}."
