"""GeoReport v2's error document for a request refused before any view (rate limit, NUL).

Declared in the reports manifest for ``/open311/`` (``EdgeErrors``): XML or JSON by the
URL's suffix, as the Open311 server answers its own errors.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse, JsonResponse


def open311_error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    if request.path_info.endswith(".xml"):
        return HttpResponse(
            f'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>{status}</code>'
            f"<description>{escape(detail)}</description></error></errors>",
            status=status,
            content_type="text/xml; charset=utf-8",
        )
    return JsonResponse([{"code": status, "description": detail}], status=status, safe=False)
