"""The admin site: Django's, refusing a session without the second factor it needs.

The accounts middleware already sends such a session to enrolment or verification; this
check is the admin's own line (as django-otp's OTPAdminSite), should a request reach it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class TerritoireAdminSite(admin.AdminSite):
    site_header = "Territoire"
    site_title = "Territoire"

    def has_permission(self, request: HttpRequest) -> bool:
        from territoire.accounts import services

        return super().has_permission(request) and services.second_factor_ok(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Without a destination, a member of staff lands on the staff home (their
        # organisations and what they may do there), not on the admin's index.
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            query = request.GET.copy()
            query[REDIRECT_FIELD_NAME] = reverse("staff-home")
            request.GET = query  # type: ignore[assignment]
        return super().login(request, extra_context)
