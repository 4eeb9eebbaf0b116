"""Invariants held by the database itself."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from territoire.participation.models import (
    AbuseReport,
    Envelope,
    Proposal,
    ReferencePopulation,
    Result,
    age_band_for,
)
from territoire.participation.tests.factories import make_budget, make_participant
from territoire.territory.models import Commune, Organisation


def test_rejected_proposal_needs_a_reason(organisation: Organisation) -> None:
    proposal = make_budget(organisation).proposals.order_by("pk")[0]
    proposal.status = "rejected"
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save()


def test_one_published_result_per_envelope(organisation: Organisation) -> None:
    env = make_budget(organisation).envelopes.get()
    Result.objects.create(
        envelope=env,
        rule="greedy",
        satisfaction="cost",
        inputs_digest="0" * 64,
        published_at="2026-01-01T00:00Z",
    )
    Result.objects.create(envelope=env, rule="mes", satisfaction="cost", inputs_digest="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.create(
            envelope=env,
            rule="mes",
            satisfaction="cost",
            inputs_digest="0" * 64,
            published_at="2026-01-02T00:00Z",
        )


def test_envelope_amount_positive(organisation: Organisation) -> None:
    budget = make_budget(organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        Envelope.objects.create(budget=budget, code="zero", name="Zéro", amount=0)


def test_reference_unique_for_commune_level(commune: Commune) -> None:
    ReferencePopulation.objects.create(commune=commune, attribute="age_band", category="75+", count=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferencePopulation.objects.create(commune=commune, attribute="age_band", category="75+", count=4)


def test_abuse_report_has_exactly_one_target(organisation: Organisation, commune: Commune) -> None:
    reporter = make_participant(commune)
    with pytest.raises(IntegrityError), transaction.atomic():
        AbuseReport.objects.create(reporter=reporter, reason="x")
    proposal: Proposal = make_budget(organisation).proposals.order_by("pk")[0]
    AbuseReport.objects.create(reporter=reporter, proposal=proposal, reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        AbuseReport.objects.create(reporter=reporter, proposal=proposal, reason="again")


@pytest.mark.parametrize(
    ("age", "band"), [(0, "0-14"), (14, "0-14"), (15, "15-29"), (59, "45-59"), (75, "75+")]
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band_for(age) == band
