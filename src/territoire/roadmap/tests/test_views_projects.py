"""The projects page: the value × complexity matrix, the proposed order and the statuses."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from territoire.roadmap.models import ProjectStatus
from territoire.roadmap.tests.helpers import count_queries, make_project
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db

URL = "/t/200000001/projets/"


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def proposed_order(page: str) -> list[str]:
    # The projects' table: the ranked (active) projects first, in the proposed order.
    table = page.split("<table>", 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr id="projet-\d+"><td class="num">\d+</td><td>([^<(]+?)(?: \(|</td>)', table)


@pytest.fixture
def portfolio(organisation: Organisation) -> None:
    make_project(organisation, "Portail famille", value_score=5, complexity_score=3, cost=Decimal(180_000))
    make_project(organisation, "Inscriptions en ligne", value_score=5, complexity_score=1, progress=40)
    make_project(organisation, "Site vitrine", value_score=2, complexity_score=2, status=ProjectStatus.IDEA)
    make_project(
        organisation, "Visioguichet", value_score=2, complexity_score=4, status=ProjectStatus.SUSPENDED
    )
    make_project(organisation, "MFA des agents", value_score=4, complexity_score=2, axis_code="cybersecurite")
    make_project(
        organisation,
        "Kits livrés",
        value_score=3,
        complexity_score=1,
        status=ProjectStatus.DONE,
        progress=100,
    )
    make_project(
        organisation, "Projet abandonné", value_score=5, complexity_score=1, status=ProjectStatus.CANCELLED
    )


def test_proposed_order_quick_wins_first(client: Client, portfolio: None) -> None:
    page = html(client.get(URL))
    assert proposed_order(page) == [
        "Inscriptions en ligne",
        "MFA des agents",
        "Portail famille",
        "Site vitrine",
        "Visioguichet",
    ]
    assert "Gains rapides" in page
    assert "Projets structurants" in page
    assert "À reconsidérer" in page


def test_delivered_and_cancelled_projects_are_not_ordered_but_listed(client: Client, portfolio: None) -> None:
    page = html(client.get(URL))
    assert "Kits livrés" not in proposed_order(page)
    assert "Projet abandonné" not in proposed_order(page)
    statuses = page.split("puis les autres, par axe", 1)[1]
    assert "Kits livrés" in statuses
    assert "livré" in statuses
    assert "abandonné" in statuses


def test_matrix_is_an_accessible_inline_svg(client: Client, portfolio: None) -> None:
    page = html(client.get(URL))
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg
    assert "Matrice valeur × complexité" in svg
    # One mark per active project, numbered by rank.
    for rank in range(1, 6):
        assert f">{rank}<" in svg
    assert ">6<" not in svg


def test_statuses_progress_and_axis(client: Client, organisation: Organisation, portfolio: None) -> None:
    page = html(client.get(URL))
    row = re.search(
        r"<tr id=\"projet-\d+\"><td class=\"num\">\d+</td><td>Inscriptions en ligne.*?</tr>", page, re.S
    )
    assert row
    assert "Services publics digitaux" in row.group(0)
    assert "40 %" in row.group(0)
    assert "T2 2026" in row.group(0)
    assert "planifié" in row.group(0)


def test_empty_portfolio(client: Client, organisation: Organisation) -> None:
    page = html(client.get(URL))
    assert "Aucun projet." in page


def test_english_version(client: Client, portfolio: None) -> None:
    page = html(client.get(f"/en{URL}"))
    assert '<html lang="en">' in page
    assert proposed_order(page)[0] == "Inscriptions en ligne"


def test_projects_belong_to_the_organisation_not_a_commune(
    client: Client, organisation: Organisation
) -> None:
    assert client.get("/t/99101/projets/").status_code == 404
    assert client.get("/t/999999999/projets/").status_code == 404


def test_another_organisations_projects_do_not_show(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    make_project(other_organisation, "Projet voisin")
    assert "Projet voisin" not in html(client.get(URL))
    assert "Projet voisin" in html(client.get("/t/200000002/projets/"))


def test_cached_page_follows_project_changes(client: Client, organisation: Organisation) -> None:
    project = make_project(organisation, "Borne interactive", value_score=2, complexity_score=2)
    assert proposed_order(html(client.get(URL))) == ["Borne interactive"]
    make_project(organisation, "Paiement en ligne", value_score=5, complexity_score=1)
    assert proposed_order(html(client.get(URL))) == ["Paiement en ligne", "Borne interactive"]
    project.status = ProjectStatus.DONE
    project.save()
    assert proposed_order(html(client.get(URL))) == ["Paiement en ligne"]


def test_queries_do_not_grow_with_projects(client: Client, organisation: Organisation) -> None:
    def queries() -> int:
        cache.clear()
        return count_queries(lambda: client.get(URL))

    for i in range(2):
        make_project(organisation, f"Projet {i}", commune_id=None)
    few = queries()
    communes = list(organisation.communes.all())
    for i in range(2, 20):
        make_project(
            organisation,
            f"Projet {i}",
            value_score=1 + i % 5,
            complexity_score=1 + (i // 5) % 5,
            commune=communes[i % len(communes)],
            axis_code=["services", "inclusion", "durable"][i % 3],
        )
    page = html(client.get(URL))
    assert len(proposed_order(page)) == 20
    assert queries() == few
