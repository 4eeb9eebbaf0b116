"""A phone is the resident's main screen: every public page at 390 px, in a real browser.

One browser visits every kind of public page of the demo territory, in French and in
English (the crawl of ``territoire.core.testing``), with a 390-px-wide viewport, and
checks that the page never scrolls sideways (a wide table scrolls inside its own region),
that chart text stays readable (at least 11 CSS px once the SVG is scaled down) and that
the page weighs at most 150 KB as transferred, with an empty cache. Pages that run a
script are measured again without JavaScript, and so are a signed-in resident's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import Traffic
from playwright.sync_api import BrowserContext, Page, expect
from test_participation import knapsack_budget
from tests.browser.ecoindex import DOM_ELEMENTS, REQUESTS, grade
from tests.browser.ecoindex import score as ecoindex_score

from territoire.core.demo import DEMO_SIREN
from territoire.core.testing import NOT_CRAWLED, Crawl, public_routes
from territoire.participation.tests.test_views_budgets import PASSWORD
from territoire.territory.models import Organisation

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MAX_BYTES = 150 * 1024
MIN_CHART_TEXT_PX = 11.0
INDICATOR_ROUTE = "t/<str:scope_code>/indicateurs/<str:code>/"

# What sticks out of the screen on the right, outside any region that scrolls on its own.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "")
        + " «" + (el.textContent || "").trim().slice(0, 40) + "»";
    const culprits = [];
    for (const el of document.body.querySelectorAll("*")) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.right <= width + 0.5) continue;
        let contained = false;
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(up).overflowX)) { contained = true; break; }
        }
        // Report the outermost culprit only: its children stick out because it does.
        if (!contained && !culprits.some((c) => c.el.contains(el))) culprits.push({el, right: box.right});
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        culprits: culprits.slice(0, 5).map((c) => describe(c.el) + " ends at " + Math.round(c.right) + " px"),
    };
}"""

# The size of chart text as drawn on the screen: font size × the SVG's scale.
CHART_TEXT = """() => {
    const sizes = [];
    for (const svg of document.querySelectorAll("svg.chart, svg.barchart, svg.matrix")) {
        const scale = svg.getScreenCTM().a;
        for (const text of svg.querySelectorAll("text")) {
            if (!text.textContent.trim()) continue;
            sizes.push([parseFloat(getComputedStyle(text).fontSize) * scale, text.textContent.trim()]);
        }
    }
    return sizes;
}"""

# Bytes as transferred: the document and every resource it loaded (the cache is off).
TRANSFERRED = """() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    return [navigation, ...performance.getEntriesByType("resource")]
        .reduce((total, entry) => total + entry.transferSize, 0);
}"""


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def overflow_problems(page: Page, label: str) -> list[str]:
    result = page.evaluate(OVERFLOW)
    if result["scrollWidth"] <= PHONE["width"]:
        return []
    return [f"{label}: {result['scrollWidth']} px wide — " + "; ".join(result["culprits"])]


