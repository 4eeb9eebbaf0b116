"""Builders for participation tests (shared by the service, API and view tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from territoire.participation import services
from territoire.participation.models import (
    BallotKind,
    Envelope,
    Participant,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    Residence,
)
from territoire.territory.models import Commune, Organisation, Zone

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.01], [2.0, 48.0]]],
}


def make_zone(commune: Commune, code: str, *, population: int | None = 1000) -> Zone:
    return Zone.objects.create(
        commune=commune, name=code.title(), code=code, geometry=SQUARE, population=population
    )


_counter = {"n": 0}


def make_participant(
    commune: Commune | None = None,
    *,
    zone: Zone | None = None,
    verified: bool = True,
    birth_year: int | None = 1980,
    age_band: str = "",
    gender: str = "",
) -> Participant:
    _counter["n"] += 1
    n = _counter["n"]
    user = get_user_model().objects.create_user(
        username=f"resident{n}@example.org", email=f"resident{n}@example.org", password="x"
    )
    return Participant.objects.create(
        user=user,
        commune=commune or (zone.commune if zone else None),
        zone=zone,
        birth_year=birth_year,
        age_band=age_band,
        gender=gender,
        email_verified_at=timezone.now() if verified else None,
    )


def now() -> dt.datetime:
    return timezone.now()


def make_budget(
    organisation: Organisation,
    *,
    phase: str = PhaseKind.VOTING,
    ballot_kind: str = BallotKind.APPROVAL,
    amount: int = 100_000,
    zones: Sequence[Zone] = (),
    zone_amount: int = 50_000,
    costs: Sequence[int] = (40_000, 30_000, 20_000, 10_000),
    residence: str = Residence.TERRITORY,
    **options: Any,
) -> ParticipatoryBudget:
    """A published budget whose ``phase`` is in progress, with a global envelope "global"
    (and one envelope per zone), and eligible, estimated proposals of the given costs
    (in the global envelope; two per zone envelope)."""
    budget = services.create_budget(
        organisation,
        title="Budget participatif",
        year=2026,
        ballot_kind=ballot_kind,
        residence=residence,
        **options,
    )
    t = now()
    order = [k.value for k in PhaseKind]
    current = order.index(phase)
    for i, kind in enumerate(order):
        start = t + dt.timedelta(days=10 * (i - current)) - dt.timedelta(days=1)
        services.set_phase(budget, kind, starts_at=start, ends_at=start + dt.timedelta(days=10))
    envelope = services.add_envelope(budget, code="global", name="Enveloppe globale", amount=amount)
    for i, cost in enumerate(costs, start=1):
        _add_proposal(envelope, f"Projet {i}", cost)
    for zone in zones:
        env = services.add_envelope(budget, code=zone.code, name=zone.name, amount=zone_amount, zone=zone)
        for i in (1, 2):
            _add_proposal(env, f"Projet {zone.code} {i}", 10_000 * i, zone=zone)
    return budget


def _add_proposal(envelope: Envelope, title: str, cost: int, *, zone: Zone | None = None) -> Proposal:
    proposal = Proposal.objects.create(
        budget=envelope.budget,
        envelope=envelope,
        external_id=f"tmp{Proposal.objects.count() + 1}-{title}",
        title=title,
        zone=zone,
        status="eligible",
        estimated_cost=cost,
    )
    proposal.external_id = str(proposal.pk)
    proposal.save(update_fields=["external_id"])
    return proposal


def ids(envelope: Envelope) -> list[str]:
    """Public ids of the envelope's proposals, in creation order."""
    return [str(p) for p in envelope.proposals.order_by("pk").values_list("public_id", flat=True)]
