"""What the tests of the public site share: which pages are public, one crawl of them.

The public pages are the localised URL patterns that the modules' manifests declare
(``public_urls``), minus the staff pages. The crawl starts at the home page in both
languages, follows the links a resident would, and keeps a few pages of each route (a
route is a URL pattern in one language), so that a test can visit "every public page"
of the demo territory, each kind of page in each language, in a few dozen requests.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.urls import Resolver404, URLPattern, URLResolver, resolve
from django.utils import translation

from territoire.core import modules
from territoire.core.http import is_staff_page

# Not pages: files, machine interfaces, the back-office, the staff's own sign-in.
NOT_PAGES = re.compile(r"^/(static|media|admin|api|open311|compte|healthz)/|\.(csv|json|pb|geojson|xml)$")

# The public routes that a crawl of an anonymous visitor does not reach as pages, and why
# (tests check that it reaches all the others).
NOT_CRAWLED: dict[str, str] = {
    "t/<str:scope_code>/indicateurs/<str:code>.csv": "a download",
    "t/<str:scope_code>/indicateurs/<str:code>.json": "a download",
    "t/<str:scope_code>/participer/budgets/<uuid:budget_id>/resultats/<slug:envelope_code>.pb": "a download",
    "t/<str:scope_code>/signalements/quartiers.geojson": "a download (the maps' outlines)",
    "t/<str:scope_code>/signalements/<uuid:public_id>/photos/<uuid:photo_id>/": "an image",
    "signalements/<uuid:public_id>/": "a short link that redirects to the report",
    "signalements/confirmer/<str:token>/": "a link sent by e-mail",
    "t/<str:scope_code>/participer/compte/confirmer/<str:token>/": "a link sent by e-mail",
    "t/<str:scope_code>/participer/compte/deconnexion/": "an action (POST)",
    "t/<str:scope_code>/signalements/<uuid:public_id>/soutenir/": "an action (POST)",
    "t/<str:scope_code>/participer/propositions/<uuid:proposal_id>/signaler/": "an action (POST)",
    "t/<str:scope_code>/signalements/<uuid:public_id>/merci/": "shown once, after a report is filed",
    "t/<str:scope_code>/participer/compte/inscription/envoyee/": "shown once, after signing up",
    "t/<str:scope_code>/participer/compte/": "a signed-in resident's page",
    "t/<str:scope_code>/participer/compte/recensement/": "a signed-in resident's page",
    "t/<str:scope_code>/participer/budgets/<uuid:budget_id>/proposer/": "a signed-in resident's page",
    "t/<str:scope_code>/participer/budgets/<uuid:budget_id>/voter/<slug:envelope_code>/": (
        "a signed-in resident's page"
    ),
    "t/<str:scope_code>/participer/budgets/<uuid:budget_id>/voter/<slug:envelope_code>/recu/": (
        "a signed-in resident's page (the receipt after voting)"
    ),
    "t/<str:scope_code>/indicateurs/<str:code>/tableur.csv": "a download",
    "t/<str:scope_code>/indicateurs.csv": "a download",
    "t/<str:scope_code>/indicateurs-tableur.csv": "a download",
    "t/<str:scope_code>/signalements/adresses/": "JSON for the address field (and its no-JavaScript step)",
    "t/<str:scope_code>/signalements/adresses/proche/": "JSON for the address field",
    "t/<str:scope_code>/participer/recu/": "reached with a receipt's code (tests/browser/test_participation.py)",
    "mentions-legales/": "the page under t/<code>/, for pages of no territory (error pages)",
    "accessibilite/": "the page under t/<code>/, for pages of no territory (error pages)",
    "donnees-personnelles/": "the page under t/<code>/, for pages of no territory (error pages)",
    "donnees/": "the page under t/<code>/, for pages of no territory (error pages)",
}


class Links(HTMLParser):
    """The targets of a page's links (``<a href>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def same_site_path(href: str, base: str) -> str | None:
    """The path (and query) of a link to a page of this site, or None."""
    url, _fragment = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != urlsplit(base).netloc):
        return None
    if NOT_PAGES.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def language_of(path: str) -> str:
    return "en" if path == "/en/" or path.startswith("/en/") else "fr"


def route_of(path: str) -> str | None:
    """The URL pattern a path answers to, with its language ("fr t/<str:scope_code>/"), or None."""
    language = language_of(path)
    with translation.override(language):
        try:
            match = resolve(urlsplit(path).path)
        except Resolver404:
            return None
    if is_staff_page(match.func):
        return None
    return f"{language} {match.route}"


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(list(pattern.url_patterns), prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def public_routes() -> dict[str, URLPattern]:
    """Every localised route of the modules that is not a staff page, by its route string."""
    return {
        route: pattern
        for route, pattern in _routes(modules.public_urlpatterns())
        if not is_staff_page(pattern.callback)
    }


@dataclass
class Crawl:
    """Breadth-first over the links of public pages, at most ``per_route`` pages per route.

    ``fetch(path)`` loads a page and returns its final path (after redirects) and its
    HTML, or None when the answer is not an HTML page; it may measure what it loads.
    ``limits`` raises the number of pages kept for some routes (by route string,
    without the language).
    """

    fetch: Callable[[str], tuple[str, str] | None]
    per_route: int = 2
    limits: dict[str, int] = field(default_factory=dict)
    max_pages: int = 400
    visited: dict[str, str] = field(default_factory=dict)  # path -> route

    def run(self, seeds: list[str]) -> dict[str, str]:
        counts: dict[str, int] = {}
        queue: deque[str] = deque()
        seen: set[str] = set()

        def offer(path: str) -> None:
            route = route_of(path)
            if path in seen or route is None:
                return
            limit = self.limits.get(route.split(" ", 1)[1], self.per_route)
            if counts.get(route, 0) >= limit:
                return
            seen.add(path)
            counts[route] = counts.get(route, 0) + 1
            queue.append(path)

        for seed in seeds:
            offer(seed)
        while queue and len(self.visited) < self.max_pages:
            path = queue.popleft()
            loaded = self.fetch(path)
            if loaded is None:
                continue
            final, html = loaded
            route = route_of(final)
            if route is None or final != path:
                continue  # a redirect (to a sign-in page, say): that page is visited on its own
            self.visited[path] = route
            for href in links(html):
                target = same_site_path(href, "http://testserver" + path)
                if target is not None:
                    offer(target)
        return self.visited
