"""Query counts of participation's lists: the same for N rows and for 2N.

Every list page, staff page and API list of the module is requested twice, once with N
rows and once with 2N, and must run the same number of queries: a query per row (an
N + 1) shows up as a difference. The cache is emptied before each measure, so both are
misses, and each measure follows a first request, so one-time look-ups are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from territoire.participation import services
from territoire.participation.models import AbuseReport, ParticipatoryBudget, PhaseKind, Proposal
from territoire.participation.services import consultations as consultation_services
from territoire.participation.tests.factories import ids, make_budget, make_participant
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"
DAY = dt.timedelta(days=1)


def queries(client: Client, url: str) -> list[str]:
    """The SQL of one GET of ``url`` (a cache miss, after a first request), answered 200."""
    cache.clear()
    assert client.get(url).status_code == 200, url
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


def assert_same_count(small: list[str], large: list[str]) -> None:
    assert len(large) == len(small), "\n".join(["queries at N:", *small, "", "queries at 2N:", *large])


def measure_twice(client: Client, url: str, add_rows: Callable[[int], object], n: int) -> None:
    """Build ``n`` rows, measure; build ``n`` more, measure again: the counts are equal."""
    add_rows(n)
    small = queries(client, url)
    add_rows(n)
    assert_same_count(small, queries(client, url))


# --------------------------------------------------------------------------- builders


def add_consultations(organisation: Organisation, n: int) -> None:
    """Consultations open now, to come and closed, each with two questions."""
    now = timezone.now()
    windows = [(now - DAY, now + 10 * DAY), (now + DAY, now + 10 * DAY), (now - 10 * DAY, now - DAY)]
    for i in range(n):
        opens, closes = windows[i % 3]
        consultation = consultation_services.create_consultation(
            organisation, title=f"Consultation {i}", opens_at=opens, closes_at=closes, theme="Mobilité"
        )
        consultation_services.add_question(
            consultation, kind="single", text="Faut-il ?", options=["Oui", "Non"], required=True
        )
        consultation_services.add_question(consultation, kind="text", text="Une idée ?")


def add_budgets(organisation: Organisation, n: int) -> None:
    phases = [PhaseKind.SUBMISSION, PhaseKind.VOTING, PhaseKind.RESULTS]
    for i in range(n):
        make_budget(organisation, phase=phases[i % 3], costs=[10_000, 20_000])


def add_proposals(budget: ParticipatoryBudget, n: int) -> None:
    envelope = budget.envelopes.get(code="global")
    start = Proposal.objects.filter(budget=budget).count()
    Proposal.objects.bulk_create(
        Proposal(
            budget=budget,
            envelope=envelope,
            external_id=f"extra-{start + i}",
            title=f"Proposition {start + i}",
            status="eligible",
            estimated_cost=1_000 + i,
        )
        for i in range(n)
    )


def closed_budget_with_results(organisation: Organisation, commune: Commune, n: int) -> ParticipatoryBudget:
    """A budget with ``n`` proposals, three ballots, the vote closed and the result published."""
    budget = make_budget(organisation, amount=10**7, costs=[1_000 + i for i in range(n)])
    envelope = budget.envelopes.get(code="global")
    refs = ids(envelope)
    for voter in range(3):
        services.cast_ballot(make_participant(commune), envelope, refs[voter::3][:5])
    voting = budget.phases.get(kind=PhaseKind.VOTING)
    voting.ends_at = timezone.now() - dt.timedelta(seconds=1)
    voting.save()
    budget.__dict__.pop("_phase_cache", None)
    services.publish_results(services.compute_results(envelope))
    return budget


# --------------------------------------------------------------------------- pages


def test_participation_home(client: Client, organisation: Organisation) -> None:
    def add(n: int) -> None:
        add_consultations(organisation, n)
        add_budgets(organisation, n)

    measure_twice(client, reverse("participation-index", args=[SIREN]), add, 3)


def test_consultations_list(client: Client, organisation: Organisation) -> None:
    measure_twice(
        client,
        reverse("participation-consultations", args=[SIREN]),
        lambda n: add_consultations(organisation, n),
        3,
    )


def test_budgets_list(client: Client, organisation: Organisation) -> None:
    measure_twice(
        client,
        reverse("participation-budgets", args=[SIREN]),
        lambda n: add_budgets(organisation, n),
        3,
    )


def test_budget_page_and_its_proposals_list(client: Client, organisation: Organisation) -> None:
    budget = make_budget(organisation, costs=[])
    for name in ("participation-budget", "participation-proposals"):
        url = reverse(name, args=[SIREN, budget.public_id])
        measure_twice(client, url, lambda n: add_proposals(budget, n), 5)


def test_results_page_and_proposals_with_votes(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    small = closed_budget_with_results(organisation, commune, 6)
    large = closed_budget_with_results(organisation, commune, 12)
    for name in ("participation-results", "participation-proposals"):
        assert_same_count(
            queries(client, reverse(name, args=[SIREN, small.public_id])),
            queries(client, reverse(name, args=[SIREN, large.public_id])),
        )


def test_staff_budget_page(
    client: Client, organisation: Organisation, commune: Commune, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    budget = make_budget(organisation, costs=[10_000, 20_000])
    proposals = list(budget.proposals.all())

    def add(n: int) -> None:
        add_proposals(budget, n)
        envelopes = budget.envelopes.count()
        for i in range(n):
            services.add_envelope(budget, code=f"env{envelopes + i}", name=f"Enveloppe {i}", amount=1_000)
        for i in range(n):
            AbuseReport.objects.create(
                proposal=proposals[i % 2], reporter=make_participant(commune), reason="Spam"
            )

    measure_twice(client, reverse("participation-staff-budget", args=[SIREN, budget.public_id]), add, 2)


# --------------------------------------------------------------------------- API


def test_api_budgets_list(client: Client, organisation: Organisation) -> None:
    measure_twice(
        client,
        f"/api/v1/organisations/{SIREN}/budgets",
        lambda n: add_budgets(organisation, n),
        3,
    )


def test_api_proposals_list(client: Client, organisation: Organisation) -> None:
    budget = make_budget(organisation, costs=[])
    measure_twice(
        client,
        f"/api/v1/organisations/{SIREN}/budgets/{budget.public_id}/proposals",
        lambda n: add_proposals(budget, n),
        5,
    )


def test_api_results_and_proposals_with_votes(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    small = closed_budget_with_results(organisation, commune, 6)
    large = closed_budget_with_results(organisation, commune, 12)
    for tail in ("results", "proposals"):
        assert_same_count(
            queries(client, f"/api/v1/organisations/{SIREN}/budgets/{small.public_id}/{tail}"),
            queries(client, f"/api/v1/organisations/{SIREN}/budgets/{large.public_id}/{tail}"),
        )


def test_api_consultations_list(client: Client, organisation: Organisation) -> None:
    measure_twice(
        client,
        f"/api/v1/organisations/{SIREN}/consultations",
        lambda n: add_consultations(organisation, n),
        3,
    )
