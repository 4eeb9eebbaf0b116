from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class ReportsConfig(modules.ModuleConfig):
    name = "territoire.reports"
    label = "reports"
    verbose_name = _("Signalements")
    default_auto_field = "django.db.models.BigAutoField"
    manifest = modules.Manifest(
        indicators="territoire.reports.indicators",
        data_since="territoire.reports.indicators.data_since",
        root_urls="territoire.reports.urls.root_urlpatterns",
        public_urls="territoire.reports.urls.public_urlpatterns",
        navigation=(modules.Navigation(_("Signalements"), "reports-index"),),
        staff_links=(
            modules.StaffLink(
                _("Signalements à traiter"),
                "reports-queue",
                allowed="territoire.territory.access.is_staff_of",
            ),
            modules.StaffLink(
                _("Tournées des équipes"),
                "reports-rounds",
                allowed="territoire.reports.permissions.can_plan_rounds",
            ),
        ),
        demo="territoire.reports.demo.populate",
        periodic=(
            modules.Periodic(
                "reports.process_queue",
                task="territoire.reports.tasks.process_report_queue",
                every_minutes_setting="REPORTS_QUEUE_EVERY_MINUTES",
                default_minutes=5,
            ),
        ),
        processings=(
            modules.Processing(
                "reports.requesters",
                _("Coordonnées des auteurs de signalements"),
                purpose=_("Tenir l'auteur d'un signalement informé de son traitement."),
                data=("email", "first_name", "last_name", "phone", "device_id", "account_id"),
            ),
            modules.Processing(
                "reports.supporters",
                _("Adresses des soutiens d'un signalement (suivi)"),
                purpose=_("Prévenir les personnes qui ont soutenu un signalement de sa résolution."),
                data=("email",),
            ),
        ),
        late_items=(
            modules.LateItems(
                "reports.overdue",
                _("Signalements en retard"),
                count="territoire.reports.selectors.overdue_count",
                url_name="reports-queue",
            ),
        ),
        # Open311 clients expect GeoReport v2's errors, even from a middleware; every POST
        # under /open311/ is a resident's write.
        edge_errors=(modules.EdgeErrors("/open311/", "territoire.reports.edge.open311_error"),),
        rate_limited_paths=(modules.RateLimitedPaths("public_write", prefix="/open311/"),),
        data_versions=("reports",),
    )

    def ready(self) -> None:
        from territoire.reports import services
        from territoire.territory.models import organisation_created

        # Every new organisation gets the seven default statuses.
        organisation_created.connect(services.on_organisation_created, dispatch_uid="reports.statuses")
