from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "territoire.reports"
    label = "reports"
    verbose_name = _("Signalements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from territoire.reports import locate, services
        from territoire.territory.models import organisation_created

        # Every new organisation gets the seven default statuses.
        organisation_created.connect(services.on_organisation_created, dispatch_uid="reports.statuses")
        # The territory snapshot's version is kept by triggers (SQLite drops a table's
        # triggers when a migration rebuilds it: they are put back after every migrate).
        post_migrate.connect(locate.install_triggers, sender=self, dispatch_uid="reports.triggers")
