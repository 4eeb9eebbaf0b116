from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class ExampleConfig(modules.ModuleConfig):
    name = "example_module"
    label = "example_module"
    verbose_name = _("Module d'exemple")
    manifest = modules.Manifest(
        indicators="example_module.indicators",
        public_urls="example_module.urls.public_urlpatterns",
        navigation=(modules.Navigation(_("Exemple"), "example-page"),),
        exports=(
            modules.Export(
                "example_module.communes",
                _("Communes du territoire"),
                url_name="example-communes-csv",
                formats=("text/csv",),
            ),
        ),
        processings=(
            modules.Processing(
                "example_module.subscribers",
                _("Abonnés à la lettre d'information"),
                purpose=_("Envoyer la lettre d'information du module."),
                data=("email",),
                exporter="example_module.privacy.export_subscriber",
                eraser="example_module.privacy.erase_subscriber",
            ),
        ),
        data_versions=("example_module",),
    )
