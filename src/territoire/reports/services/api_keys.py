"""Open311 application keys: API tokens (``api.ApiToken``) limited to the reports module."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.api.models import ApiToken, hash_token
from territoire.core.actions import action
from territoire.reports.services.errors import FieldError, ReportError
from territoire.territory.models import Organisation

if TYPE_CHECKING:
    pass

# The app label an Open311 key's token is limited to.
MODULE = "reports"


#
# An Open311 application's key is an API token (``api.ApiToken``) that may write to the
# reports module: ``api_key`` on an Open311 POST is the token's secret.


def create_api_key(
    name: str, *, organisation: Organisation | None = None, actor: Any = None
) -> tuple[ApiToken, str]:
    """A new Open311 application key: an API token limited to the reports module, for the
    whole installation or one organisation. Returns the record and the raw key (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ReportError(FieldError("name", _("Nom d'application obligatoire (100 caractères au plus).")))
    with action(
        "reports.api_key_created",
        actor=actor,
        organisation_id=organisation.pk if organisation else None,
        versions=(),
    ) as act:
        key, raw = ApiToken.issue(name=name, organisation=organisation, can_write=True, modules=[MODULE])
        act.obj = key
        act.changes = {"name": name, "prefix": key.key_prefix}
    return key, raw


def open311_keys() -> QuerySet[ApiToken]:
    """The tokens an Open311 application may use: written to the reports module, not revoked.

    Whether a token's modules include ``reports`` is checked on the instance
    (``ApiToken.allows_module``): a JSON list is not queried the same way on every database.
    """
    return ApiToken.objects.filter(can_write=True, revoked_at__isnull=True).select_related("organisation")


def revoke_api_key(prefix: str, *, actor: Any = None) -> ApiToken:
    """Revoke the Open311 key whose prefix (or full value) is given."""
    prefix = prefix.strip()
    candidates = ApiToken.objects.filter(can_write=True)
    matches = [
        token
        for token in (candidates.filter(key_prefix__startswith=prefix[:12])[:3] if len(prefix) >= 8 else [])
        if token.allows_module(MODULE) and prefix.startswith(token.key_prefix[: len(prefix)])
    ]
    key = matches[0] if len(matches) == 1 else None
    if key is None:
        raise ReportError(
            FieldError("prefix", _("Aucune clé ne commence par « %(p)s ».") % {"p": prefix}, 404)
        )
    if key.revoked_at is None:
        with action(
            "reports.api_key_revoked",
            actor=actor,
            obj=key,
            organisation_id=key.organisation_id,
            changes={"prefix": key.key_prefix},
            versions=(),
        ):
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at", "updated_at"])
    return key


def authenticate_api_key(raw: str) -> ApiToken | None:
    """The valid Open311 key matching ``raw``, or None (one indexed query, by hash).

    ``last_used_at`` is refreshed at most once a minute.
    """
    if not raw or len(raw) > 200:
        return None
    key = open311_keys().filter(key_hash=hash_token(raw)).first()
    if key is None or not key.is_valid or not key.allows_module(MODULE):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(seconds=LAST_USED_EVERY):
        ApiToken.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


LAST_USED_EVERY = 60.0
