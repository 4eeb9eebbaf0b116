"""URLs of the module, collected by territoire.urls (see docs/architecture.md).

``root_urlpatterns`` are mounted at the site root as they are; ``public_urlpatterns`` are
mounted in the localised part of the site (French at /, English under /en/).
"""

from django.urls import URLPattern, URLResolver

root_urlpatterns: list[URLPattern | URLResolver] = []
public_urlpatterns: list[URLPattern | URLResolver] = []
# (lazy label, url name taking ``scope_code``): entries of the site's main navigation.
navigation: list[tuple[str, str]] = []
