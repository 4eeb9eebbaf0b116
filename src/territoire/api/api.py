"""The JSON API at /api/v1/: assembled from the router every module's manifest declares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

import territoire
from territoire.core import modules

View = Callable[..., HttpResponse]


def _json_method_not_allowed(view: View) -> View:
    """Ninja answers a wrong method with a plain-text 405; answer it in JSON like every error."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            detail = f"method {request.method} not allowed here; allowed: {allowed}"
            json_response = JsonResponse({"detail": detail, "errors": []}, status=405)
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped


@csrf_exempt
def _unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    detail = f"unknown API path {request.path[:100]!r}; see /api/v1/openapi.json"
    return JsonResponse({"detail": detail, "errors": []}, status=404)


# Answered by core.middleware before the API sees the request, for any operation.
MALFORMED_REQUEST = {
    "description": "Malformed request: a NUL character in the path or a parameter",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


class TerritoireAPI(NinjaAPI):
    """Ninja, with JSON answers for unknown paths and wrong methods too."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault(400, MALFORMED_REQUEST)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        return [*urls, re_path(r"^.*$", _unknown_path, name="api-unknown")]


api = TerritoireAPI(
    title="Territoire API",
    version="1",
    description=(
        "Public figures of the territory (organisation, communes, zones, roadmap, indicators, "
        "measurements) and authenticated writes for integrations (Bearer token)."
    ),
    urls_namespace="api",
    openapi_extra={"info": {"license": {"name": "AGPL-3.0-or-later"}}},
)


def _loc(loc: list[object] | tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload")]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _loc(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in exc.errors]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja's only 400 is a request body that cannot be parsed.
    field = getattr(exc, "field", None) or ("body" if exc.status_code == 400 else None)
    errors = [{"field": field, "message": str(exc)}] if field else []
    response = api.create_response(request, {"detail": str(exc), "errors": errors}, status=exc.status_code)
    if exc.status_code == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = "Authorization: a valid Bearer token is required"
    response = api.create_response(
        request, {"detail": detail, "errors": [{"field": "Authorization", "message": detail}]}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "not found", "errors": []}, status=404)


@api.get("/", include_in_schema=False)
def root(request: HttpRequest) -> dict[str, str]:
    return {"name": "Territoire API", "version": territoire.__version__, "openapi": "/api/v1/openapi.json"}


def _mount() -> None:
    """Mount the ``api_router`` of every module's manifest, in the order of INSTALLED_APPS."""
    for _label, prefix, router in modules.api_routers():
        api.add_router(prefix, router)


_mount()
