"""axe-core on every public page, in both languages: no serious or critical violation.

The pages are the phone crawl's (``core.testing.Crawl``: every public route, found from the
modules' URL patterns), two of each route per language, so a new page is checked without
anyone listing it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from conftest import AXE_PATH
from playwright.sync_api import BrowserContext

from territoire.core.testing import NOT_CRAWLED, Crawl, public_routes
from territoire.territory.models import Organisation

pytestmark = pytest.mark.browser

AXE_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => v.impact + ": " + v.id + " (" + v.help + ") — " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; "));
}"""


def test_every_public_page_has_no_serious_accessibility_violation(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation
) -> None:
    # axe is injected as a script, which the site's CSP rightly forbids.
    page = new_context(bypass_csp=True).new_page()
    problems: list[str] = []

    def fetch(path: str) -> tuple[str, str] | None:
        response = page.goto(path, wait_until="load")
        assert response is not None, path
        if not response.ok or not response.headers.get("content-type", "").startswith("text/html"):
            return None
        page.add_script_tag(path=str(AXE_PATH))
        problems.extend(f"{path}: {violation}" for violation in page.evaluate(AXE_RUN))
        parts = urlsplit(page.url)
        return parts.path + (f"?{parts.query}" if parts.query else ""), page.content()

    visited = Crawl(fetch, per_route=2).run(["/", "/en/"])
    reached = {route.split(" ", 1)[1] for route in visited.values()}
    missing = set(public_routes()) - reached - set(NOT_CRAWLED)
    assert not missing, f"public pages the crawl did not reach: {sorted(missing)}"
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)
    print(f"axe-core: {len(visited)} pages")
