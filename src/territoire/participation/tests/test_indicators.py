"""The indicators fed to the spine, against hand-computed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from territoire.indicators.periods import year_of
from territoire.participation import indicators, services
from territoire.participation.models import Proposal, ProposalStatus, QuestionKind, Response
from territoire.participation.tests.factories import make_budget, make_participant
from territoire.territory.models import Commune, Organisation, Scope


def _consultation(organisation: Organisation, commune: Commune | None = None) -> Any:
    now = timezone.now()
    c = services.create_consultation(
        organisation,
        commune=commune,
        title="Avis",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=1),
        residence="any",
    )
    q = services.add_question(c, kind=QuestionKind.SCALE, text="Note", scale_min=1, scale_max=5)
    return c, q


def test_participation_rate_and_suppression(organisation: Organisation, commune: Commune) -> None:
    period = year_of(timezone.localdate())
    c, q = _consultation(organisation)
    org_scope = Scope.objects.get(organisation=organisation)
    alpha = Scope.objects.get(commune=commune)
    people = [make_participant(commune) for _ in range(6)]
    for p in people[:4]:
        services.submit_response(p, c, {q.pk: 3})
    # 4 people < k = 5: not published.
    assert indicators.participation_rate(alpha, period) is None
    for p in people[4:]:
        services.submit_response(p, c, {q.pk: 3})
    # 6 / 10 000 × 100 = 0.06 %; organisation: 6 / 14 000 × 100 = 0.0428… → 0.04.
    assert indicators.participation_rate(alpha, period) == Decimal("0.06")
    assert indicators.participation_rate(org_scope, period) == Decimal("0.04")
    # Nobody in Bêta: a published zero.
    assert indicators.participation_rate(Scope.objects.get(commune__insee_code="99102"), period) == 0


def test_representativeness_index(organisation: Organisation, commune: Commune) -> None:
    period = year_of(timezone.localdate())
    c, q = _consultation(organisation)
    services.set_reference_population(commune, "age_band", {"30-44": 50, "45-59": 50})
    for band in ["30-44"] * 3 + ["60-74"] * 3:
        services.submit_response(make_participant(commune, birth_year=None, age_band=band), c, {q.pk: 2})
    # p = {30-44: .5, 60-74: .5}, q = {30-44: .5, 45-59: .5}: Σ|p − q| = 1, index = 1 − ½ = 0.5.
    assert indicators.representativeness(Scope.objects.get(commune=commune), period) == Decimal("0.5")


def test_representativeness_index_needs_k_participants(organisation: Organisation, commune: Commune) -> None:
    """As its method says: not computed under k participants who declared their age."""
    period = year_of(timezone.localdate())
    c, q = _consultation(organisation)
    services.set_reference_population(commune, "age_band", {"30-44": 50, "45-59": 50})
    for band in ["30-44"] * 2 + ["60-74"] * 2:  # 4 < k = 5
        services.submit_response(make_participant(commune, birth_year=None, age_band=band), c, {q.pk: 2})
    assert indicators.representativeness(Scope.objects.get(commune=commune), period) is None


def test_consultations_per_year(organisation: Organisation, commune: Commune) -> None:
    period = year_of(timezone.localdate())
    _consultation(organisation)
    _consultation(organisation, commune)
    assert indicators.consultations_per_year(Scope.objects.get(organisation=organisation), period) == 2
    assert indicators.consultations_per_year(Scope.objects.get(commune=commune), period) == 1


def test_answers_percent_and_median_delay(organisation: Organisation, commune: Commune) -> None:
    period = year_of(timezone.localdate())
    scope = Scope.objects.get(organisation=organisation)
    budget = make_budget(organisation, costs=())
    envelope = budget.envelopes.get()
    now = timezone.now()
    authors = [make_participant(commune) for _ in range(3)]
    for i, (author, days) in enumerate(zip(authors, [2, 4, None], strict=True)):
        p = Proposal.objects.create(
            budget=budget, envelope=envelope, external_id=f"x{i}", author=author, title=f"P{i}"
        )
        if days is not None:
            Proposal.objects.filter(pk=p.pk).update(
                status=ProposalStatus.ELIGIBLE, reviewed_at=p.created_at + dt.timedelta(days=days)
            )
    c, q = _consultation(organisation)
    for _ in range(2):
        services.submit_response(make_participant(commune), c, {q.pk: 1})
    assert indicators.answered_contributions(scope, period) == Decimal("40.0")  # 2 of 5
    type(c).objects.filter(pk=c.pk).update(
        closes_at=now - dt.timedelta(days=12),
        opens_at=now - dt.timedelta(days=20),
        answered_at=now - dt.timedelta(days=2),
    )
    assert Response.objects.count() == 2
    # Answered: proposals after 2 and 4 days, the two responses 10 days after closing.
    assert indicators.answered_contributions(scope, period) == Decimal("80.0")  # 4 of 5
    assert indicators.median_answer_days(scope, period) == Decimal("7.0")  # median of 2, 4, 10, 10
