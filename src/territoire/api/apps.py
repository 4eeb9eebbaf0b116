from django.utils.translation import gettext_lazy as _

from territoire.core import modules


class ApiConfig(modules.ModuleConfig):
    name = "territoire.api"
    label = "api"
    verbose_name = _("API")
    manifest = modules.Manifest(
        # The NinjaAPI assembled from every manifest's api_router, at /api/v1/.
        root_urls="territoire.api.urls.root_urlpatterns",
        edge_errors=(modules.EdgeErrors("/api/", "territoire.core.api.edge_error"),),
        rate_limited_paths=(modules.RateLimitedPaths("api_write", prefix="/api/"),),
    )
