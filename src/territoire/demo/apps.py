from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class DemoConfig(modules.ModuleConfig):
    name = "territoire.demo"
    label = "demo"
    verbose_name = _("Démonstration")
    # The demo command runs the other manifests' ``demo`` steps; it contributes none.
    manifest = modules.Manifest()
