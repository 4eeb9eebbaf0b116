from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class RoadmapConfig(modules.ModuleConfig):
    name = "territoire.roadmap"
    label = "roadmap"
    verbose_name = _("Feuille de route")
    manifest = modules.Manifest(
        indicators="territoire.roadmap.indicators",
        api_router="territoire.roadmap.api.router",
        public_urls="territoire.roadmap.urls.public_urlpatterns",
        demo="territoire.roadmap.demo.populate",
        navigation=(
            modules.Navigation(_("Tableau de bord"), "home"),
            modules.Navigation(_("Projets"), "projects"),
            modules.Navigation(_("Partenaires"), "partners"),
        ),
        staff_links=(
            modules.StaffLink(
                _("Registre des risques"), "risks", allowed="territoire.territory.access.is_organisation_wide"
            ),
        ),
        publishes=True,
        indicator_page="territoire.roadmap.indicator_links.indicator_page",
        target_check="territoire.roadmap.indicator_links.target_check",
    )

    def ready(self) -> None:
        from territoire.roadmap import services
        from territoire.territory.models import organisation_created

        organisation_created.connect(services.on_organisation_created, dispatch_uid="roadmap.template")
