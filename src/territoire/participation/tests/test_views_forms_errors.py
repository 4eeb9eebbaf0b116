"""A form with several faults shows them all at once (proposal and ballot forms), and the
participation pages write dates the French way ("1er décembre")."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.test import Client
from django.utils import translation

from territoire.participation.models import Participant, PhaseKind, Proposal
from territoire.participation.services import budgets as budget_services
from territoire.participation.tests.test_views_budgets import (
    make_budget,
    make_resident,
    make_zone,
    sign_in,
    url,
)
from territoire.territory.models import Commune, Organisation


def test_a_proposal_with_several_faults_shows_them_all(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    zone = make_zone(commune, "nord")
    budget = make_budget(organisation, zones=(zone,), phase=PhaseKind.SUBMISSION)
    budget_services.add_category(budget, code="nature", name="Nature")
    resident: Participant = make_resident("autrice@example.org", commune, zone)
    sign_in(client, resident)
    response = client.post(
        url("participation-submit", "200000001", budget.public_id),
        {"title": "", "description": "x" * 5001, "zone": "999999", "category": "999999"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    summary = body.split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count("<li>") == 4, summary
    for field in ("id_title", "id_description", "id_zone", "id_category"):
        assert f'href="#{field}"' in summary
    assert not Proposal.objects.exists()


def _render(text: str, **context: object) -> str:
    return Template("{% load territoire %}" + text).render(Context(context))


def test_dates_are_written_the_french_way() -> None:
    first = dt.date(2026, 12, 1)
    with translation.override("fr"):
        assert _render("{{ d|long_date }}", d=first) == "1er décembre 2026"
        assert _render("{{ d|long_date }}", d=dt.date(2026, 6, 2)) == "2 juin 2026"
        assert _render("{{ d|long_date:'DAY' }}", d=dt.date(2026, 7, 1)) == "1er juillet"
        assert (
            _render("{{ d|long_date:'DATETIME' }}", d=dt.datetime(2026, 2, 1, 9, 5))
            == "1er février 2026, 09:05"
        )
    with translation.override("en"):
        assert _render("{{ d|long_date }}", d=first) == "1 December 2026"


def test_the_budget_timeline_says_1er(client: Client, organisation: Organisation) -> None:
    budget = make_budget(organisation, phase=PhaseKind.VOTING)
    phase = budget.phases.get(kind=PhaseKind.VOTING)
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    budget_services.set_phase(
        budget, PhaseKind.VOTING, starts_at=start, ends_at=start + dt.timedelta(days=30)
    )
    assert phase.pk
    body = client.get(url("participation-budget", "200000001", budget.public_id)).content.decode()
    assert "du 1er décembre 2026 au 31 décembre 2026" in body
    assert "déc 2026" not in body  # Django's "M" is not the French abbreviation
