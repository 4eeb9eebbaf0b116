from __future__ import annotations

from django.contrib import admin

from territoire.api.models import ApiToken
from territoire.core.admin import ReadOnlyAdminMixin
from territoire.territory.scoped_admin import OrganisationScopedAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
    commune_path = "commune"
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
    # Tokens are issued by `territoire api create-token` (and Open311 keys by
    # `territoire reports create-api-key`), which show the secret once; here they are
    # revoked or edited.
    allow_change = True
    allow_delete = True
