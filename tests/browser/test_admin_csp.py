"""The back-office under the site's Content-Security-Policy, in a real browser.

``/admin/`` used to be served without the CSP the README promises. Django's admin ships
no inline script or style, so the same policy holds there: its pages (lists with
filters and actions, forms with date, related-object and two-list widgets) load and
work with no violation reported by the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import BrowserContext, Page, expect

from territoire.accounts.testing import StaffClient
from territoire.territory.models import Organisation

pytestmark = pytest.mark.browser

# Recorded from before the first script of every page runs.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""

ADMIN_PAGES = [
    "/admin/",
    "/admin/auth/user/",
    "/admin/auth/user/add/",
    "/admin/auth/group/add/",  # the two-list permission chooser (SelectFilter2)
    "/admin/roadmap/project/",
    "/admin/roadmap/project/add/",  # dates, related-object links
    "/admin/indicators/measurement/",
]


def signed_in_page(new_context: Callable[..., BrowserContext], live_server: Any) -> tuple[Page, list[str]]:
    user = get_user_model().objects.create_superuser("csp-admin", "csp@example.org", "correct horse battery")
    client = StaffClient()
    client.force_login(user)  # the second factor passed, as after enrolment
    context = new_context()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": urlsplit(live_server.url).hostname or "localhost",
                "path": "/",
            }
        ]
    )
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    return page, console


def test_admin_pages_load_under_the_csp_with_no_violation(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation, live_server: Any
) -> None:
    page, console = signed_in_page(new_context, live_server)
    for url in ADMIN_PAGES:
        response = page.goto(url, wait_until="load")
        assert response is not None
        assert response.status == 200, (url, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        expect(page.locator("#content")).to_be_visible()
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], (url, violations)
    # The admin's scripts ran: the two-list chooser of a group's permissions was built.
    page.goto("/admin/auth/group/add/")
    expect(page.locator(".selector-available")).to_be_visible()
    assert not [line for line in console if "Content Security Policy" in line], console
