from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "territoire.reports"
    label = "reports"
    verbose_name = _("Signalements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from territoire.reports import services
        from territoire.territory.models import organisation_created

        # Every new organisation gets the seven default statuses.
        organisation_created.connect(services.on_organisation_created, dispatch_uid="reports.statuses")
