from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class ParticipationConfig(modules.ModuleConfig):
    name = "territoire.participation"
    label = "participation"
    verbose_name = _("Participation citoyenne")
    default_auto_field = "django.db.models.BigAutoField"
    manifest = modules.Manifest(
        indicators="territoire.participation.indicators",
        data_since="territoire.participation.indicators.data_since",
        api_router="territoire.participation.api.router",
        public_urls="territoire.participation.urls.public_urlpatterns",
        navigation=(modules.Navigation(_("Participer"), "participation-index"),),
        demo="territoire.participation.demo.populate",
        periodic=(
            modules.Periodic(
                "participation.compute_closed_envelopes",
                task="territoire.participation.tasks.compute_closed_envelopes",
                every_minutes_setting="PARTICIPATION_RESULTS_EVERY_MINUTES",
                default_minutes=60,
            ),
        ),
        exports=(
            modules.Export(
                "participation.pabulib",
                _("Résultats d'une enveloppe au format Pabulib"),
                url_name="participation-pabulib",
                url_args=("budget_id", "envelope_code"),
                formats=("text/plain",),
            ),
        ),
        processings=(
            modules.Processing(
                "participation.participants",
                _("Comptes des participants"),
                purpose=_("Permettre aux habitants de répondre aux consultations et de voter."),
                data=("email", "commune", "birth_year", "age_band", "zone", "gender"),
            ),
            modules.Processing(
                "participation.census",
                _("Liste électorale ou de recensement (empreintes)"),
                purpose=_("Vérifier l'éligibilité d'un participant sans conserver la liste en clair."),
                data=("keyed hash of last name, first names, birth date",),
            ),
        ),
        data_versions=("participation",),
    )
