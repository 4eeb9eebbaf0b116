"""No personal data of the demo leaks through a public page, an export or the API.

The demo is built, its personal data collected (the e-mail address, username and names of
every account), then everything an anonymous visitor can reach is crawled: the public pages
in French and English from "/" following same-origin links (indicator pages, their CSV and
JSON downloads included), and every GET list of the API, with the demo's codes put into the
paths that take one. Any of those strings, any e-mail address and any French phone number
fails the test.
"""

from __future__ import annotations

import io
import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from territoire.api.api import api
from territoire.core.demo import DEMO_SIREN
from territoire.indicators.models import IndicatorDefinition
from territoire.participation.models import Consultation, Envelope, ParticipatoryBudget
from territoire.roadmap.models import Project
from territoire.territory.models import Commune

MAX_URLS = 900
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 01 23 45 67 89, 01.23.45.67.89, 0123456789, +33 1 23 45 67 89, +33123456789
# (one separator used throughout; not inside a longer token such as a UUID or a decimal).
PHONE = re.compile(
    r"(?<![\w.,\-])(?:(?:\+33|0)[1-9]\d{8}|(?:\+33[ .]?|0)[1-9](?P<sep>[ .\-\u00a0])\d{2}(?:(?P=sep)\d{2}){3})(?![\w,\-])"
)
# Usernames that are ordinary words (the demo's superuser is "admin") or too short to mean
# anyone ("dsi", "elu") would match ordinary text: they are not personal data on their own.
# The person behind them is still looked for, by name and e-mail address.
COMMON_WORDS = {"admin", "administrateur", "administrator", "demo", "démo", "staff", "agent"}
MIN_USERNAME = 6


def personal_strings() -> set[str]:
    strings: set[str] = set()
    for user in get_user_model().objects.all():
        strings.add(user.email)
        if len(user.username) >= MIN_USERNAME and user.username.lower() not in COMMON_WORDS:
            strings.add(user.username)
        first, last = user.first_name.strip(), user.last_name.strip()
        if first and last:
            strings.update({f"{first} {last}", f"{last} {first}", f"{first[0]}. {last}"})
        for name in (first, last):
            if len(name) >= 4 and name.lower() not in COMMON_WORDS:
                strings.add(name)
    return {s for s in strings if s}


def public_roles() -> list[str]:
    """The élus named as project sponsors ("Jeanne Moreau, vice-présidente").

    An elected official's public role is public by design (the roadmap says who answers for
    a project), so these exact strings are taken out of a page before it is searched; the
    same person's name anywhere else (an author, a login, an e-mail) still fails the test.
    """
    roles = {p.sponsor for p in Project.objects.exclude(sponsor="")}
    return sorted(roles, key=len, reverse=True)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"a", "link"}:
            self.links.extend(value for name, value in attrs if name == "href" and value)


