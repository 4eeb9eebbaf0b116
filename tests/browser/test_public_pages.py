"""What a resident sees on the public site, in a real browser.

Each test builds the small demo territory ("Rives & Vallons"), serves it with the live
server and drives headless Chromium: reading, language, accessibility (axe-core),
sobriety (requests, weight, no JavaScript needed) and what stays staff-only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import AXE_PATH, Traffic
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page, expect

from territoire.accounts.testing import totp_now
from territoire.core.demo import DEMO_SIREN
from territoire.indicators.models import IndicatorDefinition, Measurement, Visibility
from territoire.roadmap.models import Axis, Risk
from territoire.territory.models import Organisation, Scope

pytestmark = pytest.mark.browser

HOME = "/"
PROJECTS = f"/t/{DEMO_SIREN}/projets/"
PARTNERS = f"/t/{DEMO_SIREN}/partenaires/"
RISKS = f"/t/{DEMO_SIREN}/risques/"
MAX_REQUESTS = 15
MAX_BYTES = 150 * 1024
INDICATOR_PATH = re.compile(rf"^/t/{DEMO_SIREN}/indicateurs/(?P<code>[\w.-]+)/$")


def first_indicator_path(page: Page) -> str:
    """The indicator page behind the first card of the home page."""
    href = page.locator(".card .card-title a").first.get_attribute("href")
    assert href is not None
    assert INDICATOR_PATH.match(href), href
    return href


def visit(page: Page, url: str, **options: Any) -> None:
    response = page.goto(url, **options)
    assert response is not None, url
    assert response.ok, (url, response.status)


def indicator_path(organisation: Organisation) -> str:
    definition = IndicatorDefinition.objects.filter(
        visibility=Visibility.PUBLIC,
        measurements__scope__code=organisation.siren,
    ).first()
    assert definition is not None
    return f"/t/{organisation.siren}/indicateurs/{definition.code}/"


def test_resident_reads_home_then_an_indicator_and_downloads_it(
    page: Page, demo_territory: Organisation
) -> None:
    visit(page, HOME)

    expect(page.get_by_role("heading", level=1)).to_contain_text("Rives & Vallons")
    axes = list(Axis.objects.filter(organisation=demo_territory).values_list("name", flat=True))
    assert len(axes) == 6
    for name in axes:
        expect(page.get_by_role("heading", level=2, name=name, exact=True)).to_be_visible()

    scope = Scope.objects.get(code=demo_territory.siren)
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 6
    with_sparkline = 0
    for i in range(cards.count()):
        card = cards.nth(i)
        href = card.locator(".card-title a").get_attribute("href")
        match = INDICATOR_PATH.match(href or "")
        assert match is not None, href
        current = Measurement.objects.filter(
            indicator__code=match["code"], scope=scope, is_current=True
        ).count()
        assert current >= 1, f"{match['code']} has no measurement in the demo"
        expect(card.locator(".figure")).to_have_text(re.compile(r"\d"))
        expect(card.locator(".status")).to_have_text(re.compile(r"\w+"))
        # A trend needs two points; the module-computed indicators start with one.
        sparkline = card.locator("svg.sparkline[role=img]")
        expect(sparkline).to_have_count(1 if current >= 2 else 0)
        with_sparkline += current >= 2
    assert with_sparkline >= 6

    path = first_indicator_path(page)
    match = INDICATOR_PATH.match(path)
    assert match is not None
    definition = IndicatorDefinition.objects.get(code=match["code"])
    page.locator(f'.card .card-title a[href="{path}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))

    expect(page.get_by_role("heading", level=1)).to_contain_text(definition.name)
    chart = page.get_by_role("img", name=f"Historique : {definition.name}")
    expect(chart).to_be_visible()
    expect(page.locator("svg.chart > title")).to_have_text(f"Historique : {definition.name}")

    measurements = Measurement.objects.filter(indicator=definition, scope=scope).count()
    assert measurements >= 24
    # The history's table (an EPCI page also shows its communes side by side).
    table = page.get_by_role("table").filter(has=page.locator("caption#table-measures"))
    expect(table.locator("caption")).to_contain_text(f"({measurements})")
    expect(table.locator("thead th")).to_have_count(6)
    expect(table.locator("tbody tr")).to_have_count(measurements)

    expect(page.get_by_role("heading", level=2, name="Méthode")).to_be_visible()
    expect(page.get_by_text(definition.method, exact=True)).to_be_visible()

    downloads = {
        "Télécharger en CSV": ("text/csv", "indicator,scope,period_start,period_end,value"),
        "Télécharger en JSON": ("application/json", "{"),
    }
    for name, (content_type, first_line) in downloads.items():
        link = page.get_by_role("link", name=name)
        expect(link).to_be_visible()
        href = link.get_attribute("href")
        assert href is not None
        response = page.request.get(href)
        assert response.ok, (href, response.status)
        assert response.headers["content-type"].startswith(content_type), response.headers
        body = response.text()
        assert body.splitlines()[0].startswith(first_line), body[:200]
        if content_type == "text/csv":
            assert len(body.strip().splitlines()) == measurements + 1
        else:
            assert len(response.json()["measurements"]) == measurements


def test_english_link_switches_the_page_to_english(page: Page) -> None:
    visit(page, HOME)
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/en/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Français")).to_have_attribute("href", "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rives & Vallons")


def public_pages(organisation: Organisation) -> dict[str, str]:
    return {
        "home": HOME,
        "indicator": indicator_path(organisation),
        "projects": PROJECTS,
        "partners": PARTNERS,
    }


AXE_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary),
    }));
}"""


