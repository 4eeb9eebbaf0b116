"""Errors answered at the edge, before any view: in the shape the client's API speaks.

A middleware that refuses a request (a rate limit, a malformed one) has no view to render
its error; each public API still expects its own error document: ``{"detail", "errors"}``
under ``/api/``, GeoReport v2's ``errors`` (XML or JSON, by the URL's suffix) under
``/open311/``, short plain text elsewhere.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse, JsonResponse


def edge_error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    path = request.path_info
    if path.startswith("/api/"):
        return JsonResponse({"detail": detail, "errors": []}, status=status)
    if path.startswith("/open311/") and path.endswith(".xml"):
        return HttpResponse(
            f'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>{status}</code>'
            f"<description>{escape(detail)}</description></error></errors>",
            status=status,
            content_type="text/xml; charset=utf-8",
        )
    if path.startswith("/open311/"):
        return JsonResponse([{"code": status, "description": detail}], status=status, safe=False)
    return HttpResponse(f"{status} — {detail}.\n", status=status, content_type="text/plain; charset=utf-8")
