"""The module manifest: what each app contributes, declared in one place, its ``AppConfig``.

A module (an app of the project) derives its ``AppConfig`` from :class:`ModuleConfig` and
sets ``manifest``; the core reads manifests, in the order of ``INSTALLED_APPS``, and never
imports a module by name. Like a Decidim component's manifest, a declaration says *what*
the module brings; references to code are dotted paths (or callables), resolved on use, so
``ready()`` imports nothing heavy::

    from territoire.core import modules

    class ReportsConfig(modules.ModuleConfig):
        name = "territoire.reports"
        manifest = modules.Manifest(
            indicators="territoire.reports.indicators",
            root_urls="territoire.reports.urls.root_urlpatterns",
            public_urls="territoire.reports.urls.public_urlpatterns",
            navigation=(modules.Navigation(_("Signalements"), "reports-index"),),
            demo="territoire.reports.demo.populate",
            periodic=(modules.Periodic("reports.process_queue", task="territoire.reports.tasks.process_report_queue",
                                       every_minutes_setting="REPORTS_QUEUE_EVERY_MINUTES", default_minutes=5),),
        )

The accessors below (``installed()``, ``api_routers()``, ``exports()``…) are the only
discovery mechanism of the project: URLs, menu, API, demo, scheduler, indicator registry,
rate limits and errors at the edge all go through them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern, URLResolver
    from django.utils.functional import Promise

# A reference to code: a dotted path ("package.module.attribute"), resolved on use, or the
# object itself (tests, small modules).
Ref = str | Callable[..., Any]


def resolve(ref: Ref | Any) -> Any:
    """The object a declaration refers to: imported from its dotted path, or as given."""
    return import_string(ref) if isinstance(ref, str) else ref


@dataclass(frozen=True)
class Navigation:
    """An entry of the site's main menu: ``url_name`` takes ``scope_code``."""

    label: str | Promise
    url_name: str


@dataclass(frozen=True)
class StaffLink:
    """A staff action on an organisation (the staff home, the menu), offered only to those
    who may take it: ``allowed(user, organisation) -> bool``; ``url_name`` takes
    ``scope_code`` (the organisation's SIREN)."""

    label: str | Promise
    url_name: str
    allowed: Ref

    def offered_to(self, user: Any, organisation: Any) -> bool:
        return bool(resolve(self.allowed)(user, organisation))


@dataclass(frozen=True)
class SiteLink:
    """A link of the site's chrome on every page: in the header (``"header"``) or the footer.

    ``url_name`` resolves with the organisation's SIREN on a page that has one, and without
    argument elsewhere (a page of no territory, an error page): the module names both
    patterns alike.
    """

    label: str | Promise
    url_name: str
    place: str = "footer"


@dataclass(frozen=True)
class Periodic:
    """A django-tasks ``Task`` enqueued by ``territoire scheduler`` every few minutes.

    The interval is read on use from ``settings.TERRITOIRE[every_minutes_setting]``.
    """

    name: str
    task: Ref
    every_minutes_setting: str
    default_minutes: int

    def every_minutes(self) -> int:
        return int(settings.TERRITOIRE.get(self.every_minutes_setting, self.default_minutes))


@dataclass(frozen=True)
class Export:
    """An open-data export: a public download, listed for the open-data catalogue.

    ``url_name`` is the page serving it (its URL takes ``scope_code`` and the arguments
    named in ``url_args``); ``formats`` the media types it answers in.
    """

    name: str
    label: str | Promise
    url_name: str
    formats: tuple[str, ...]
    url_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Processing:
    """A processing of personal data (an entry of the record of processing activities).

    ``exporter(subject) -> dict`` and ``eraser(subject) -> int`` answer a person's rights
    requests (access, erasure) for this processing; ``subject`` is an e-mail address.
    ``None`` means the module has none yet: the request is handled by hand. The legal basis
    and the retention period are the controller's decisions (its DPO's): empty until made.
    """

    name: str
    label: str | Promise
    purpose: str | Promise
    data: tuple[str, ...]
    legal_basis: str | Promise = ""
    retention: str | Promise = ""
    exporter: Ref | None = None
    eraser: Ref | None = None


