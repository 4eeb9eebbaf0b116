"""Open311 GeoReport v2 server (placeholder until the module lands)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
