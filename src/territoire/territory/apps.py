from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class TerritoryConfig(modules.ModuleConfig):
    name = "territoire.territory"
    label = "territory"
    verbose_name = _("Territoire")
    manifest = modules.Manifest(
        api_router="territoire.territory.api.router",
        demo="territoire.territory.demo.populate",
        publishes=True,
    )
