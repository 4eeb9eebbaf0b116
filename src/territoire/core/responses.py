"""Errors answered at the edge, before any view: in the shape the client's API speaks.

A middleware that refuses a request (a rate limit, a malformed one) has no view to render
its error; each public API still expects its own error document: a module declares the
shape of its paths in its manifest (``EdgeErrors``: the API's ``{"detail", "errors"}``
under ``/api/``, GeoReport v2's ``errors`` under ``/open311/``). A person on a page gets a
small page in the language of its address (French, or English under ``/en/``): what happened and what to do, with no template, no stylesheet
and nothing else to load, since the request did not reach the stack that renders pages.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as escape_html

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from territoire.core import modules

PAGE_TITLES: dict[int, Callable[[], str]] = {
    400: lambda: _("Requête refusée"),
    413: lambda: _("Envoi trop volumineux"),
    429: lambda: _("Trop de demandes"),
}


def _page(request: HttpRequest, status: int, message: Callable[[], str]) -> HttpResponse:
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        title = PAGE_TITLES.get(status, lambda: _("Erreur"))()
        home = "/" if language == settings.LANGUAGE_CODE else f"/{language}/"
        back = _("Retour à l’accueil")
        body = (
            "<!DOCTYPE html>\n"
            f'<html lang="{escape_html(language)}">\n<head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape_html(title)} — Territoire</title></head>\n"
            f"<body><main><h1>{escape_html(title)}</h1>\n<p>{escape_html(message())}</p>\n"
            f'<p><a href="{home}">{escape_html(back)}</a></p></main></body>\n</html>\n'
        )
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Content-Language"] = language
    return response


def edge_error(request: HttpRequest, status: int, detail: str, message: Callable[[], str]) -> HttpResponse:
    """The error answer of a request refused before any view.

    ``detail`` is for programs (the APIs' error documents, in English); ``message``, for
    a person on a page, is called in the page's language (it uses gettext).
    """
    respond = modules.edge_error_shape(request.path_info)
    if respond is not None:
        return respond(request, status, detail)
    return _page(request, status, message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: an oversize body or too many fields, in the shape of the path's API.

    Django raises these while reading the request (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_NUMBER_FILES``), in a middleware
    or in a view, and answers with its HTML 400 page: an API client expects its own error
    document, a person a page in their language. Other bad requests keep Django's page.
    """
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return edge_error(
            request,
            413,
            f"request body too large (more than {limit} bytes outside uploaded files)",
            lambda: (
                _(
                    "Le contenu envoyé dépasse la taille acceptée (%(size)s octets hors fichiers joints). "
                    "Raccourcissez le texte, ou envoyez-le en plusieurs fois."
                )
                % {"size": limit}
            ),
        )
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        what = "files" if isinstance(exception, TooManyFilesSent) else "fields"
        return edge_error(
            request,
            400,
            f"too many {what} in the request",
            lambda: _("La requête contient trop de champs ou de fichiers : aucune page n’en attend autant."),
        )
    return defaults.bad_request(request, exception or Exception())
