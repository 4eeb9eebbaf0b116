from __future__ import annotations

from django.contrib import admin

from territoire.territory.models import Commune, Membership, Organisation, Zone, organisation_created
from territoire.territory.scoped_admin import OrganisationScopedAdmin
from territoire.territory.services import ensure_scopes


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_display = ["name", "siren", "kind"]
    search_fields = ["name", "siren"]
    prepopulated_fields = {"slug": ["name"]}

    def _organisation_id(self, obj):  # type: ignore[no-untyped-def]
        return obj.pk

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        from territoire.territory import access

        return access.is_superuser(request.user)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # A new organisation gets its scope and the template roadmap, as from import-cog.
        super().save_model(request, obj, form, change)
        if not change:
            ensure_scopes(organisations=[obj])
            organisation_created.send(sender=Organisation, organisation=obj)


@admin.register(Commune)
class CommuneAdmin(OrganisationScopedAdmin):
    commune_path = "pk"
    list_display = ["name", "insee_code", "population", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "insee_code"]
    list_select_related = ["organisation"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        ensure_scopes(communes=[obj])


@admin.register(Zone)
class ZoneAdmin(OrganisationScopedAdmin):
    organisation_path = "commune__organisation"
    commune_path = "commune"
    list_display = ["name", "code", "commune", "population"]
    list_select_related = ["commune"]


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    commune_path = "commune"
    list_display = ["user", "role", "organisation", "commune"]
    list_filter = ["role", "organisation"]
    list_select_related = ["user", "organisation", "commune"]
    raw_id_fields = ["user"]

    @staticmethod
    def edit_check(user, organisation):  # type: ignore[no-untyped-def]
        from territoire.territory import access
        from territoire.territory.models import Role

        org_id = organisation if isinstance(organisation, int) else organisation.pk
        return access.is_superuser(user) or any(
            m.organisation_id == org_id and m.commune_id is None and m.role == Role.ADMINISTRATEUR
            for m in access._memberships(user)
        )
