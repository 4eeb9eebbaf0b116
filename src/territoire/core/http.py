"""What views of every module need about a request: staff pages and the client's address.

Staff pages are declared with :func:`staff_page` (in ``urls.py`` or on the view): the
accounts middleware then requires the second factor there, as on ``/admin/``. The mark
lives in the core, so that a module never imports the accounts app to declare one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from territoire.core import ratelimit

STAFF_PAGE_ATTRIBUTE = "territoire_staff_page"

View = TypeVar("View", bound=Callable[..., Any])


def staff_page(view: View) -> View:
    """Mark a view as a staff page: the second factor is then required by the middleware."""
    setattr(view, STAFF_PAGE_ATTRIBUTE, True)
    return view


def is_staff_page(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, STAFF_PAGE_ATTRIBUTE, False))


def refuse(request: HttpRequest, reason: str, *, context: dict[str, Any] | None = None) -> HttpResponse:
    """403 for a person who may see the page's subject but may not do what they asked:
    told so in their language, with the reason (never for another tenant's object, which
    answers 404 as an unknown one)."""
    return render(request, "core/refused.html", {**(context or {}), "reason": reason}, status=403)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address for the audit trail (behind a trusted proxy, the forwarded one)."""
    if request is None:
        return None
    address = ratelimit.client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address
