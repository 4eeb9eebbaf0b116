"""The site's URLconf plus views that fail, for tests/test_error_pages.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from territoire.urls import handler400, handler403, handler404, handler500
from territoire.urls import urlpatterns as site_patterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Seuls les administrateurs de la collectivité peuvent faire cela.")


def refused_silently(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [
    path("boom/", boom),
    path("en/boom/", boom),
    path("api/v1/boom/", boom),
    path("interdit/", refused),
    path("en/interdit/", refused_silently),
    *site_patterns,
]
