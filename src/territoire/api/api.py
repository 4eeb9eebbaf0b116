"""The JSON API at /api/v1/: assembled from every app's ``api.py`` router."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

import territoire

api = NinjaAPI(
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
    return api.create_response(request, {"detail": str(exc), "errors": []}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Authorization: a valid Bearer token is required", "errors": []}, status=401
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "not found", "errors": []}, status=404)


@api.get("/", include_in_schema=False)
def root(request: HttpRequest) -> dict[str, str]:
    return {"name": "Territoire API", "version": territoire.__version__, "openapi": "/api/v1/openapi.json"}


def _discover() -> None:
    """Mount the ``router`` of every installed app's ``api`` module (the manifest way)."""
    for config in apps.get_app_configs():
        if config.name == "territoire.api":
            continue
        module_name = f"{config.name}.api"
        if not config.name.startswith("territoire.") or find_spec(module_name) is None:
            continue
        module = import_module(module_name)
        router = getattr(module, "router", None)
        if router is not None:
            api.add_router(getattr(module, "API_PREFIX", ""), router)


_discover()
