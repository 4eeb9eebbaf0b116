from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from example_module import views
from territoire.core.cache import public_page

public_urlpatterns: list[URLPattern | URLResolver] = [
    path("t/<str:scope_code>/exemple/", public_page(views.page), name="example-page"),
    path("t/<str:scope_code>/exemple/communes.csv", views.communes_csv, name="example-communes-csv"),
]
