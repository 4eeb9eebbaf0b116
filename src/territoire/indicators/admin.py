from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from territoire.core.admin import ReadOnlyAdminMixin
from territoire.indicators.models import IndicatorDefinition, Measurement, Target
from territoire.territory import access
from territoire.territory.scoped_admin import OrganisationScopedAdmin


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(OrganisationScopedAdmin):
    list_display = ["code", "name", "unit", "direction", "source", "visibility", "periodicity", "aggregate"]
    list_filter = ["source", "visibility", "periodicity", "direction"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorDefinition]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if access.is_superuser(request.user):
            return qs
        return qs.filter(
            Q(organisation__isnull=True) | Q(organisation__in=access.organisations_for(request.user))
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.organisation_id is None:
            return self.has_module_permission(request)
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The shared catalogue and computed definitions are kept by the platform.
        if obj is not None and (obj.organisation_id is None or obj.source == "computed"):
            return access.is_superuser(request.user)
        return super().has_change_permission(request, obj)


@admin.register(Target)
class TargetAdmin(OrganisationScopedAdmin):
    list_display = ["indicator", "scope", "baseline_value", "baseline_date", "target_value", "target_date"]
    list_select_related = ["indicator", "scope"]
    organisation_path = "scope__organisation"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Target]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if access.is_superuser(request.user):
            return qs
        orgs = access.organisations_for(request.user)
        return qs.filter(Q(scope__organisation__in=orgs) | Q(scope__commune__organisation__in=orgs))

    def _organisation_id(self, obj: Any) -> int | None:
        return obj.scope.owning_organisation_id if obj.scope_id else None


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: figures are recorded through imports, the API or the computation."""

    list_display = [
        "indicator",
        "scope",
        "period_start",
        "period_end",
        "value",
        "version",
        "is_current",
        "origin",
    ]
    list_filter = ["is_current", "origin"]
    list_select_related = ["indicator", "scope"]
    search_fields = ["indicator__code", "scope__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Measurement]:
        qs = super().get_queryset(request)
        if access.is_superuser(request.user):
            return qs
        orgs = access.organisations_for(request.user)
        return qs.filter(Q(scope__organisation__in=orgs) | Q(scope__commune__organisation__in=orgs))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_superuser(request.user) or access.organisations_for(request.user).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)
