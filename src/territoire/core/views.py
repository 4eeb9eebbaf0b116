from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.views.decorators.cache import never_cache

from territoire.core import modules
from territoire.core.context_processors import chrome


@never_cache
def live(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Also the trivial baseline of the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# Error pages (handler403, handler404, handler500 of the root URLconf): in the site's chrome
# and in the language of the address (French, English under /en/); under an API's prefix,
# in that API's error document (``EdgeErrors``).


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    respond = modules.edge_error_shape(request.path_info)
    if respond is not None:
        return respond(request, 403, "permission denied")
    # A service's refusal says in words what the person may not do; Django's own have no message.
    message = str(exception) if isinstance(exception, PermissionDenied) and exception.args else ""
    return render(request, "core/403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    respond = modules.edge_error_shape(request.path_info)
    if respond is not None:
        return respond(request, 404, "not found")
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, made without the database (it may be what failed): no context
    processor, no session, no user; the chrome's links come from the manifests."""
    respond = modules.edge_error_shape(request.path_info)
    if respond is not None:
        return respond(request, 500, "internal server error")
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        body = loader.render_to_string("core/500.html", {**chrome(), "request": request})
    response = HttpResponse(body, status=500, content_type="text/html; charset=utf-8")
    response["Content-Language"] = language
    return response
