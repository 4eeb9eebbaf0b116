"""The worked example of docs/architecture.md: a module plugs in through its manifest only.

``tests/example_module`` is installed for these tests (nothing in ``src/`` names it); the
spine must then see its indicator (registered and computed), its page (resolved, rendered,
in the menu), its export and its personal-data processing (listed by the core).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from example_module import privacy
from territoire import urls as root_urls
from territoire.core import modules
from territoire.core.context_processors import module_navigation
from territoire.indicators import registry
from territoire.indicators.models import Measurement
from territoire.indicators.services import compute_all
from territoire.territory.models import Organisation, Scope

EXAMPLE = "example_module"


@pytest.fixture
def example_module(settings: Any) -> Iterator[None]:
    registered = registry.registered()
    # A module registers its indicators when imported: forget an import by an earlier test.
    sys.modules.pop("example_module.indicators", None)
    # Installing an app runs every app's ready() again: the indicators app's imports the
    # indicators each manifest declares, the example's included.
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, EXAMPLE]
    # The root URLconf is built from the manifests once, at import: build it again.
    urlconf = types.ModuleType("example_urlconf")
    urlconf.urlpatterns = root_urls.build()  # type: ignore[attr-defined]
    settings.ROOT_URLCONF = urlconf
    yield
    # The registry is the process's: leave it as the other tests know it.
    for code in set(registry.registered()) - set(registered):
        registry.unregister(code)


def test_the_example_is_installed_through_its_manifest_only(example_module: None) -> None:
    assert EXAMPLE in modules.labels()
    assert [m.label for m in modules.installed()][-1] == EXAMPLE  # INSTALLED_APPS order


def test_its_indicator_is_registered_and_computed(example_module: None, organisation: Organisation) -> None:
    spec = registry.registered()["example_module.communes"]
    assert spec.module == EXAMPLE

    compute_all(organisations=[organisation], modules=[EXAMPLE])

    figure = Measurement.objects.get(
        indicator__code="example_module.communes", scope=Scope.objects.get(organisation=organisation)
    )
    assert figure.value == 3
    assert figure.provenance == "computed:example_module.communes@v1"


def test_its_page_resolves_renders_and_is_in_the_menu(
    example_module: None, organisation: Organisation
) -> None:
    assert "example-page" in [url_name for _label, url_name in module_navigation()]
    url = reverse("example-page", args=[organisation.siren])
    assert url == f"/t/{organisation.siren}/exemple/"

    response = Client().get(url)

    assert response.status_code == 200
    assert "CC des Essais" in response.content.decode()
    assert f'href="{url}"' in response.content.decode()  # the menu entry
    english = Client().get(f"/en{url}")
    assert english.status_code == 200


def test_its_export_and_processing_are_listed_by_the_core(
    example_module: None, organisation: Organisation
) -> None:
    exports = {export.name: (label, export) for label, export in modules.exports()}
    label, export = exports["example_module.communes"]
    assert label == EXAMPLE
    download = Client().get(reverse(export.url_name, args=[organisation.siren]))
    assert download.status_code == 200
    assert download.content.decode().splitlines() == ["insee_code", "99101", "99102", "99103"]

    processings = {p.name: (label, p) for label, p in modules.processings()}
    label, processing = processings["example_module.subscribers"]
    assert label == EXAMPLE
    assert processing.data == ("email",)
    privacy.SUBSCRIBERS.add("a@example.org")
    assert modules.resolve(processing.exporter)("a@example.org") == {"subscribed": True}
    assert modules.resolve(processing.eraser)("a@example.org") == 1
    assert modules.resolve(processing.exporter)("a@example.org") == {"subscribed": False}


def test_without_it_the_spine_knows_nothing_of_it() -> None:
    assert EXAMPLE not in modules.labels()
    assert "example_module.communes" not in registry.registered()
    assert all(label != EXAMPLE for label, _export in modules.exports())
