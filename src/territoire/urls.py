"""The site's URLs: the core's own, then what every module's manifest declares.

This file never names a module: a module's ``root_urls`` are mounted as they are (e.g.
/open311/v2/, /api/v1/), its ``public_urls`` in the localised part of the site (French at
/, English under /en/: plain links, no form, no cookie, so pages stay cacheable and work
without JavaScript), in the order of INSTALLED_APPS.
"""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from territoire.core import modules
from territoire.core import views as core_views

admin.site.site_header = "Territoire"
admin.site.site_title = "Territoire"


def build() -> list[URLPattern | URLResolver]:
    """The URL patterns of the installed modules (a test installing a module builds its own)."""
    return [
        *modules.root_urlpatterns(),
        path("admin/", admin.site.urls),
        path("healthz/live", core_views.live, name="health-live"),
        path("healthz/ready", core_views.ready, name="health-ready"),
        *i18n_patterns(*modules.public_urlpatterns(), prefix_default_language=False),
    ]


urlpatterns = build()
# Oversize or too-many-fields requests answered in each API's error shape.
handler400 = "territoire.core.responses.bad_request"
# Error pages in the site's chrome and language; the 500 page needs no database.
handler403 = "territoire.core.views.permission_denied"
handler404 = "territoire.core.views.page_not_found"
handler500 = "territoire.core.views.server_error"
