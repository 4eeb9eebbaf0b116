"""Open311 GeoReport v2 server, mounted at ``/open311/v2/`` (see docs/open311.md).

Endpoints (``{fmt}`` is ``xml`` or ``json``, chosen by the URL suffix):

- ``GET discovery.{fmt}``; ``GET services.{fmt}``; ``GET services/{service_code}.{fmt}``;
- ``POST requests.{fmt}`` (form-encoded, ``api_key`` required) → ``service_request_id``, or a
  ``token`` for a ``batch`` service (queued, see ``services.submit_open311``);
- ``GET tokens/{token}.{fmt}``; ``GET requests.{fmt}``; ``GET requests/{id}.{fmt}``.

``jurisdiction_id`` is a commune's INSEE code (an organisation's SIREN is accepted too, for
its whole territory); it may be omitted when the installation holds one organisation (or
``TERRITOIRE["DEFAULT_ORGANISATION"]`` names one), or on POST when ``lat``/``long`` fall in
a commune's zones. Errors follow the spec: ``<errors><error><code/><description/></error>
</errors>`` or a JSON array of ``{"code", "description"}``, with HTTP 400, 403 or 404.

No personal data (e-mail, names, phone, device or account id) is ever written by a GET:
the listing reads the public columns only.
"""

from territoire.reports.open311.views import urlpatterns

__all__ = ["urlpatterns"]
