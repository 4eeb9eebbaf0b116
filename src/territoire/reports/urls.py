"""URLs of the reports module, declared in its manifest (``apps.py``).

``root_urlpatterns`` are mounted at the site root as they are (the Open311 server);
``public_urlpatterns`` are mounted in the localised part of the site (French at /, English
under /en/).
"""

from typing import Any

from django.urls import URLPattern, URLResolver, include, path

from territoire.core.cache import public_page as cached_page
from territoire.core.http import staff_page
from territoire.reports import open311
from territoire.reports.models import VERSION_KEY
from territoire.reports.views import addresses, public, staff


def public_page(view: Any) -> Any:
    """Cached for anonymous visitors until the spine's data or the reports change."""
    return cached_page(view, versions=("published", VERSION_KEY))


root_urlpatterns: list[URLPattern | URLResolver] = [
    path("open311/v2/", include(open311.urlpatterns)),
]

_REPORTS = "t/<str:scope_code>/signalements/"
_REPORT = _REPORTS + "<uuid:public_id>/"
_STAFF = _REPORTS + "gestion/"
_MANAGE = _STAFF + "<uuid:public_id>/"

public_urlpatterns: list[URLPattern | URLResolver] = [
    # Residents (cached for visitors without a session; a form's CSRF token is their own).
    path(_REPORTS, public_page(public.index), name="reports-index"),
    path(_REPORTS + "nouveau/", public_page(public.new), name="reports-new"),
    path(_REPORTS + "statistiques/", public_page(public.stats), name="reports-stats"),
    path(_REPORTS + "adresses/", addresses.search, name="reports-address-search"),
    path(_REPORTS + "adresses/proche/", addresses.nearest, name="reports-address-nearest"),
    path(_REPORTS + "quartiers.geojson", public_page(public.zones_geojson), name="reports-zones"),
    path(_REPORT, public_page(public.detail), name="reports-detail"),
    path(_REPORT + "merci/", public.thanks, name="reports-thanks"),
    path(_REPORT + "soutenir/", public.support, name="reports-support"),
    path(_REPORT + "photos/<uuid:photo_id>/", public.photo, name="reports-photo"),
    # The link in e-mails (no scope): the same name, reversed with ``public_id`` only.
    path("signalements/<uuid:public_id>/", public.short_link, name="reports-detail"),
    path("signalements/confirmer/<str:token>/", public.confirm_email, name="reports-confirm-email"),
    # Staff.
    path(_STAFF, staff_page(staff.queue), name="reports-queue"),
    path(_STAFF + "tournees/", staff_page(staff.rounds), name="reports-rounds"),
    path(_STAFF + "tournees/<uuid:public_id>/", staff_page(staff.round_sheet), name="reports-round"),
    path(
        _STAFF + "tournees/<uuid:public_id>/trace.geojson",
        staff_page(staff.round_geojson),
        name="reports-round-geojson",
    ),
    path(_MANAGE, staff_page(staff.manage), name="reports-manage"),
    path(_MANAGE + "statut/", staff_page(staff.change_status), name="reports-status"),
    path(_MANAGE + "message/", staff_page(staff.answer), name="reports-answer"),
    path(_MANAGE + "equipe/", staff_page(staff.assign), name="reports-assign"),
    path(_MANAGE + "fusion/", staff_page(staff.merge), name="reports-merge"),
    path(_MANAGE + "categorie/", staff_page(staff.change_category), name="reports-category"),
    path(_MANAGE + "masquer/", staff_page(staff.hide), name="reports-hide"),
    path(_MANAGE + "retablir/", staff_page(staff.unhide), name="reports-unhide"),
    path(_MANAGE + "photos/<uuid:photo_id>/", staff_page(staff.staff_photo), name="reports-staff-photo"),
    path(_MANAGE + "photos/<uuid:photo_id>/retirer/", staff_page(staff.redact), name="reports-redact"),
]
