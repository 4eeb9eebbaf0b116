"""URLs of the reports module, collected by territoire.urls (see docs/architecture.md).

``root_urlpatterns`` are mounted at the site root as they are (the Open311 server);
``public_urlpatterns`` are mounted in the localised part of the site (French at /, English
under /en/); ``navigation`` adds entries to the main menu.
"""

from django.urls import URLPattern, URLResolver, include, path

from territoire.reports import open311

root_urlpatterns: list[URLPattern | URLResolver] = [
    path("open311/v2/", include(open311.urlpatterns)),
]
public_urlpatterns: list[URLPattern | URLResolver] = []
# (lazy label, url name taking ``scope_code``): entries of the site's main navigation.
navigation: list[tuple[str, str]] = []
