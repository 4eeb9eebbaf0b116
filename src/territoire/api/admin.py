from __future__ import annotations

from django.contrib import admin

from territoire.api.models import ApiToken
from territoire.core.admin import OrganisationScopedAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(OrganisationScopedAdmin):
    list_display = [
        "name",
        "key_prefix",
        "organisation",
        "commune",
        "can_write",
        "modules",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    readonly_fields = ["key_prefix", "last_used_at"]
    fields = [
        "name",
        "organisation",
        "commune",
        "can_write",
        "modules",
        "expires_at",
        "revoked_at",
        "key_prefix",
        "last_used_at",
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # Tokens are issued by `territoire api create-token` (and Open311 keys by
        # `territoire reports create-api-key`), which show the secret once.
        return False
