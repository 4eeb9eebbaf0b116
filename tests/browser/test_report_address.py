"""The report form's address field in a real browser: suggestions as one types (the site's
own endpoint, no third party), the pin moved to the chosen address, the nearest address
filled in when the pin moves, and the server-side search without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, expect

from territoire.core.demo import DEMO_SIREN
from territoire.reports import services
from territoire.reports.models import Report
from territoire.territory.models import Address, Organisation

pytestmark = pytest.mark.browser

NEW = f"/t/{DEMO_SIREN}/signalements/nouveau/"
CATEGORY = "Banc abîmé (essai)"
LABEL = "12 Rue des Écoles, 44950 Valmont-sur-Mer"


@pytest.fixture
def reportable(demo_territory: Organisation, settings: Any, tmp_path: Path) -> Organisation:
    settings.MEDIA_ROOT = tmp_path / "media"
    services.save_category(
        organisation=demo_territory,
        service_code="banc-essai",
        name=CATEGORY,
        team="Espaces verts",
        position=0,
    )
    return demo_territory


def test_suggestions_as_one_types_and_the_nearest_address_of_the_pin(
    new_context: Callable[..., BrowserContext], reportable: Organisation, live_server: Any
) -> None:
    page = new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(live_server.url + NEW)
    page.get_by_role("button", name="Afficher la carte").click()  # the map loads on demand
    expect(page.locator(".report-map")).to_be_visible()
    field = page.get_by_label("Adresse ou lieu-dit")
    field.press_sequentially("12 rue des ec", delay=30)
    option = page.get_by_role("option", name=LABEL)
    expect(option).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    option.click()
    expect(field).to_have_value(LABEL)
    address = Address.objects.select_related("commune").get(
        street="Rue des Écoles", number=12, commune__name="Valmont-sur-Mer"
    )
    assert page.locator("#id_address_id").input_value() == address.ban_id
    assert float(page.locator("#id_lat").input_value()) == pytest.approx(address.lat)
    expect(page.locator("#map-status")).to_contain_text("Lieu choisi sur la carte")

    # The pin moved by the resident: the nearest address replaces an empty field.
    field.fill("")
    page.locator("#map-centre").click()
    expect(field).not_to_have_value("")
    expect(page.locator("#address-status")).to_contain_text("Adresse la plus proche du repère")
    assert page.locator("#id_address_id").input_value()

    page.get_by_label(CATEGORY).check()
    page.get_by_label("Description").fill("Le banc est cassé.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci, votre signalement est enregistré")
    report = Report.objects.get(category__service_code="banc-essai")
    assert report.address_id
    assert report.lat is not None
    assert hosts == {urlsplit(live_server.url).netloc}  # no third party
    assert errors == []


def test_without_javascript_the_server_searches_and_the_choice_places_the_report(
    new_context: Callable[..., BrowserContext], reportable: Organisation, live_server: Any
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + NEW)
    page.get_by_label(CATEGORY).check()
    page.get_by_label("Description").fill("Banc renversé.")
    page.get_by_label("Adresse ou lieu-dit").fill("12 rue des écoles valmont")
    page.get_by_role("button", name="Chercher l'adresse").click()
    expect(page.get_by_label(LABEL)).to_be_checked()
    expect(page.get_by_label("Description")).to_have_value("Banc renversé.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci, votre signalement est enregistré")
    report = Report.objects.get(category__service_code="banc-essai")
    assert report.address_string == LABEL
    assert report.lat is not None
    assert report.zone is not None
