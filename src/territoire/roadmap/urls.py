"""Pages of the roadmap (localised): the territory home, projects, partners; risks for staff."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from territoire.core.cache import public_page
from territoire.core.http import staff_page
from territoire.roadmap.views import public, staff

public_urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_page(public.index), name="index"),
    path("t/<str:scope_code>/", public_page(public.home), name="home"),
    path("t/<str:scope_code>/projets/", public_page(public.projects), name="projects"),
    path("t/<str:scope_code>/partenaires/", public_page(public.partners), name="partners"),
    path("t/<str:scope_code>/risques/", staff_page(staff.risks), name="risks"),
]
