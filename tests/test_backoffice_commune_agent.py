"""What a commune agent finds in the back-office (issue 18, § 5): their commune's records,
and nothing of the organisation's own (API tokens, risk register) or of other communes
(measurements), in the index, the lists, a search, a record's page and the staff pages.

``test_rights_matrix_admin.py`` checks every model record by record; this file follows
the agent's journey through the pages they would actually open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from territoire.api.models import ApiToken
from territoire.indicators.models import Measurement
from territoire.roadmap.models import Risk
from territoire.roadmap.tests.helpers import record
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

ORG, ALPHA, BETA = "200000001", "99101", "99102"


@pytest.fixture
def agent(client: Client, organisation: Organisation, make_staff: Callable[..., Any]) -> Client:
    ApiToken.issue(name="Jeton de l'EPCI", organisation=organisation)
    ApiToken.issue(
        name="Jeton d'Alpha", organisation=organisation, commune=Commune.objects.get(insee_code=ALPHA)
    )
    ApiToken.issue(
        name="Jeton de Bêta", organisation=organisation, commune=Commune.objects.get(insee_code=BETA)
    )
    for scope in (ALPHA, BETA, ORG):
        record("cyber.incidents", scope, [7])
    client.force_login(make_staff(organisation, Role.AGENT, Commune.objects.get(insee_code=ALPHA)))
    return client


def test_the_index_lists_no_register_of_the_organisation(agent: Client) -> None:
    index = agent.get("/admin/").content.decode()
    assert "/admin/roadmap/risk/" not in index
    assert agent.get("/admin/roadmap/risk/").status_code == 403
    risk = Risk.objects.first()
    assert risk is not None
    assert agent.get(f"/admin/roadmap/risk/{risk.pk}/change/").status_code == 404
    assert agent.get(f"/t/{ORG}/risques/").status_code == 404


def test_only_the_communes_token(agent: Client) -> None:
    listing = agent.get("/admin/api/apitoken/").content.decode()
    assert "Jeton d&#x27;Alpha" in listing
    assert "Jeton de l&#x27;EPCI" not in listing
    assert "Jeton de Bêta" not in listing
    for name in ("Jeton de l'EPCI", "Jeton de Bêta"):
        token = ApiToken.objects.get(name=name)
        assert agent.get(f"/admin/api/apitoken/{token.pk}/change/").status_code == 404


def test_only_the_communes_measurements_even_when_searched(agent: Client) -> None:
    listing = agent.get("/admin/indicators/measurement/")
    shown = {m.scope.code for m in listing.context["cl"].result_list}
    assert shown == {ALPHA}
    for query in (BETA, ORG, "cyber"):
        searched = agent.get("/admin/indicators/measurement/", {"q": query})
        assert {m.scope.code for m in searched.context["cl"].result_list} <= {ALPHA}, query
    beta = Measurement.objects.filter(scope__code=BETA).first()
    assert beta is not None
    assert agent.get(f"/admin/indicators/measurement/{beta.pk}/change/").status_code == 404
    # And on the site: another commune's internal figure is unknown.
    assert agent.get(f"/t/{BETA}/indicateurs/cyber.incidents/").status_code == 404
    assert agent.get(f"/t/{BETA}/indicateurs/cyber.incidents.csv").status_code == 404
