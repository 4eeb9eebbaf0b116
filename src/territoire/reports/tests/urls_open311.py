"""The Open311 server alone, mounted as in production: its tests do not depend on other pages.

A stand-in for the module's public photo view gives ``media_url`` something to point to.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from territoire.reports import open311


def photo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse(b"")


urlpatterns = [
    path("open311/v2/", include(open311.urlpatterns)),
    path(
        "t/<str:scope_code>/signalements/<uuid:public_id>/photos/<uuid:photo_id>/",
        photo,
        name="reports-photo",
    ),
]
