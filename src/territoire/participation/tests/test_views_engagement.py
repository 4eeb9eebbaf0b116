"""Public engagement analytics: rates per zone (chart + table), the diversity index with
its definition, profiles against the reference population, themes, suppression."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from territoire.participation.models import Participant, QuestionKind
from territoire.participation.services import consultations as consultation_services
from territoire.participation.services.reference import set_reference_population
from territoire.participation.tests.test_views_budgets import make_resident, make_zone, url
from territoire.territory.models import Commune, Organisation

ENGAGEMENT = url("participation-engagement", "200000001")


def _respond(organisation: Organisation, residents: list[Participant]) -> None:
    now = timezone.now()
    consultation = consultation_services.create_consultation(
        organisation,
        title="Consultation",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=5),
        theme="Mobilité",
    )
    question = consultation_services.add_question(
        consultation, kind=QuestionKind.SCALE, text="Note", scale_min=1, scale_max=5
    )
    for resident in residents:
        consultation_services.submit_response(resident, consultation, {str(question.pk): 3})


def test_engagement_page_with_suppression_chart_index_and_themes(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    big = make_zone(commune, "centre", population=1000)
    small = make_zone(commune, "hameau", population=500)
    quiet = make_zone(commune, "plaine", population=4000)
    residents = [make_resident(f"c{i}@example.org", commune, big, birth_year=1960 + i) for i in range(12)]
    residents += [make_resident(f"h{i}@example.org", commune, small, birth_year=1990) for i in range(2)]
    residents += [make_resident(f"p{i}@example.org", commune, quiet, birth_year=2000) for i in range(5)]
    set_reference_population(
        commune, "age_band", {"15-29": 2000, "30-44": 2500, "45-59": 2500, "60-74": 2000, "75+": 1000}
    )
    _respond(organisation, residents)

    response = client.get(ENGAGEMENT)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'svg class="barchart"' in body
    assert 'role="img"' in body
    assert "Participants et taux de participation par quartier" in body
    assert '<span class="suppressed">&lt; 5</span>' in body  # the hamlet's 2 participants
    assert "faible participation" in body  # "plaine": 5 of 4,000 against ~19 of 5,500
    assert "Indice de représentativité" in body
    assert "1 − ½ Σ |pᵢ − qᵢ|" in body
    assert "Mobilité" in body
    for resident in residents:
        assert resident.user.email not in body


def test_engagement_page_without_zones_or_participants(client: Client, organisation: Organisation) -> None:
    response = client.get(ENGAGEMENT)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Aucun quartier" in body
    assert "Aucune contribution classée par thème." in body


def test_engagement_unknown_scope_is_404(client: Client, organisation: Organisation) -> None:
    assert client.get(url("participation-engagement", "999999999")).status_code == 404
