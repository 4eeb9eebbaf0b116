from __future__ import annotations

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from territoire.roadmap.models import (
    Axis,
    CostShare,
    Decision,
    FundingLine,
    Objective,
    Partner,
    Project,
    Risk,
)
from territoire.territory.scoped_admin import OrganisationScopedAdmin


@admin.register(Axis)
class AxisAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["name", "code", "position", "organisation"]
    list_filter = ["organisation"]


@admin.register(Objective)
class ObjectiveAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["title", "axis", "deadline"]
    list_filter = ["organisation", "axis"]
    filter_horizontal = ["indicators"]
    list_select_related = ["axis"]


@admin.register(Risk)
class RiskAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["title", "axis", "likelihood", "impact", "status", "owner"]
    list_filter = ["organisation", "status"]
    list_select_related = ["axis"]


@admin.register(Partner)
class PartnerAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["name", "kind", "organisation"]
    list_filter = ["organisation", "kind"]
    filter_horizontal = ["axes"]


class FundingLineInline(admin.TabularInline):
    model = FundingLine
    extra = 0


class CostShareInline(admin.TabularInline):
    model = CostShare
    extra = 0


@admin.register(Project)
class ProjectAdmin(TranslationAdmin, OrganisationScopedAdmin):
    commune_path = "commune"
    list_display = ["title", "axis", "status", "progress", "value_score", "complexity_score", "cost", "spent"]
    list_filter = ["organisation", "status", "axis"]
    search_fields = ["title"]
    filter_horizontal = ["objectives"]
    inlines = [FundingLineInline, CostShareInline]
    list_select_related = ["axis"]
    raw_id_fields = ["product_owner"]


@admin.register(Decision)
class DecisionAdmin(OrganisationScopedAdmin):
    list_display = ["date", "title", "committee"]
    list_filter = ["organisation", "committee"]
    filter_horizontal = ["projects"]


@admin.register(FundingLine)
class FundingLineAdmin(OrganisationScopedAdmin):
    organisation_path = "project__organisation"
    commune_path = "project__commune"
    list_display = ["project", "kind", "amount", "funder"]
    list_select_related = ["project", "funder"]
