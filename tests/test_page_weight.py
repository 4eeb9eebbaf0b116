"""Every public page of the demo territory weighs at most 150 KB at its first visit.

The weight is the page's HTML plus everything it makes the browser load before it is
shown: stylesheets, scripts, icons and images, each counted once, as if the cache were
empty. (A map's Leaflet, fetched only when the resident asks for the map, is not part
of the page's load.) The browser test of the same pages (tests/browser/test_phone.py)
measures them again as transferred.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from territoire.core.demo import DEMO_SIREN
from territoire.core.testing import NOT_CRAWLED, Crawl, public_routes

MAX_BYTES = 150 * 1024


class Assets(HTMLParser):
    """What a page makes the browser load as it opens: stylesheets, scripts, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if (
            tag == "link"
            and values.get("href")
            and {"stylesheet", "icon"} & set((values.get("rel") or "").split())
        ):
            self.urls.append(values["href"] or "")
        elif tag in {"script", "img"} and values.get("src"):
            self.urls.append(values["src"] or "")


def asset_size(client: Client, url: str) -> int:
    if url.startswith(settings.STATIC_URL):
        found = finders.find(url[len(settings.STATIC_URL) :].split("?")[0])
        assert found, f"static file not found: {url}"
        return Path(str(found)).stat().st_size
    response = client.get(url)
    assert response.status_code == 200, url
    return len(response.getvalue())


def test_routes_of_the_crawl_are_public_routes() -> None:
    routes = public_routes()
    assert "t/<str:scope_code>/signalements/" in routes
    assert "t/<str:scope_code>/indicateurs/<str:code>/" in routes
    assert not any("pilotage" in route or "risques" in route for route in routes)
    assert set(NOT_CRAWLED) <= set(routes), set(NOT_CRAWLED) - set(routes)


@pytest.mark.django_db
def test_every_public_page_of_the_demo_weighs_at_most_150_kb() -> None:
    call_command("demo", communes=5, months=24, seed=1, stdout=io.StringIO())
    client = Client()
    weights: dict[str, int] = {}

    def fetch(path: str) -> tuple[str, str] | None:
        response = client.get(path, follow=True)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            return None
        final = response.request["PATH_INFO"]
        if response.request.get("QUERY_STRING"):
            final += "?" + response.request["QUERY_STRING"]
        html = response.content.decode()
        parser = Assets()
        parser.feed(html)
        weights[final] = len(response.content) + sum(asset_size(client, url) for url in set(parser.urls))
        return final, html

    crawl = Crawl(fetch, per_route=2, limits={"t/<str:scope_code>/indicateurs/<str:code>/": 40})
    visited = crawl.run(["/", "/en/"])

    reached = {route.split(" ", 1)[1] for route in visited.values()}
    missing = set(public_routes()) - reached - set(NOT_CRAWLED)
    assert not missing, f"public pages the crawl did not reach: {sorted(missing)}"
    assert {route.split(" ", 1)[0] for route in visited.values()} == {"fr", "en"}
    heavy = {path: size for path, size in weights.items() if size > MAX_BYTES}
    assert not heavy, f"pages over {MAX_BYTES} bytes: {heavy}"
    reports = f"/t/{DEMO_SIREN}/signalements/"
    assert reports in weights
    print(
        f"page weight: {len(weights)} pages, heaviest {max(weights.values())} bytes, reports list {weights[reports]}"
    )
