from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "territoire.indicators"
    label = "indicators"
    verbose_name = _("Indicateurs")

    def ready(self) -> None:
        from territoire.indicators import registry

        # Like the admin's autodiscovery: every installed app's indicators.py registers
        # the indicators it computes. The spine never imports a module by name.
        registry.autodiscover()
