"""Back-office of the legal information: one notice per organisation, with the controller's
decisions on each declared processing. Writes go through the services (audit trail)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from territoire.legal import selectors, services
from territoire.legal.models import ProcessingDecision, SiteNotice
from territoire.territory import access
from territoire.territory.scoped_admin import OrganisationScopedAdmin


class ProcessingDecisionForm(forms.ModelForm):
    class Meta:
        model = ProcessingDecision
        fields = ["processing", "legal_basis", "retention"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The processings the installed modules declare (core.modules.processings()).
        self.fields["processing"] = forms.ChoiceField(
            label=self.fields["processing"].label, choices=selectors.processing_choices()
        )


class ProcessingDecisionInline(TranslationTabularInline):
    model = ProcessingDecision
    form = ProcessingDecisionForm
    extra = 0

    # Rights follow the notice's (memberships, not Django's per-model permissions).
    def _notice_editable(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.admin_site.get_model_admin(SiteNotice).has_change_permission(request, obj))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._notice_editable(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._notice_editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._notice_editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._notice_editable(request, obj)


@admin.register(SiteNotice)
class SiteNoticeAdmin(TranslationAdmin, OrganisationScopedAdmin):
    list_display = ["organisation", "conformity", "updated_at"]
    inlines = [ProcessingDecisionInline]
    fieldsets = [
        (None, {"fields": ["organisation"]}),
        (
            _("Mentions légales"),
            {
                "fields": [
                    "publisher",
                    "postal_address",
                    "contact_email",
                    "phone",
                    "host",
                    "legal_extra",
                    "data_licence",
                ]
            },
        ),
        (
            _("Accessibilité (RGAA 4.1)"),
            {
                "fields": [
                    "conformity",
                    "compliance_rate",
                    "audit_date",
                    "audit_by",
                    "technologies",
                    "non_conformities",
                    "derogations",
                    "exempt_content",
                    "accessibility_contact",
                    "multiyear_plan",
                    "action_plan",
                ]
            },
        ),
        (_("Données personnelles"), {"fields": ["dpo_contact", "privacy_extra"]}),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # Defaults from the organisation's data, when the caller edits only one.
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        organisations = list(access.organisations_for(request.user)[:2])
        if len(organisations) == 1:
            organisation = organisations[0]
            initial.setdefault("organisation", organisation.pk)
            initial.setdefault("publisher", selectors.default_publisher(organisation))
            initial.setdefault("contact_email", selectors.default_contact_email())
        return initial

    def save_model(self, request: HttpRequest, obj: SiteNotice, form: Any, change: bool) -> None:
        services.save_notice(obj, actor=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for decision in formset.save(commit=False):
            services.save_decision(decision, actor=request.user)
        for decision in formset.deleted_objects:
            services.delete_decision(decision, actor=request.user)
        formset.save_m2m()
