"""The token-dependent part of the JSON API's plumbing (the rest is in ``core.api``)."""

from __future__ import annotations

from django.http import HttpRequest

from territoire.api.auth import TokenAuth
from territoire.api.models import ApiToken
from territoire.core.api import ApiError


def optional_token(request: HttpRequest, module: str | None = None) -> ApiToken | None:
    """The integration's token when one is sent (reads are public without one).

    A header that is sent but wrong is refused (401) rather than ignored, so that an
    integration never mistakes the public view for the one its token should give.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, "Authorization: expected 'Bearer <token>'", field="Authorization")
    token = TokenAuth(module).authenticate(request, raw.strip())
    if token is None:
        raise ApiError(401, "Authorization: unknown, expired or revoked token", field="Authorization")
    return token
