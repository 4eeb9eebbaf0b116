from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.http import HttpRequest

import territoire


@cache
def module_navigation() -> tuple[tuple[Any, str], ...]:
    """``(label, url name)`` of every module's public pages, in the order of INSTALLED_APPS.

    A module adds entries to the main navigation by defining ``navigation`` in its
    ``urls.py``: a list of ``(lazy label, url name)``; each url takes ``scope_code``.
    """
    entries: list[tuple[Any, str]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("territoire.") or find_spec(f"{config.name}.urls") is None:
            continue
        entries.extend(getattr(import_module(f"{config.name}.urls"), "navigation", []))
    return tuple(entries)


def site(request: HttpRequest) -> dict[str, Any]:
    return {"territoire_version": territoire.__version__, "module_navigation": module_navigation()}
