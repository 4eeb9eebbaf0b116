"""English all the way on /en/: the demo's content (roadmap template, projects, report
categories and questions, consultations and budgets) reads in English, dates are
unambiguous, and French stays French at /."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from territoire.core.demo import DEMO_SIREN

pytestmark = pytest.mark.django_db

# (path under the site, English that must show on /en/, French that must show on / only)
SPOTS = [
    ("/t/{s}/", "Connectivity and networks", "Connectivité et réseaux"),
    (
        "/t/{s}/",
        "Share of households with access to very high-speed broadband",
        "Taux de foyers raccordables au très haut débit",
    ),
    ("/t/{s}/projets/", "Online school enrolment", "Inscriptions scolaires en ligne"),
    (
        "/t/{s}/indicateurs/connectivite.foyers_raccordables/",
        "Share of households with access to very high-speed broadband",
        "Taux de foyers raccordables au très haut débit",
    ),
    ("/t/{s}/signalements/nouveau/", "Pothole or damaged road surface", "Nid-de-poule ou chaussée dégradée"),
    ("/t/{s}/signalements/nouveau/", "How big is it?", "Quelle est sa taille ?"),
    ("/t/{s}/signalements/nouveau/", "Under 20 cm", "Moins de 20 cm"),  # a question's choice
    (
        "/t/{s}/participer/consultations/",
        "Which online services first?",
        "Quelles priorités pour les services en ligne ?",
    ),
    ("/t/{s}/participer/budgets/", "Participatory budget", "Budget participatif 20"),
]
BADGE = re.compile(r'class="report-status (?:open|closed)">')
FRENCH_BADGE = re.compile(
    r'class="report-status (?:open|closed)">(?:Nouveau|Pris en compte|Planifié|En cours|Résolu|Non pertinent|Doublon)<'
)
AMBIGUOUS_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
ENGLISH_DATE = re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def test_demo_content_in_english_under_en_and_in_french_at_root(client: Client) -> None:
    call_command("demo", communes=5, months=6, seed=1, stdout=io.StringIO())
    pages: dict[str, str] = {}
    for path, english, french in SPOTS:
        url = path.format(s=DEMO_SIREN)
        for prefix in ("", "/en"):
            if prefix + url not in pages:
                response = client.get(prefix + url)
                assert response.status_code == 200, (prefix + url, response.status_code)
                pages[prefix + url] = response.content.decode().replace("&#x27;", "'")
        assert english in pages["/en" + url], f"{english!r} missing on /en{url}"
        assert french not in pages["/en" + url], f"French {french!r} left on /en{url}"
        assert french in pages[url], f"{french!r} missing on {url}"
    # Report status badges: the statuses' English (label_en), never the French labels.
    for prefix in ("", "/en"):
        response = client.get(f"{prefix}/t/{DEMO_SIREN}/signalements/")
        assert response.status_code == 200
        pages[f"{prefix}/t/{DEMO_SIREN}/signalements/"] = response.content.decode()
    english_list = pages[f"/en/t/{DEMO_SIREN}/signalements/"]
    assert BADGE.search(english_list), "no status badge on the reports list"
    assert not FRENCH_BADGE.search(english_list), FRENCH_BADGE.search(english_list)
    assert FRENCH_BADGE.search(pages[f"/t/{DEMO_SIREN}/signalements/"])
    # Dates on /en/ read "6 Dec 2026", never 12/06/2026.
    for url, html in pages.items():
        if url.startswith("/en/"):
            assert not AMBIGUOUS_DATE.search(html), (url, AMBIGUOUS_DATE.search(html))
    indicator = pages[f"/en/t/{DEMO_SIREN}/indicateurs/connectivite.foyers_raccordables/"]
    assert ENGLISH_DATE.search(indicator)
