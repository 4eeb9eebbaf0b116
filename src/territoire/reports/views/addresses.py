"""The address field of the report form: search as one types, and the address of a pin.

Two public JSON endpoints of the place (the organisation or one commune), answered from
the Base Adresse Nationale imported with ``territoire territory import-addresses``: open
data, no personal data. Each request counts in the ``address_lookup`` rate limit (a
search runs on keystrokes). Without JavaScript the form searches server-side instead
(``views.public.new``, the "Chercher l'adresse" button).
"""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from territoire.core.ratelimit import check as rate_limit
from territoire.reports import geocode
from territoire.reports.views.public import place_of
from territoire.territory import addresses

SEARCH_LIMIT = 8
# Public data that changes with an import (a few times a year): browsers may keep it.
MAX_AGE_S = 300


def _json(data: dict[str, object], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    if status == 200:
        response["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    return response


@require_safe
def search(request: HttpRequest, scope_code: str) -> HttpResponse:
    """``?q=12 rue des eco`` → ``{"results": [{"label", "id", "lat", "lon", "commune"}, …]}``."""
    place = place_of(scope_code)
    limited = rate_limit(request, "address_lookup")
    if limited is not None:
        return limited
    query = request.GET.get("q", "")[: addresses.MAX_QUERY_LENGTH]
    found = addresses.search(query, place.communes(), limit=SEARCH_LIMIT)
    return _json({"query": query, "results": [f.as_json() for f in found]})


def _coordinate(raw: str, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


@require_safe
def nearest(request: HttpRequest, scope_code: str) -> HttpResponse:
    """``?lat=47.01&lon=2.01`` → ``{"result": {… "distance_m"}}``, or ``null`` if none is near."""
    place = place_of(scope_code)
    limited = rate_limit(request, "address_lookup")
    if limited is not None:
        return limited
    lat = _coordinate(request.GET.get("lat", ""), -90, 90)
    lon = _coordinate(request.GET.get("lon", ""), -180, 180)
    if lat is None or lon is None:
        return _json(
            {"error": _("Indiquez lat (entre -90 et 90) et lon (entre -180 et 180), en degrés décimaux.")},
            status=400,
        )
    found = geocode.nearest_label(lat, lon, place.communes())
    return _json({"result": found.as_json() if found is not None else None})