def test_every_public_page_fits_a_phone_weighs_at_most_150_kb_and_is_ecoindex_a(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation
) -> None:
    page = new_context(viewport=PHONE).new_page()
    # Each page as at a first visit: nothing from the cache, everything transferred.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    without_js = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    problems: list[str] = []
    weights: dict[str, int] = {}
    ecoindex: dict[str, float] = {}
    charts_seen = 0

    def fetch(path: str) -> tuple[str, str] | None:
        nonlocal charts_seen
        response = page.goto(path, wait_until="load")
        assert response is not None, path
        if not response.ok or not response.headers.get("content-type", "").startswith("text/html"):
            return None
        final = path_of(page.url)
        problems.extend(overflow_problems(page, final))
        weights[final] = page.evaluate(TRANSFERRED)
        ecoindex[final] = ecoindex_score(
            page.evaluate(DOM_ELEMENTS), page.evaluate(REQUESTS), weights[final] / 1024
        )
        sizes = page.evaluate(CHART_TEXT)
        charts_seen += bool(sizes)
        problems.extend(
            f"{final}: chart text «{text}» drawn at {size:.1f} px"
            for size, text in sizes
            if size < MIN_CHART_TEXT_PX
        )
        if page.locator("script[src]").count():
            without_js.goto(path)
            problems.extend(overflow_problems(without_js, f"{final} (without JavaScript)"))
        return final, page.content()

    crawl = Crawl(fetch, per_route=2, limits={INDICATOR_ROUTE: 30})
    visited = crawl.run(["/", "/en/"])

    reached = {route.split(" ", 1)[1] for route in visited.values()}
    missing = set(public_routes()) - reached - set(NOT_CRAWLED)
    assert not missing, f"public pages the crawl did not reach: {sorted(missing)}"
    assert {route.split(" ", 1)[0] for route in visited.values()} == {"fr", "en"}
    assert sum(route.endswith(INDICATOR_ROUTE) for route in visited.values()) >= 20
    assert charts_seen >= 20  # indicator histories, the priority matrix, statistics
    assert not problems, "pages wider than a 390-px phone or with unreadable charts:\n" + "\n".join(problems)
    heavy = {path: size for path, size in weights.items() if size > MAX_BYTES}
    assert not heavy, f"pages over {MAX_BYTES} bytes as transferred: {heavy}"
    below_a = {path: round(value, 1) for path, value in ecoindex.items() if grade(value) != "A"}
    assert not below_a, f"pages below EcoIndex A: {below_a}"
    print(
        f"phone crawl: {len(visited)} pages, heaviest {max(weights.values())} bytes transferred, "
        f"lowest EcoIndex {min(ecoindex.values()):.1f}"
    )


def test_the_reports_map_comes_on_demand_and_fits_a_phone(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation, live_server: Any
) -> None:
    page = new_context(viewport=PHONE).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    traffic = Traffic.record(page)
    url = f"/t/{DEMO_SIREN}/signalements/"
    page.goto(url, wait_until="load")

    # The list opens without Leaflet: it is most of the weight and only the map needs it.
    assert not [u for u in traffic.urls() if "leaflet" in u], traffic.urls()
    assert traffic.transferred_bytes() <= 60 * 1024
    map_box = page.locator(".report-map")
    expect(map_box).to_be_hidden()

    page.get_by_role("button", name="Afficher la carte").click()
    expect(map_box).to_be_visible()
    expect(page.locator(".leaflet-marker-icon, .leaflet-interactive").first).to_be_visible()
    expect(page.get_by_role("button", name="Afficher la carte")).to_have_count(0)
    assert any(u.endswith("leaflet.js") for u in traffic.urls())
    assert traffic.origins() == {live_server.url}
    assert overflow_problems(page, url) == []
    assert errors == []


def test_a_signed_in_residents_pages_fit_a_phone(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation
) -> None:
    budget, email = knapsack_budget(demo_territory)
    page = new_context(viewport=PHONE).new_page()
    base = f"/t/{demo_territory.siren}/participer/"
    page.goto(base + "compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    # The same session without JavaScript.
    without_js = new_context(viewport=PHONE, java_script_enabled=False)
    without_js.add_cookies(page.context.cookies())
    plain = without_js.new_page()

    budget_path = f"{base}budgets/{budget.public_id}/"
    pages = [
        base + "compte/",
        base + "compte/recensement/",
        budget_path + "voter/global/",
        budget_path + "proposer/",
    ]
    problems: list[str] = []
    for path in [*pages, *("/en" + p for p in pages)]:
        for tab, label in ((page, path), (plain, f"{path} (without JavaScript)")):
            response = tab.goto(path)
            assert response is not None, path
            assert response.ok, (path, response.status)
            assert "connexion" not in tab.url, f"{label}: not signed in"
            problems.extend(overflow_problems(tab, label))
    page.goto(budget_path + "voter/global/")
    expect(page.locator("#ballot-totals")).to_be_visible()  # the ballot, as measured, with its script
    assert not problems, "pages wider than a 390-px phone:\n" + "\n".join(problems)
