"""The home and an indicator's page tell one story: a summary per axis before the cards,
cards that say what they lack, the axis, objective and projects of an indicator."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import formats, timezone

from territoire.indicators.periods import last_periods
from territoire.roadmap.models import Axis, Objective
from territoire.roadmap.template import AXES
from territoire.roadmap.tests.helpers import make_project, record, target
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db

SIREN = "200000001"
HOME = f"/t/{SIREN}/"
FTTH = "connectivite.foyers_raccordables"
LATENCY = "connectivite.latence"
AVAILABILITY = "connectivite.disponibilite"
ALL_CODES = [spec.code for axis in AXES for spec in axis.indicators]


def card(page: str, name: str) -> str:
    match = re.search(r'<li class="card">(?:(?!</li>).)*?' + re.escape(name) + r".*?</li>", page, re.S)
    assert match, f"no card for {name!r}"
    return match.group(0)


def summary_row(page: str, axis_name: str) -> list[int]:
    summary = page.split('id="summary"')[1].split("</table>")[0]
    row = summary.split(f">{axis_name}</a></th>")[1].split("</tr>")[0]
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]


def test_the_home_opens_with_a_summary_per_axis(client: Client, organisation: Organisation) -> None:
    # Connectivity: one on track (reached), one off track, one without target.
    record(FTTH, SIREN, [90, 95, 100])
    target(FTTH, SIREN, baseline=60, goal=100, deadline=date(2099, 12, 31))
    record(AVAILABILITY, SIREN, [90, 90, 90])
    target(AVAILABILITY, SIREN, baseline=90, goal=99.9, deadline=date(2099, 12, 31))
    record(LATENCY, SIREN, [40, 40])
    page = client.get(HOME).content.decode()
    assert page.index('id="summary"') < page.index('<ul class="cards">')
    assert summary_row(page, "Connectivité et réseaux") == [1, 0, 1, 1]
    assert summary_row(page, "Inclusion numérique") == [0, 0, 0, 3]
    # Every axis has its row, linked to its section.
    for axis in Axis.objects.filter(organisation=organisation):
        assert f'<a href="#axis-{axis.code}">{axis.name}</a>' in page


def test_a_card_says_what_is_missing(client: Client, organisation: Organisation) -> None:
    """11 of 26 cards said « Sans cible ou sans mesure »."""
    record(LATENCY, SIREN, [40, 40])
    target(AVAILABILITY, SIREN, baseline=90, goal=99.9, deadline=date(2099, 12, 31))
    old = last_periods("monthly", timezone.localdate(), 8)[0]
    record(FTTH, SIREN, [70], today=old.start)
    target(FTTH, SIREN, baseline=60, goal=100, deadline=date(2099, 12, 31))
    page = client.get(HOME).content.decode()
    assert "Pas de cible fixée</span>" in card(page, "Latence moyenne")
    assert "Aucune mesure</span>" in card(page, "Disponibilité du réseau")
    assert "Aucune mesure depuis" in card(page, "Taux de foyers raccordables")
    assert "Pas de cible fixée, aucune mesure</span>" in card(page, "Satisfaction des usagers")
    assert "Sans cible ou sans mesure</span>" not in page.split('id="status-rule"')[0].split("</table>")[1]


def test_a_stale_figure_is_named(client: Client, organisation: Organisation) -> None:
    """The last figure is eight months old: the card names its month."""
    old = last_periods("monthly", timezone.localdate(), 8)[0]
    record(FTTH, SIREN, [70, 71], today=old.end)
    target(FTTH, SIREN, baseline=60, goal=100, deadline=date(2099, 12, 31))
    page = client.get(HOME).content.decode()
    expected = f"Aucune mesure depuis {formats.date_format(old.start, 'F Y')}"
    assert expected in card(page, "Taux de foyers raccordables")
    # Recent figures: nothing said.
    record(FTTH, SIREN, [72])
    cache.clear()
    assert "Aucune mesure depuis" not in card(
        client.get(HOME).content.decode(), "Taux de foyers raccordables"
    )


def test_the_card_names_its_period(client: Client, organisation: Organisation) -> None:
    record(FTTH, SIREN, [70])
    month = last_periods("monthly", timezone.localdate(), 1)[0].start
    assert f"Période : {formats.date_format(month, 'F Y')}" in card(
        client.get(HOME).content.decode(), "Taux de foyers"
    )


def test_the_home_queries_are_bounded(
    client: Client, organisation: Organisation, django_assert_max_num_queries: Any
) -> None:
    for code in ALL_CODES:
        record(code, SIREN, [10, 11, 12])
        target(code, SIREN, baseline=5, goal=50, deadline=date(2099, 12, 31))
    cache.clear()
    with django_assert_max_num_queries(12):
        assert client.get(HOME).status_code == 200


def test_an_indicator_page_names_its_axis_objective_and_projects(
    client: Client, organisation: Organisation
) -> None:
    objective = Objective.objects.get(organisation=organisation, indicators__code=FTTH)
    axis = objective.axis
    fibre = make_project(organisation, "Fibre des écoles", axis=axis, progress=55)
    fibre.objectives.add(objective)
    make_project(organisation, "Projet sans lien", axis=axis)
    page = client.get(f"/t/{SIREN}/indicateurs/{FTTH}/").content.decode()
    crumbs = page.split("Fil d’Ariane")[1].split("</nav>")[0]
    assert f'href="/t/{SIREN}/#axis-{axis.code}">{axis.name}</a>' in crumbs
    assert f'href="/t/{SIREN}/#objective-{objective.pk}">{objective.title}</a>' in crumbs
    projects = page.split("Projets qui font bouger cet indicateur")[1].split("</ul>")[0]
    assert f'href="/t/{SIREN}/projets/#projet-{fibre.pk}">Fibre des écoles</a>' in projects
    assert "55 %" in projects
    assert "Projet sans lien" not in page
    # The anchors exist where the links lead.
    assert f'id="objective-{objective.pk}"' in client.get(HOME).content.decode()
    assert f'id="projet-{fibre.pk}"' in client.get(f"/t/{SIREN}/projets/").content.decode()
    # A commune's page of the same indicator links the same.
    commune_page = client.get(f"/t/99101/indicateurs/{FTTH}/").content.decode()
    assert f'href="/t/99101/#objective-{objective.pk}"' in commune_page
    assert "Fibre des écoles" in commune_page


def test_an_indicator_without_objective_says_so(client: Client, organisation: Organisation) -> None:
    Objective.indicators.through.objects.filter(indicatordefinition__code=FTTH).delete()
    page = client.get(f"/t/{SIREN}/indicateurs/{FTTH}/").content.decode()
    assert "Aucun projet de la feuille de route" in page
    assert "#objective-" not in page
