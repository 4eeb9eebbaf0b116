"""The partners page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from territoire.roadmap.models import Axis, Partner, PartnerKind
from territoire.roadmap.tests.helpers import count_queries
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db

URL = "/t/200000001/partenaires/"


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row(page: str, name: str) -> str:
    match = re.search(r"<tr><td>(?:<a [^>]*>)?" + re.escape(name) + r"(?:</a>)?</td>.*?</tr>", page, re.S)
    assert match, f"no row for {name!r}"
    return match.group(0)


def test_template_partners_with_kind_and_axes(client: Client, organisation: Organisation) -> None:
    page = html(client.get(URL))
    anssi = row(page, "ANSSI")
    assert "État" in anssi
    assert "Cybersécurité" in anssi
    assert "Développement durable" in row(page, "ADEME")
    banque = row(page, "Banque des Territoires")
    assert "financeur" in banque
    assert "Inclusion numérique" in banque
    assert page.count("<tr><td>") == Partner.objects.filter(organisation=organisation).count()


def test_partner_with_several_axes_role_and_website(client: Client, organisation: Organisation) -> None:
    partner = Partner.objects.create(
        organisation=organisation,
        name="Syndicat départemental d'énergie",
        kind=PartnerKind.SYNDICAT_MIXTE,
        description="Achats groupés d'énergie",
        website="https://sde.example.org/",
    )
    partner.axes.set(Axis.objects.filter(organisation=organisation, code__in=["durable", "connectivite"]))
    page = html(client.get(URL))
    found = row(page, "Syndicat départemental d&#x27;énergie")
    assert '<a href="https://sde.example.org/" rel="noopener">' in found
    assert "Connectivité et réseaux, Développement durable" in found
    assert "Achats groupés" in found


def test_only_the_organisations_partners(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    Partner.objects.create(organisation=other_organisation, name="Partenaire voisin", kind=PartnerKind.AUTRE)
    assert "Partenaire voisin" not in html(client.get(URL))


def test_english_version_and_commune_scope(client: Client, organisation: Organisation) -> None:
    assert '<html lang="en">' in html(client.get(f"/en{URL}"))
    assert client.get("/t/99101/partenaires/").status_code == 404


def test_queries_do_not_grow_with_partners(client: Client, organisation: Organisation) -> None:
    def queries() -> int:
        cache.clear()
        return count_queries(lambda: client.get(URL))

    few = queries()
    axes = list(Axis.objects.filter(organisation=organisation))
    for i in range(15):
        partner = Partner.objects.create(
            organisation=organisation, name=f"Partenaire {i}", kind=PartnerKind.AUTRE
        )
        partner.axes.set(axes[: 1 + i % 4])
    assert "Partenaire 14" in html(client.get(URL))
    assert queries() == few
