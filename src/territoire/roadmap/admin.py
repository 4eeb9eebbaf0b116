from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from territoire.roadmap.indicator_links import objective_problems
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
from territoire.territory import access
from territoire.territory.models import Membership
from territoire.territory.scoped_admin import OrganisationScopedAdmin


@admin.register(Axis)
class AxisAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["name", "code", "position", "organisation"]
    list_filter = ["organisation"]


class ObjectiveForm(forms.ModelForm[Objective]):
    class Meta:
        model = Objective
        fields = ["organisation", "axis", "title", "description", "deadline", "indicators", "position"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        deadline = cleaned.get("deadline")
        if organisation is not None and deadline is not None:
            indicators = cleaned.get("indicators")
            if indicators is None and self.instance.pk:
                indicators = self.instance.indicators.all()
            problems = objective_problems(organisation.pk, deadline, indicators or [])
            if problems:
                self.add_error("deadline", problems)
        return cleaned


@admin.register(Objective)
class ObjectiveAdmin(TranslationAdmin, OrganisationScopedAdmin):
    form = ObjectiveForm
    list_display = ["title", "axis", "deadline"]
    list_filter = ["organisation", "axis"]
    filter_horizontal = ["indicators"]
    list_select_related = ["axis"]


@admin.register(Risk)
class RiskAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["title", "axis", "likelihood", "impact", "criticality", "status", "owner_label"]
    list_filter = ["organisation", "status"]
    list_select_related = ["axis", "owner_user"]
    fields = [
        "organisation",
        "axis",
        "title",
        "description",
        "likelihood",
        "impact",
        "mitigation",
        "owner_user",
        "owner",
        "status",
    ]

    @admin.display(description=_("criticité"))
    def criticality(self, obj: Risk) -> int:
        return obj.criticality

    @admin.display(description=_("responsable"))
    def owner_label(self, obj: Risk) -> str:
        return obj.owner_label

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner_user":
            # Only the staff of the caller's organisations (Risk.clean checks the risk's own).
            members = Membership.objects.all()
            if not access.is_superuser(request.user):
                members = members.filter(organisation__in=access.organisations_for(request.user))
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(pk__in=members.values("user_id"), is_active=True)
                .order_by("last_name", "username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
