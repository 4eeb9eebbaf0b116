"""The admin app, with Territoire's admin site as the default site (see admin_site)."""

from django.contrib.admin.apps import AdminConfig


class TerritoireAdminConfig(AdminConfig):
    default_site = "territoire.accounts.admin_site.TerritoireAdminSite"
