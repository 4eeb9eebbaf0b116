"""Security headers that Django's SecurityMiddleware does not set."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@lru_cache(maxsize=8)
def _policy(tile_origin: str) -> str:
    # Everything is served by the platform itself: no third-party origin, no inline script
    # or style. SVG charts use presentation attributes, which CSP does not govern. The one
    # exception is a map tile server, when the installation configures one.
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data:{' ' + tile_origin if tile_origin else ''}",
            "style-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def tile_origin() -> str:
    """Origin of ``TERRITOIRE["MAP_TILE_URL"]`` (``https://tiles.example.org``), or ""."""
    url = str(settings.TERRITOIRE.get("MAP_TILE_URL", "") or "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc.split('@')[-1]}"


def content_security_policy() -> str:
    return _policy(tile_origin())


CONTENT_SECURITY_POLICY = _policy("")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The admin ships inline scripts of its own; it is staff-only and same-origin.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        return response
