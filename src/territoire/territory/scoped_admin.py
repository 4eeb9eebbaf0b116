"""The scoped back-office base (every module's admin derives from it) and the audit trail's admin.

Django's admin, scoped by organisation through territory.access: it lives with the access
rules, not in the core, which names no module. The audit trail (a core model) is registered
here for the same reason: who may read it is a question of memberships.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from territoire.core.admin import ReadOnlyAdminMixin
from territoire.core.csvwriter import stream_rows
from territoire.core.models import AuditEvent
from territoire.territory import access
from territoire.territory.models import Role


class OrganisationScopedAdmin(admin.ModelAdmin):
    """Staff see the records within their memberships' reach; roadmap editors change them.

    ``organisation_path`` is the lookup from the model to its Organisation,
    ``commune_path`` to its Commune (None: a record of the organisation itself, seen by
    organisation-wide members only). ``reach_paths`` gives several of each when a record
    reaches its organisation in more than one way. Rights come from memberships
    (territory.access), not from Django's per-model permissions. An object out of reach
    answers 404, as an unknown one (no redirect that would tell them apart).
    """

    # Links typed without a scheme are taken as https (Django 6.0's default, already).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    organisation_path = "organisation"
    commune_path: str | None = None
    edit_check = staticmethod(access.can_edit_roadmap)

    def reach_paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.organisation_path,), ((self.commune_path,) if self.commune_path else ())

    def reach(self, request: HttpRequest) -> Q | None:
        organisation_paths, commune_paths = self.reach_paths()
        return access.reach(request.user, organisation_paths, commune_paths)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        allowed = self.reach(request)
        return qs if allowed is None else qs.filter(allowed)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Out of reach or unknown alike: Django would redirect with "doesn't exist".
            raise Http404("not found")
        return obj

    def _organisation_id(self, obj: Model) -> int | None:
        target: Any = obj
        for part in self.organisation_path.split("__"):
            target = getattr(target, part, None)
            if target is None:
                return None
        return int(target.pk)

    def in_reach(self, request: HttpRequest, obj: Model) -> bool:
        """Whether ``obj`` is among the records this admin shows ``request.user`` (memoised)."""
        if access.is_superuser(request.user):
            return True
        if obj.pk is None:
            return False
        seen: dict[tuple[str, Any], bool] = request.__dict__.setdefault("_territoire_reach", {})
        key = (self.model._meta.label, obj.pk)
        if key not in seen:
            seen[key] = self.get_queryset(request).filter(pk=obj.pk).exists()
        return seen[key]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.reaches_anything(request.user, commune_level=bool(self.reach_paths()[1]))

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        return self.in_reach(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return any(self.edit_check(request.user, o) for o in access.organisations_for(request.user))
        org_id = self._organisation_id(obj)
        return org_id is not None and self.edit_check(request.user, org_id) and self.in_reach(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Offer only the caller's organisations (and their communes, axes, ...) in forms.
        related = db_field.related_model
        if not access.is_superuser(request.user):
            orgs = access.organisations_for(request.user)
            if related._meta.label == "territory.Organisation":
                kwargs["queryset"] = orgs
                # An empty organisation means "the whole platform" where the column allows
                # it (the shared indicator catalogue): only a superuser writes there.
                kwargs["required"] = True
            elif related._meta.label == "territory.Commune":
                kwargs["queryset"] = related._default_manager.filter(
                    Q(organisation_id__in=access.wide_organisation_ids(request.user))
                    | Q(pk__in=access.member_commune_ids(request.user))
                )
            elif hasattr(related, "organisation"):
                kwargs["queryset"] = related._default_manager.filter(organisation__in=orgs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if not access.is_superuser(request.user):
            orgs = access.organisations_for(request.user)
            if related._meta.label == "indicators.IndicatorDefinition":
                kwargs["queryset"] = related._default_manager.filter(
                    Q(organisation__isnull=True) | Q(organisation__in=orgs)
                )
            elif hasattr(related, "organisation"):
                kwargs["queryset"] = related._default_manager.filter(organisation__in=orgs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


AUDIT_ROLES = frozenset({Role.ADMINISTRATEUR, Role.RSSI, Role.DPO})
AUDIT_EXPORT_FIELDS = [
    "created_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "organisation_id",
    "ip_address",
    "changes",
]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: read-only, filterable, exportable, for administrators and the RSSI/DPO."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "action", "object_id", "ip_address"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    def _audit_organisations(self, request: HttpRequest) -> set[int]:
        return {
            m.organisation_id
            for m in access.memberships_of(request.user)
            if m.role in AUDIT_ROLES and m.commune_id is None
        }

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        qs = super().get_queryset(request)
        if access.is_superuser(request.user):
            return qs
        return qs.filter(organisation_id__in=self._audit_organisations(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_superuser(request.user) or bool(self._audit_organisations(request))

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("not found")
        return obj

    @admin.action(description=_("Exporter la sélection en CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> StreamingHttpResponse:
        def rows() -> Iterator[list[object]]:
            for event in queryset.order_by("created_at", "id").iterator(chunk_size=1000):
                yield (
                    [
                        event.created_at.isoformat(),
                        event.actor_label,
                        event.action,
                        event.object_type,
                        event.object_id,
                        event.organisation_id or "",
                        event.ip_address or "",
                        json.dumps(event.changes, ensure_ascii=False, sort_keys=True),
                    ]
                )

        # Usernames of failed sign-ins are typed by anyone: the writer makes formulas inert.
        response = StreamingHttpResponse(
            stream_rows(AUDIT_EXPORT_FIELDS, rows()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="journal-audit.csv"'
        return response
