from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapConfig(AppConfig):
    name = "territoire.roadmap"
    label = "roadmap"
    verbose_name = _("Feuille de route")

    def ready(self) -> None:
        from territoire.roadmap import services
        from territoire.territory.models import organisation_created

        organisation_created.connect(services.on_organisation_created, dispatch_uid="roadmap.template")
