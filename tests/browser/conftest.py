"""Fixtures of the end-to-end tests: headless Chromium (Debian's) driven by Playwright.

Playwright's sync API runs an asyncio loop in the test thread; Django refuses ORM calls
from a thread with a running loop unless told it is safe, which it is here (the loop
only drives the browser). ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for as long as that loop
lives, and only then.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, sync_playwright

from territoire.core.demo import DEMO_SIREN
from territoire.territory.models import Organisation

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    # Set before the loop starts and for as long as it runs, whatever tests share the session.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def demo_territory(transactional_db: Any, settings: Any) -> Organisation:
    """The demo community, small: five communes, two years of monthly figures."""
    # The demo creates staff accounts; a fast hasher keeps each test's setup short.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", communes=5, months=24, seed=1, stdout=io.StringIO())
    return Organisation.objects.get(siren=DEMO_SIREN)


@pytest.fixture
def new_context(browser: Browser, live_server: Any) -> Iterator[Callable[..., BrowserContext]]:
    """Factory of browser contexts on the live server; all are closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "fr-FR")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext], demo_territory: Organisation) -> Page:
    return new_context().new_page()


@dataclass
class Traffic:
    """Every request a page makes (recorded from before its first navigation)."""

    requests: list[Request] = field(default_factory=list)

    @classmethod
    def record(cls, page: Page) -> Traffic:
        traffic = cls()

        def on_request(request: Request) -> None:
            traffic.requests.append(request)

        page.on("request", on_request)
        return traffic

    def urls(self) -> list[str]:
        return [r.url for r in self.requests]

    def origins(self) -> set[str]:
        return {"{0.scheme}://{0.netloc}".format(urlsplit(r.url)) for r in self.requests}

    def transferred_bytes(self) -> int:
        """Response headers and bodies as received (the live server does not compress)."""
        total = 0
        for request in self.requests:
            if request.failure is not None:
                continue
            sizes = request.sizes()  # waits until the response has been fully received
            total += max(sizes["responseBodySize"], 0) + max(sizes["responseHeadersSize"], 0)
        return total
