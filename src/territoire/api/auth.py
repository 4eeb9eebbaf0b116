from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer

from territoire.api.models import ApiToken, hash_token
from territoire.territory.models import Scope


class TokenAuth(HttpBearer):
    """Bearer token of an integration; ``module`` is the app label of the guarded endpoints.

    A token restricted to other modules is refused here, like an unknown one, with a
    message that says why (see ``ModuleNotAllowedError``).
    """

    def __init__(self, module: str | None = None) -> None:
        super().__init__()
        self.module = module

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = (
            ApiToken.objects.select_related("organisation", "commune")
            .filter(key_hash=hash_token(token))
            .first()
        )
        # A token without organisation is an Open311 key of the whole installation: it
        # reaches no endpoint of the JSON API, which is scoped by organisation.
        if found is None or not found.is_valid or found.organisation_id is None:
            return None
        if not found.allows_module(self.module):
            raise ModuleNotAllowedError(self.module or "", found.modules)
        now = timezone.now()
        # Record use, at most once a minute (no write on every request).
        if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found


class ModuleNotAllowedError(HttpError):
    def __init__(self, module: str, allowed: list[str]) -> None:
        super().__init__(
            403,
            f"this token is limited to the modules {', '.join(allowed)}; it may not use {module!r} endpoints",
        )
        self.field = "Authorization"


def token_covers(token: ApiToken, scope: Scope) -> bool:
    if scope.organisation_id is not None:
        return token.commune_id is None and scope.organisation_id == token.organisation_id
    commune: Any = scope.commune
    if commune is None or commune.organisation_id != token.organisation_id:
        return False
    return token.commune_id is None or token.commune_id == commune.pk


def token_scopes(token: ApiToken) -> QuerySet[Scope]:
    if token.commune_id is not None:
        return Scope.objects.filter(commune_id=token.commune_id)
    return Scope.objects.filter(
        Q(organisation_id=token.organisation_id) | Q(commune__organisation_id=token.organisation_id)
    )
