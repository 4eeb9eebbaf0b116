"""Pages of the legal information (localised), for a territory and for the site's default one."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from territoire.core.cache import public_page
from territoire.legal import views

PAGES = (
    ("mentions-legales/", views.legal_notice, "legal-notice"),
    ("accessibilite/", views.accessibility, "accessibility"),
    ("donnees-personnelles/", views.privacy, "privacy"),
    ("donnees/", views.open_data, "open-data"),
)

public_urlpatterns: list[URLPattern | URLResolver] = [
    pattern
    for route, view, name in PAGES
    for pattern in (
        path(f"t/<str:scope_code>/{route}", public_page(view), name=name),
        path(route, public_page(view), name=name),
    )
]
