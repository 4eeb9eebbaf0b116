"""Security headers that Django's SecurityMiddleware does not set; NUL characters refused."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from territoire.core.responses import edge_error


@lru_cache(maxsize=8)
def _policy(tile_origin: str) -> str:
    # Everything is served by the platform itself: no third-party origin, no inline script
    # or style. SVG charts use presentation attributes, which CSP does not govern. The one
    # exception is a map tile server, when the installation configures one.
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data:{' ' + tile_origin if tile_origin else ''}",
            "style-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def tile_origin() -> str:
    """Origin of ``TERRITOIRE["MAP_TILE_URL"]`` (``https://tiles.example.org``), or ""."""
    url = str(settings.TERRITOIRE.get("MAP_TILE_URL", "") or "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc.split('@')[-1]}"


def content_security_policy() -> str:
    return _policy(tile_origin())


CONTENT_SECURITY_POLICY = _policy("")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Every page, the admin included: Django's admin ships no inline script or style.
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        return response


NUL = "\x00"


def _nul_in(data: QueryDict) -> str | None:
    """The first parameter whose name or a value holds a NUL character."""
    for key, values in data.lists():
        if NUL in key:
            return "parameter name"
        if any(NUL in value for value in values):
            return key[:80]
    return None


def nul_character_in(request: HttpRequest) -> str | None:
    """Where the request holds a NUL character (U+0000), or None: the path, a parameter of
    the query string or of a URL-encoded form. A multipart body is left to the view (its
    form fields refuse NUL, and a body that does not parse gets the view's own answer), a
    JSON body to the API (422, naming the field)."""
    if NUL in request.path_info:
        return "path"
    found = _nul_in(request.GET)
    if (
        found is None
        and request.method == "POST"
        and request.content_type == "application/x-www-form-urlencoded"
    ):
        found = _nul_in(request.POST)
    return found


def _place(where: str) -> str:
    """Where the NUL character is, for a person (``where`` as nul_character_in says it)."""
    if where == "path":
        return _("dans l’adresse de la page")
    if where == "parameter name":
        return _("dans le nom d’un paramètre")
    return _("dans le champ « %(name)s »") % {"name": where}


class NulCharacterMiddleware:
    """Refuse a request holding a NUL character (400), before any view reads it.

    No valid input of the site holds one, and PostgreSQL cannot store or compare it in
    text: the driver refuses the query, which would end as a 500 deep inside a view (a
    category code, a commune code in the path, an API filter).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_character_in(request)
        if where is not None:
            return edge_error(
                request,
                400,
                f"{where}: NUL character (U+0000) not allowed",
                lambda: (
                    _(
                        "La requête contient un caractère nul (U+0000) %(place)s : aucune page ne"
                        " l’accepte. Vérifiez le lien, ou saisissez de nouveau le texte."
                    )
                    % {"place": _place(where)}
                ),
            )
        return self.get_response(request)
