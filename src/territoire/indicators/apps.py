from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class IndicatorsConfig(modules.ModuleConfig):
    name = "territoire.indicators"
    label = "indicators"
    verbose_name = _("Indicateurs")
    manifest = modules.Manifest(
        api_router="territoire.indicators.api.router",
        public_urls="territoire.indicators.urls.public_urlpatterns",
        periodic=(
            modules.Periodic(
                "indicators.compute",
                task="territoire.indicators.tasks.compute_indicators",
                every_minutes_setting="COMPUTE_EVERY_MINUTES",
                default_minutes=60,
            ),
        ),
        exports=(
            modules.Export(
                "indicators.series",
                _("Série d'un indicateur (valeurs en vigueur, cibles, provenance)"),
                url_name="indicator-csv",
                url_args=("code",),
                formats=("text/csv",),
            ),
            modules.Export(
                "indicators.series_json",
                _("Série d'un indicateur (JSON)"),
                url_name="indicator-json",
                url_args=("code",),
                formats=("application/json",),
            ),
            modules.Export(
                "indicators.series_spreadsheet",
                _("Série d'un indicateur pour un tableur (point-virgule, virgule décimale)"),
                url_name="indicator-csv-fr",
                url_args=("code",),
                formats=("text/csv",),
            ),
            modules.Export(
                "indicators.all",
                _("Tous les indicateurs publics (valeurs en vigueur, cibles, provenance)"),
                url_name="indicators-csv",
                formats=("text/csv",),
            ),
            modules.Export(
                "indicators.all_spreadsheet",
                _("Tous les indicateurs publics, pour un tableur"),
                url_name="indicators-csv-fr",
                formats=("text/csv",),
            ),
        ),
        # The staff figure pages: one figure by hand, a CSV file.
        rate_limited_paths=(
            modules.RateLimitedPaths("staff_write", suffixes=("/saisir/", "/importer/", "/confirmer/")),
        ),
        staff_links=(
            modules.StaffLink(
                _("Importer des valeurs"),
                "import-figures",
                allowed="territoire.territory.access.can_write_any_measurement",
            ),
        ),
        publishes=True,
    )

    def ready(self) -> None:
        from territoire.indicators import registry

        # The indicators every manifest declares register themselves now: the spine never
        # imports a module by name.
        registry.autodiscover()