def same_origin_path(href: str) -> str | None:
    url, _fragment = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != "testserver"):
        return None
    path = parts.path
    if not path.startswith("/") or path.startswith(("/static/", "/admin/", "/api/")):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def api_paths() -> list[str]:
    """Every GET operation of the API, with the demo's codes in the path parameters."""
    values = {
        "siren": [DEMO_SIREN],
        "insee_code": list(Commune.objects.values_list("insee_code", flat=True)),
        "code": list(IndicatorDefinition.objects.values_list("code", flat=True))
        + sorted(set(Envelope.objects.values_list("code", flat=True))),
        "budget_id": [str(b.public_id) for b in ParticipatoryBudget.objects.all()],
        "consultation_id": [str(c.public_id) for c in Consultation.objects.all()],
    }
    paths: list[str] = []
    for template, operations in api.get_openapi_schema()["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        names = {p["name"] for p in get.get("parameters", ())}
        query = "?page_size=500" if "page_size" in names else ""
        expanded = [template]
        for name, options in values.items():
            if "{" + name + "}" in template:
                expanded = [p.replace("{" + name + "}", v) for p in expanded for v in options]
        assert all("{" not in p for p in expanded), f"no demo value for a parameter of {template}"
        paths.extend(p + query for p in expanded)
    return paths


def leaks(text: str, secrets: set[str], roles: list[str]) -> list[str]:
    for role in roles:
        text = text.replace(role, " ")
    found = [s for s in secrets if s.lower() in text.lower()]
    found += EMAIL.findall(text)
    found += [match.group(0) for match in PHONE.finditer(text)]
    return found


@pytest.mark.django_db
def test_no_personal_data_of_the_demo_in_public_pages_exports_and_api() -> None:
    call_command("demo", communes=3, months=4, seed=5, stdout=io.StringIO())
    secrets = personal_strings()
    # The demo has accounts, with names and addresses: the test looks for something real.
    assert {"dsi@rives-et-vallons.example", "Camille Durand", "Karim Benali", "agent.valmont"} <= secrets
    roles = public_roles()
    assert "Jeanne Moreau, vice-présidente" in roles

    client = Client()
    queue: deque[str] = deque(["/", "/en/"])
    queue.extend(api_paths())
    # The Open311 server's public reads, in both formats.
    queue.extend(
        f"/open311/v2/{name}.{fmt}"
        for name in ("discovery", "services", "requests")
        for fmt in ("json", "xml")
    )
    seen: set[str] = set(queue)
    crawled: dict[str, int] = {}
    problems: list[str] = []
    while queue and len(crawled) < MAX_URLS:
        path = queue.popleft()
        response = client.get(path)
        crawled[path] = response.status_code
        if response.status_code != 200 or response.streaming:
            continue
        text = response.content.decode(response.charset or "utf-8", errors="replace")
        if response["Content-Type"].startswith("application/json"):
            # Searched as decoded text: "\\u00e9" escapes would hide a name from the search.
            text = json.dumps(json.loads(text), ensure_ascii=False)
        problems += [f"{path}: {leak!r}" for leak in leaks(text, secrets, roles)]
        if response["Content-Type"].startswith("text/html"):
            parser = Links()
            parser.feed(text)
            for href in parser.links:
                target = same_origin_path(href)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append(target)

    assert problems == []
    # The crawl reached what it should: pages, exports and API lists, in both languages.
    ok = [path for path, status in crawled.items() if status == 200]
    assert any("/indicateurs/" in p and p.endswith(".csv") for p in ok)
    assert any("/indicateurs/" in p and p.endswith(".json") for p in ok)
    assert any(p.startswith("/en/t/") for p in ok)
    assert any(p.startswith("/t/") and p.endswith("/projets/") for p in ok)
    assert any(p.startswith("/api/v1/measurements") for p in ok)
    assert "/open311/v2/requests.xml" in ok
    assert any("/signalements/" in p for p in ok)
    assert any("/participer/" in p and "/resultats/" in p for p in ok)
    assert len(ok) >= 50, sorted(crawled.items())
    print(f"privacy crawl: {len(crawled)} URLs, {len(ok)} answered 200, {len(queue)} left unvisited")


@pytest.mark.parametrize(
    ("text", "is_phone"),
    [
        ("01 23 45 67 89", True),
        ("01.23.45.67.89", True),
        ("06-12-34-56-78", True),
        ("0612345678", True),
        ("+33 1 23 45 67 89", True),
        ("+33612345678", True),
        ("appelez le 05 49 12 34 56.", True),
        ("07-4311-9870", False),  # a piece of a UUID
        ("4e1c07-4311-9870", False),
        ("0612345678901", False),
        ("61.5", False),
        ("12 345", False),
    ],
)
def test_phone_pattern(text: str, is_phone: bool) -> None:
    assert bool(PHONE.search(text)) is is_phone


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Porté par Jeanne Moreau, vice-présidente", []),
        ("Saisi par Jeanne Moreau", ["Jeanne Moreau", "Jeanne", "Moreau"]),
        ("écrire à dsi@rives-et-vallons.example", ["dsi@rives-et-vallons.example"]),
        ("contact : quelqu.un@mairie.fr", ["quelqu.un@mairie.fr"]),
    ],
)
def test_leaks_takes_only_the_public_roles_out(text: str, found: list[str]) -> None:
    secrets = {"Jeanne Moreau", "Jeanne", "Moreau", "dsi@rives-et-vallons.example"}
    assert sorted(set(leaks(text, secrets, ["Jeanne Moreau, vice-présidente"]))) == sorted(found)
