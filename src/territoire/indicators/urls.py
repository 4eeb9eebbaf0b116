"""Pages of the spine: an indicator's page and downloads, staff figure entry (localised)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from territoire.core.cache import public_page
from territoire.core.http import staff_page
from territoire.indicators.views import imports, public, staff

public_urlpatterns: list[URLPattern | URLResolver] = [
    path("t/<str:scope_code>/indicateurs/<str:code>/", public_page(public.detail), name="indicator"),
    path("t/<str:scope_code>/indicateurs/<str:code>.csv", public.download_csv, name="indicator-csv"),
    path("t/<str:scope_code>/indicateurs/<str:code>.json", public.download_json, name="indicator-json"),
    path(
        "t/<str:scope_code>/indicateurs/<str:code>/tableur.csv",
        public.download_spreadsheet,
        name="indicator-csv-fr",
    ),
    path("t/<str:scope_code>/indicateurs.csv", public.download_all, name="indicators-csv"),
    path(
        "t/<str:scope_code>/indicateurs-tableur.csv",
        public.download_all_spreadsheet,
        name="indicators-csv-fr",
    ),
    path(
        "t/<str:scope_code>/indicateurs/<str:code>/saisir/",
        staff_page(staff.record_figure),
        name="indicator-record",
    ),
    path("t/<str:scope_code>/importer/", staff_page(imports.import_figures), name="import-figures"),
    path(
        "t/<str:scope_code>/importer/<uuid:pending_id>/confirmer/",
        staff_page(imports.confirm_import),
        name="import-figures-confirm",
    ),
    path(
        "t/<str:scope_code>/importer/modele.csv", staff_page(imports.import_template), name="import-template"
    ),
]
