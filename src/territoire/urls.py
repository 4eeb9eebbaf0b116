from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from territoire.accounts.services import staff_page
from territoire.api.api import api
from territoire.core import views as core_views
from territoire.core.cache import public_page
from territoire.indicators import staff_views
from territoire.indicators import views as indicator_views
from territoire.roadmap import views as roadmap_views

admin.site.site_header = "Territoire"
admin.site.site_title = "Territoire"

# Staff pages are wrapped in ``staff_page``: the accounts middleware then requires the
# second factor there, as on /admin/.
# Public pages: French at the root, English under /en/ (plain links, no form, no cookie:
# pages stay cacheable and work without JavaScript).
public = [
    path("", public_page(roadmap_views.index), name="index"),
    path("t/<str:scope_code>/", public_page(roadmap_views.home), name="home"),
    path("t/<str:scope_code>/projets/", public_page(roadmap_views.projects), name="projects"),
    path("t/<str:scope_code>/partenaires/", public_page(roadmap_views.partners), name="partners"),
    path("t/<str:scope_code>/risques/", staff_page(roadmap_views.risks), name="risks"),
    path("t/<str:scope_code>/indicateurs/<str:code>/", public_page(indicator_views.detail), name="indicator"),
    path("t/<str:scope_code>/indicateurs/<str:code>.csv", indicator_views.download_csv, name="indicator-csv"),
    path(
        "t/<str:scope_code>/indicateurs/<str:code>.json", indicator_views.download_json, name="indicator-json"
    ),
    path(
        "t/<str:scope_code>/indicateurs/<str:code>/saisir/",
        staff_page(staff_views.record_figure),
        name="indicator-record",
    ),
    path("t/<str:scope_code>/importer/", staff_page(staff_views.import_figures), name="import-figures"),
]


def _module_urls(attribute: str) -> list[URLPattern | URLResolver]:
    """Every installed module's ``urls.<attribute>``, in the order of INSTALLED_APPS.

    A module plugs its pages in by defining ``root_urlpatterns`` (mounted as they are, e.g.
    /open311/v2/) and ``public_urlpatterns`` (localised: French at /, English under /en/)
    in its ``urls.py``; this file never names a module.
    """
    patterns: list[URLPattern | URLResolver] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("territoire.") or find_spec(f"{config.name}.urls") is None:
            continue
        patterns.extend(getattr(import_module(f"{config.name}.urls"), attribute, []))
    return patterns


public += _module_urls("public_urlpatterns")

urlpatterns = [
    *_module_urls("root_urlpatterns"),
    path("admin/", admin.site.urls),
    path("compte/", include("territoire.accounts.urls")),
    path("api/v1/", api.urls),
    path("healthz/live", core_views.live, name="health-live"),
    path("healthz/ready", core_views.ready, name="health-ready"),
    *i18n_patterns(*public, prefix_default_language=False),
]