@dataclass(frozen=True)
class LateItems:
    """Something overdue that the steering view shows: ``count(organisation) -> int``."""

    name: str
    label: str | Promise
    count: Ref
    url_name: str = ""


@dataclass(frozen=True)
class EdgeErrors:
    """The error shape of the paths under ``prefix`` for a request refused before any view.

    ``respond(request, status, detail) -> HttpResponse``: the API's own error document.
    """

    prefix: str
    respond: Ref


@dataclass(frozen=True)
class RateLimitedPaths:
    """Writes (POST, PUT, PATCH, DELETE) to these paths count in ``bucket``.

    A path matches by ``prefix`` or by one of the ``suffixes``; prefixes are checked first.
    """

    bucket: str
    prefix: str = ""
    suffixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """What a module contributes. Every field is optional; references resolve on use."""

    # The module whose import registers the module's computed indicators (@indicator).
    indicators: str | None = None
    # A ninja Router, mounted under /api/v1/<api_prefix>.
    api_router: Ref | None = None
    api_prefix: str = ""
    # Lists of URL patterns: mounted at the site root as they are (/open311/v2/…), or in
    # the localised part (French at /, English under /en/).
    root_urls: Ref | None = None
    public_urls: Ref | None = None
    navigation: tuple[Navigation, ...] = ()
    # Staff actions, each with who may take it (see ``StaffLink``).
    staff_links: tuple[StaffLink, ...] = ()
    # Links on every page, in the header or the footer (legal notice, accessibility…).
    site_links: tuple[SiteLink, ...] = ()
    # ``populate(ctx: DemoContext) -> str`` (a one-line summary), in INSTALLED_APPS order.
    demo: Ref | None = None
    periodic: tuple[Periodic, ...] = ()
    exports: tuple[Export, ...] = ()
    processings: tuple[Processing, ...] = ()
    late_items: tuple[LateItems, ...] = ()
    edge_errors: tuple[EdgeErrors, ...] = ()
    rate_limited_paths: tuple[RateLimitedPaths, ...] = ()
    # The data-version counters the module's services bump (core.cache.bump_data_version).
    data_versions: tuple[str, ...] = ()
    # The module's records are published data: any change bumps the spine's version.
    publishes: bool = False
    # ``context(definition, scope, organisation) -> dict``: what the module adds to an
    # indicator's page (``trail``: breadcrumb links; ``related``: sections of links).
    indicator_page: Ref | None = None
    # ``check(indicator, scope, target_date) -> list[str]``: why a target may not be set
    # (empty: it may), in the user's language.
    target_check: Ref | None = None
    # ``since(organisation) -> date | None``: the first day of the module's data for the
    # organisation (None: none yet). Its computed indicators get no figure for a period
    # that ends before it: a zero there would read as years of inaction.
    data_since: Ref | None = None


class ModuleConfig(AppConfig):
    """The ``AppConfig`` of a module: its ``manifest`` says what it contributes.

    In ``apps.py``, import the ``modules`` module rather than this class: Django picks the
    one ``AppConfig`` subclass it finds in ``apps.py``, and an imported base would be a second.
    """

    manifest: ClassVar[Manifest] = Manifest()


@dataclass(frozen=True)
class Module:
    label: str
    name: str
    manifest: Manifest = field(repr=False)


def installed() -> tuple[Module, ...]:
    """Every installed module, in the order of INSTALLED_APPS.

    Not cached: it is read again while the app registry is being populated (the
    indicators app's ``ready()``); the accessors used on every request are.
    """
    return tuple(
        Module(config.label, config.name, config.manifest)
        for config in apps.get_app_configs()
        if isinstance(config, ModuleConfig)
    )


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    # Tests that install another module (override_settings(INSTALLED_APPS=…)).
    if setting == "INSTALLED_APPS":
        for cached in (published_apps, _edge_errors, _rate_limited_paths, navigation, site_links):
            cached.cache_clear()


def labels() -> set[str]:
    """The app labels of the installed modules (what an API token may be limited to)."""
    return {module.label for module in installed()}


