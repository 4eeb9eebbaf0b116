from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import territoire
from territoire.core import modules


def module_navigation() -> tuple[tuple[Any, str], ...]:
    """``(label, url name)`` of every module's menu entries (``Manifest.navigation``).

    Each url takes ``scope_code``; in the order of INSTALLED_APPS.
    """
    return tuple((entry.label, entry.url_name) for entry in modules.navigation())


def chrome() -> dict[str, Any]:
    """What the base template's header and footer read, without the database (error pages)."""
    return {
        "territoire_version": territoire.__version__,
        "module_navigation": module_navigation(),
        "header_links": modules.site_links("header"),
        "footer_links": modules.site_links("footer"),
    }


def site(request: HttpRequest) -> dict[str, Any]:
    return chrome()
