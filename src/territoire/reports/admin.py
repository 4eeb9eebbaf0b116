"""Back-office of the reports module: configuration (categories, statuses, crews) and read-only records.

Reports are triaged on the staff pages (through the services, with history and
notifications), never edited here; their personal columns are not shown in the admin.
Configuration belongs to organisation-wide administrators and project leads
(``permissions.can_configure``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from territoire.core.admin import ReadOnlyAdminMixin
from territoire.reports import permissions, services
from territoire.reports.models import (
    Crew,
    Report,
    ReportStatus,
    Round,
    ServiceAttribute,
    ServiceCategory,
)
from territoire.territory.scoped_admin import OrganisationScopedAdmin


class ServiceAttributeInline(TranslationTabularInline):
    model = ServiceAttribute
    extra = 0
    fields = [
        "order",
        "code",
        "description",
        "datatype",
        "required",
        "public",
        "values",
        "datatype_description",
    ]


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(TranslationAdmin, OrganisationScopedAdmin):
    edit_check = staticmethod(permissions.can_configure)
    list_display = ["name", "service_code", "group", "team", "type", "sla_days", "service_minutes", "active"]
    list_filter = ["organisation", "type", "active", "team"]
    search_fields = ["name", "service_code", "keywords"]
    inlines = [ServiceAttributeInline]


@admin.register(ReportStatus)
class ReportStatusAdmin(TranslationAdmin, OrganisationScopedAdmin):
    edit_check = staticmethod(permissions.can_configure)
    list_display = [
        "label",
        "code",
        "open311_state",
        "requires_answer",
        "is_initial",
        "is_duplicate",
        "position",
    ]
    list_filter = ["organisation", "open311_state"]
    readonly_fields = ["is_initial", "is_duplicate"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # Through the service: reports in this status follow a change of Open311 state.
            fields = {
                name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
            }
            fields.pop("code", None)
            current = ReportStatus.objects.get(pk=obj.pk)
            services.update_status(current, actor=request.user, **fields)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Crew)
class CrewAdmin(OrganisationScopedAdmin):
    edit_check = staticmethod(permissions.can_configure)
    list_display = ["name", "team", "depot_name", "shift_start", "shift_minutes", "active"]
    list_filter = ["organisation", "active"]
    filter_horizontal = ["categories"]


class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
    """Reports and rounds: written by the services (intake, triage, rounds) only."""


REPORT_FIELDS = [
    "reference",
    "public_id",
    "organisation",
    "commune",
    "zone",
    "category",
    "status",
    "description",
    "lat",
    "lon",
    "address_string",
    "attributes",
    "status_notes",
    "source",
    "requested_at",
    "due_at",
    "closed_at",
    "crew",
    "duplicate_of",
    "hidden",
    "hidden_reason",
    "supporters_count",
]


@admin.register(Report)
class ReportAdmin(ReadOnlyScopedAdmin):
    commune_path = "commune"
    list_display = [
        "reference",
        "public_id",
        "category",
        "commune",
        "zone",
        "status",
        "requested_at",
        "closed_at",
        "hidden",
    ]
    list_filter = ["organisation", "is_open", "hidden", "source", "category"]
    # The reference a resident quotes on the phone (exact, as stored: VAL-2026-00123).
    search_fields = ["=reference"]
    list_select_related = ["category", "commune", "zone", "status"]
    date_hierarchy = "requested_at"
    fields = list(REPORT_FIELDS)
    readonly_fields = list(REPORT_FIELDS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if permissions.access.is_superuser(request.user):
            return qs
        # Within the reach (territory.access), the reports module's own rule by role.
        allowed = [
            c.pk
            for org in permissions.organisations_with_reports_access(request.user)
            for c in permissions.visible_communes(request.user, org)
        ]
        return qs.filter(commune_id__in=allowed)


@admin.register(Round)
class RoundAdmin(ReadOnlyScopedAdmin):
    organisation_path = "crew__organisation"
    list_display = [
        "crew",
        "date",
        "distance_m",
        "baseline_distance_m",
        "saving_percent",
        "provider",
        "created_at",
    ]
    list_filter = ["crew"]
    exclude = ["geojson"]