def test_public_pages_have_no_serious_accessibility_violation(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation
) -> None:
    # axe is injected as an inline script, which the site's CSP rightly forbids.
    page = new_context(bypass_csp=True).new_page()
    pages = {**public_pages(demo_territory), "home (English)": "/en/"}
    problems: list[str] = []
    for label, url in pages.items():
        visit(page, url)
        page.add_script_tag(path=str(AXE_PATH))
        violations = page.evaluate(AXE_RUN)
        assert isinstance(violations, list)
        problems += [
            f"{label} ({url}) — {v['impact']}: {v['id']} ({v['help']})\n    " + "\n    ".join(v["nodes"][:5])
            for v in violations
            if v["impact"] in {"serious", "critical"}
        ]
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_public_pages_are_sober_and_work_without_javascript(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation, live_server: Any
) -> None:
    for label, url in public_pages(demo_territory).items():
        # A fresh context each time: an empty cache, as for a first visit.
        page = new_context().new_page()
        traffic = Traffic.record(page)
        visit(page, url, wait_until="load")

        assert traffic.requests, label
        assert traffic.origins() == {live_server.url}, (label, traffic.urls())
        assert len(traffic.requests) <= MAX_REQUESTS, (label, traffic.urls())
        transferred = traffic.transferred_bytes()
        assert 0 < transferred <= MAX_BYTES, f"{label}: {transferred} bytes transferred"

        without_js = new_context(java_script_enabled=False).new_page()
        visit(without_js, url)
        main = without_js.locator("main")
        expect(main).to_have_text(page.locator("main").inner_text(), use_inner_text=True)
        for selector in ("svg", "a", "table", "h2"):
            expected = page.locator(f"main {selector}").count()
            expect(main.locator(selector), f"{label}: {selector}").to_have_count(expected)
        if label in {"home", "indicator", "projects"}:
            expect(main.locator("svg").first).to_be_visible()


def test_risks_and_internal_indicators_stay_with_staff(
    page: Page,
    new_context: Callable[..., BrowserContext],
    demo_territory: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    internal = IndicatorDefinition.objects.filter(visibility=Visibility.INTERNAL).first()
    assert internal is not None
    risk = Risk.objects.filter(organisation=demo_territory).first()
    assert risk is not None

    visit(page, HOME)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rives & Vallons")
    expect(page.get_by_role("link", name="Risques")).to_have_count(0)
    expect(page.get_by_text(internal.name)).to_have_count(0)
    expect(page.locator(".badge-internal")).to_have_count(0)

    response = page.goto(f"/t/{demo_territory.siren}/indicateurs/{internal.code}/")
    assert response is not None
    assert response.status == 404

    page.goto(RISKS)
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=" + re.escape(RISKS)))
    expect(page.get_by_text(risk.title)).to_have_count(0)

    # The same pages, for a member of staff who signs in: what was hidden is there.
    user = make_staff(demo_territory)
    page.get_by_label(re.compile("Nom d.utilisateur|Username", re.I)).fill(user.username)
    page.get_by_label(re.compile("Mot de passe|Password", re.I)).fill("correct horse battery staple")
    page.locator("input[type=submit]").click()
    # A member with write rights enrols a second factor on first sign-in, then goes on.
    expect(page).to_have_url(re.compile(r"/compte/double-authentification/activer/"))
    expect(page.locator("svg.qr-code")).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label(re.compile("Code à usage unique|One-time code", re.I)).fill(totp_now(device))
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continuer").click()
    expect(page).to_have_url(re.compile(re.escape(RISKS) + "$"))
    expect(page.get_by_role("cell", name=risk.title, exact=True)).to_be_visible()
    visit(page, HOME)
    expect(page.get_by_role("link", name="Risques")).to_be_visible()
    expect(page.get_by_role("link", name=internal.name, exact=True)).to_be_visible()
