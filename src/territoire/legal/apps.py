from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class LegalConfig(modules.ModuleConfig):
    """What the law asks of a French public site: legal notice, accessibility statement,
    privacy page (listing every module's processings), and the open-data page for residents."""

    name = "territoire.legal"
    label = "legal"
    verbose_name = _("Informations légales")
    manifest = modules.Manifest(
        public_urls="territoire.legal.urls.public_urlpatterns",
        site_links=(
            modules.SiteLink(_("API et données"), "open-data", place="header"),
            modules.SiteLink(_("Mentions légales"), "legal-notice"),
            modules.SiteLink(_("Accessibilité"), "accessibility"),
            modules.SiteLink(_("Données personnelles"), "privacy"),
            modules.SiteLink(_("Données ouvertes"), "open-data"),
        ),
        publishes=True,
    )
