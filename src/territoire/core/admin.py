"""Back-office building blocks that know no domain (the scoped admin base is ``territory.scoped_admin``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdminMixin(admin.ModelAdmin):
    """Records that only services write: the back-office shows them and never adds them.

    Put it first among the bases (``class X(ReadOnlyAdminMixin, OrganisationScopedAdmin)``).
    Changing and deleting are refused too, unless the class allows them
    (``allow_change``: an admin action or a moderation field; ``allow_delete``): the
    next base's rule then applies.
    """

    allow_change = False
    allow_delete = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.allow_change and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.allow_delete and super().has_delete_permission(request, obj)
