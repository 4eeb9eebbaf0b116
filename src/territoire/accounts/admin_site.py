"""The admin site: Django's, refusing a session without the second factor it needs.

The accounts middleware already sends such a session to enrolment or verification; this
check is the admin's own line (as django-otp's OTPAdminSite), should a request reach it.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class TerritoireAdminSite(admin.AdminSite):
    site_header = "Territoire"
    site_title = "Territoire"

    def has_permission(self, request: HttpRequest) -> bool:
        from territoire.accounts import services

        return super().has_permission(request) and services.second_factor_ok(request.user)
