from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class AccountsConfig(modules.ModuleConfig):
    name = "territoire.accounts"
    label = "accounts"
    verbose_name = _("Comptes")
    manifest = modules.Manifest(
        root_urls="territoire.accounts.urls.root_urlpatterns",
        public_urls="territoire.accounts.urls.public_urlpatterns",
        # Sign-ins: /admin/login/ and any other path ending in /login/.
        rate_limited_paths=(modules.RateLimitedPaths("login", suffixes=("/login/",)),),
    )

    def ready(self) -> None:
        from territoire.accounts import signals  # noqa: F401  (connects the receivers)