def import_declared(kind: str) -> list[str]:
    """Import the module each manifest names under ``kind`` (``"indicators"``)."""
    imported = []
    for module in installed():
        dotted = getattr(module.manifest, kind)
        if dotted:
            import_module(dotted)
            imported.append(dotted)
    return imported


def _patterns(kind: str) -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for module in installed():
        ref = getattr(module.manifest, kind)
        if ref is not None:
            patterns.extend(resolve(ref))
    return patterns


def root_urlpatterns() -> list[URLPattern | URLResolver]:
    return _patterns("root_urls")


def public_urlpatterns() -> list[URLPattern | URLResolver]:
    return _patterns("public_urls")


@functools.cache
def navigation() -> tuple[Navigation, ...]:
    return tuple(entry for module in installed() for entry in module.manifest.navigation)


def staff_links() -> list[StaffLink]:
    return [link for module in installed() for link in module.manifest.staff_links]


@functools.cache
def site_links(place: str) -> tuple[SiteLink, ...]:
    """The links every page shows in ``place`` ("header" or "footer"), in INSTALLED_APPS order."""
    return tuple(link for module in installed() for link in module.manifest.site_links if link.place == place)


def api_routers() -> Iterator[tuple[str, str, Any]]:
    """``(label, prefix, router)`` of every module with an API router."""
    for module in installed():
        if module.manifest.api_router is not None:
            yield module.label, module.manifest.api_prefix, resolve(module.manifest.api_router)


def demo_steps() -> Iterator[tuple[str, Callable[..., str]]]:
    """``(label, populate)`` of every module that adds to the demo territory."""
    for module in installed():
        if module.manifest.demo is not None:
            yield module.label, resolve(module.manifest.demo)


def periodic() -> list[Periodic]:
    return [job for module in installed() for job in module.manifest.periodic]


def exports() -> list[tuple[str, Export]]:
    return [(module.label, export) for module in installed() for export in module.manifest.exports]


def processings() -> list[tuple[str, Processing]]:
    return [(module.label, p) for module in installed() for p in module.manifest.processings]


def late_items() -> list[tuple[str, LateItems]]:
    return [(module.label, item) for module in installed() for item in module.manifest.late_items]


def indicator_page_contributions() -> list[Callable[..., dict[str, Any]]]:
    return [resolve(m.manifest.indicator_page) for m in installed() if m.manifest.indicator_page is not None]


def target_checks() -> list[Callable[..., list[str]]]:
    return [resolve(m.manifest.target_check) for m in installed() if m.manifest.target_check is not None]


def data_since(label: str) -> Callable[..., Any] | None:
    """The ``data_since`` of the module labelled ``label`` (None: it declares none)."""
    for module in installed():
        if module.label == label and module.manifest.data_since is not None:
            since: Callable[..., Any] = resolve(module.manifest.data_since)
            return since
    return None


def data_version_keys() -> list[str]:
    return [key for module in installed() for key in module.manifest.data_versions]


@functools.cache
def published_apps() -> frozenset[str]:
    """Labels of the modules whose every change bumps the spine's published version."""
    return frozenset(module.label for module in installed() if module.manifest.publishes)


@functools.cache
def _edge_errors() -> tuple[tuple[str, Callable[..., HttpResponse]], ...]:
    return tuple(
        (shape.prefix, resolve(shape.respond))
        for module in installed()
        for shape in module.manifest.edge_errors
    )


def edge_error_shape(path: str) -> Callable[[HttpRequest, int, str], HttpResponse] | None:
    """The module's error answer for ``path``, or None (a page: the core's small page)."""
    for prefix, respond in _edge_errors():
        if path.startswith(prefix):
            return respond
    return None


@functools.cache
def _rate_limited_paths() -> tuple[RateLimitedPaths, ...]:
    return tuple(rule for module in installed() for rule in module.manifest.rate_limited_paths)


def rate_limit_bucket(path: str) -> str | None:
    """The bucket a write to ``path`` counts in, by the modules' declarations."""
    rules = _rate_limited_paths()
    for rule in rules:
        if rule.prefix and path.startswith(rule.prefix):
            return rule.bucket
    for rule in rules:
        if rule.suffixes and path.endswith(rule.suffixes):
            return rule.bucket
    return None
