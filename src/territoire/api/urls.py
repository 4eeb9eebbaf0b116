"""The JSON API at /api/v1/ (the api manifest mounts it at the site root)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from territoire.api.api import api

root_urlpatterns: list[URLPattern | URLResolver] = [path("api/v1/", api.urls)]
