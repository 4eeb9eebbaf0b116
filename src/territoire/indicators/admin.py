from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from modeltranslation.admin import TranslationAdmin

from territoire.core.admin import ReadOnlyAdminMixin
from territoire.indicators.models import IndicatorDefinition, Measurement, Target
from territoire.indicators.services import definitions
from territoire.territory import access
from territoire.territory.scoped_admin import OrganisationScopedAdmin

SCOPE_REACH = (("scope__organisation", "scope__commune__organisation"), ("scope__commune",))


class IndicatorDefinitionForm(forms.ModelForm[IndicatorDefinition]):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code, organisation = cleaned.get("code"), cleaned.get("organisation")
        if code:
            try:
                definitions.check_code(code, organisation.pk if organisation is not None else None)
            except ValidationError as error:
                self.add_error("code", error)
        return cleaned


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(TranslationAdmin, OrganisationScopedAdmin):
    form = IndicatorDefinitionForm
    list_display = ["code", "name", "unit", "direction", "source", "visibility", "periodicity", "aggregate"]
    list_filter = ["source", "visibility", "periodicity", "direction"]
    search_fields = ["code", "name"]

    def reach(self, request: HttpRequest) -> Q | None:
        # The shared catalogue is read by every member of staff; a tenant's own
        # definitions by its organisation-wide members.
        allowed = super().reach(request)
        if allowed is None or not access.memberships_of(request.user):
            return allowed
        return allowed | Q(organisation__isnull=True)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_superuser(request.user) or bool(access.memberships_of(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The shared catalogue and computed definitions are kept by the platform.
        if obj is not None and (obj.organisation_id is None or obj.source == "computed"):
            return access.is_superuser(request.user) and self.in_reach(request, obj)
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: IndicatorDefinition, form: Any, change: bool) -> None:
        # The form offers no empty organisation to a tenant; the service refuses it anyway.
        definitions.save_definition(obj, actor=request.user)


@admin.register(Target)
class TargetAdmin(OrganisationScopedAdmin):
    list_display = ["indicator", "scope", "baseline_value", "baseline_date", "target_value", "target_date"]
    list_select_related = ["indicator", "scope"]
    organisation_path = "scope__organisation"

    def reach_paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return SCOPE_REACH

    def _organisation_id(self, obj: Any) -> int | None:
        return obj.scope.owning_organisation_id if obj.scope_id else None


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
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

    def reach_paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return SCOPE_REACH

    def _organisation_id(self, obj: Any) -> int | None:
        return obj.scope.owning_organisation_id if obj.scope_id else None
