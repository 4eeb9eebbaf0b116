"""Ballots: the rules of each kind, and the security list (each refused with a clear
message, nothing counted)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from territoire.core.models import AuditEvent
from territoire.participation import services
from territoire.participation.models import Ballot, BallotItem, BallotKind, BallotMethod, PhaseKind, Residence
from territoire.participation.services import ParticipationError
from territoire.participation.tests.factories import ids, make_budget, make_participant, make_zone
from territoire.territory.models import Commune, Organisation


@pytest.fixture
def zones(commune: Commune) -> list[Any]:
    return [make_zone(commune, "nord"), make_zone(commune, "sud")]


def _global(budget: Any) -> Any:
    return budget.envelopes.get(code="global")


def _nothing_counted() -> None:
    assert Ballot.objects.count() == 0
    assert BallotItem.objects.count() == 0


def test_approval_ballot_is_recorded_then_replaced(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, max_choices=2)
    env = _global(budget)
    p = make_participant(commune)
    a, b, c, _d = ids(env)
    services.cast_ballot(p, env, [a, b])
    services.cast_ballot(p, env, [c])
    ballot = Ballot.objects.get()
    assert ballot.method == BallotMethod.ONLINE
    assert [str(i.proposal.public_id) for i in ballot.items.all()] == [c]
    actions = list(
        AuditEvent.objects.filter(action__startswith="participation.").values_list("action", flat=True)
    )
    assert "participation.cast_ballot" in actions
    assert "participation.change_ballot" in actions


def test_vote_outside_voting_phase_is_refused(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, phase=PhaseKind.ESTIMATE)
    env = _global(budget)
    with pytest.raises(ParticipationError, match="vote n'est pas ouvert"):
        services.cast_ballot(make_participant(commune), env, ids(env)[:1])
    _nothing_counted()


def test_vote_after_closing_is_refused(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, phase=PhaseKind.RESULTS)
    env = _global(budget)
    with pytest.raises(ParticipationError, match="vote n'est pas ouvert"):
        services.cast_ballot(make_participant(commune), env, ids(env)[:1])
    _nothing_counted()


def test_second_ballot_is_not_created(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation)
    env = _global(budget)
    p = make_participant(commune)
    services.cast_ballot(p, env, ids(env)[:1])
    # The database itself refuses a second online ballot for the same person.
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(envelope=env, participant=p, method=BallotMethod.ONLINE)
    services.cast_ballot(p, env, ids(env)[1:2])
    assert Ballot.objects.count() == 1


def test_over_budget_knapsack_ballot_is_refused(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(
        organisation, ballot_kind=BallotKind.KNAPSACK, amount=60_000, costs=(40_000, 30_000, 20_000)
    )
    env = _global(budget)
    p = make_participant(commune)
    a, b, c = ids(env)
    with pytest.raises(ParticipationError, match="dépasse l'enveloppe") as exc:
        services.cast_ballot(p, env, [a, b])
    assert exc.value.field == "choices"
    _nothing_counted()
    services.cast_ballot(p, env, [a, c])  # 60 000 = the envelope: accepted
    assert BallotItem.objects.count() == 2


def test_ineligible_participants_are_refused(
    organisation: Organisation, commune: Commune, other_organisation: Organisation
) -> None:
    budget = make_budget(organisation, min_age=16)
    env = _global(budget)
    choice = ids(env)[:1]
    cases = [
        (None, "Connectez-vous"),
        (make_participant(commune, verified=False), "Confirmez"),
        (make_participant(commune, birth_year=dt.date.today().year - 10), "16 ans"),
        (make_participant(commune, birth_year=None), "année de naissance"),
        (make_participant(Commune.objects.get(insee_code="99201")), "habitants du territoire"),
        (make_participant(None), "habitants du territoire"),
    ]
    for participant, message in cases:
        with pytest.raises(ParticipationError, match=message) as exc:
            services.cast_ballot(participant, env, choice)
        assert exc.value.status == 403
    staff = make_participant(commune)
    staff.user.is_staff = True
    staff.user.save()
    with pytest.raises(ParticipationError, match="services ne votent pas"):
        services.cast_ballot(staff, env, choice)
    _nothing_counted()


def test_census_required(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, census_required=True)
    env = _global(budget)
    with pytest.raises(ParticipationError, match="liste transmise par la commune"):
        services.cast_ballot(make_participant(commune), env, ids(env)[:1])
    _nothing_counted()


def test_ballot_for_a_project_of_another_zone_is_refused(
    organisation: Organisation, commune: Commune, zones: list[Any]
) -> None:
    budget = make_budget(organisation, zones=zones)
    nord, sud = (budget.envelopes.get(code=z.code) for z in zones)
    p = make_participant(commune, zone=zones[0])
    with pytest.raises(ParticipationError, match="hors de cette enveloppe") as exc:
        services.cast_ballot(p, nord, ids(sud)[:1])
    assert exc.value.status == 400
    # ...nor vote in another zone's envelope.
    with pytest.raises(ParticipationError, match="habitants du quartier Sud"):
        services.cast_ballot(p, sud, ids(sud)[:1])
    _nothing_counted()
    services.cast_ballot(p, nord, ids(nord)[:1])
    services.cast_ballot(p, _global(budget), ids(_global(budget))[:1])
    assert Ballot.objects.count() == 2


@pytest.mark.parametrize(
    "tamper",
    [
        ["not-a-uuid"],
        ["00000000-0000-0000-0000-000000000000"],
        {"FIRST": "abc"},
        {"FIRST": -1},
        {"FIRST": 2},  # points on an approval ballot
    ],
)
def test_tampered_form_fields_are_refused(organisation: Organisation, commune: Commune, tamper: Any) -> None:
    budget = make_budget(organisation)
    env = _global(budget)
    first = ids(env)[0]
    if isinstance(tamper, dict):
        tamper = {first: tamper["FIRST"]}
    with pytest.raises(ParticipationError) as exc:
        services.cast_ballot(make_participant(commune), env, tamper)
    assert exc.value.message
    _nothing_counted()


def test_rejected_or_hidden_or_unestimated_proposals_are_not_on_the_ballot(
    organisation: Organisation, commune: Commune
) -> None:
    budget = make_budget(organisation)
    env = _global(budget)
    a, b, c, _d = env.proposals.order_by("pk")
    a.status = "rejected"
    a.public_reason = "Hors compétence"
    a.save()
    b.hidden_at = b.created_at
    b.hidden_reason = "Injurieux"
    b.save()
    c.estimated_cost = None
    c.save()
    p = make_participant(commune)
    for proposal in (a, b, c):
        with pytest.raises(ParticipationError, match="hors de cette enveloppe"):
            services.cast_ballot(p, env, [str(proposal.public_id)])
    _nothing_counted()


def test_approval_min_and_max(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation, min_choices=2, max_choices=3)
    env = _global(budget)
    p = make_participant(commune)
    with pytest.raises(ParticipationError, match="au moins 2 projets"):
        services.cast_ballot(p, env, ids(env)[:1])
    with pytest.raises(ParticipationError, match="au plus 3 projets"):
        services.cast_ballot(p, env, ids(env))
    with pytest.raises(ParticipationError, match="au moins"):
        services.cast_ballot(p, env, [])
    _nothing_counted()
    services.cast_ballot(p, env, ids(env)[:3])
    assert BallotItem.objects.count() == 3


def test_cumulative_points(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(
        organisation, ballot_kind=BallotKind.CUMULATIVE, max_points_per_project=3, max_points_total=5
    )
    env = _global(budget)
    a, b, c, _d = ids(env)
    p = make_participant(commune)
    with pytest.raises(ParticipationError, match="3 points par projet"):
        services.cast_ballot(p, env, {a: 4})
    with pytest.raises(ParticipationError, match="6 points : 5 au plus"):
        services.cast_ballot(p, env, {a: 3, b: 3})
    _nothing_counted()
    services.cast_ballot(p, env, {a: 3, b: 2, c: 0})
    assert sorted(BallotItem.objects.values_list("points", flat=True)) == [2, 3]


def test_duplicate_choice_is_refused(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation)
    env = _global(budget)
    a = ids(env)[0]
    with pytest.raises(ParticipationError, match="deux fois"):
        services.cast_ballot(make_participant(commune), env, [a, a])
    _nothing_counted()


def test_unpublished_budget_answers_not_found(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation)
    budget.published_at = None
    budget.save()
    env = _global(budget)
    with pytest.raises(ParticipationError) as exc:
        services.cast_ballot(make_participant(commune), env, ids(env)[:1])
    assert exc.value.status == 404
    _nothing_counted()


def test_zone_residence_budget(organisation: Organisation, commune: Commune, zones: list[Any]) -> None:
    budget = make_budget(organisation, residence=Residence.ZONE, zone=zones[0])
    env = _global(budget)
    with pytest.raises(ParticipationError, match="quartier concerné"):
        services.cast_ballot(make_participant(commune, zone=zones[1]), env, ids(env)[:1])
    services.cast_ballot(make_participant(commune, zone=zones[0]), env, ids(env)[:1])
    assert Ballot.objects.count() == 1


def test_withdraw_ballot(organisation: Organisation, commune: Commune) -> None:
    budget = make_budget(organisation)
    env = _global(budget)
    p = make_participant(commune)
    ballot = services.cast_ballot(p, env, ids(env)[:1])
    assert services.withdraw_ballot(p, env) is True
    _nothing_counted()
    # The audit names the withdrawn ballot; a second withdrawal writes nothing.
    event = AuditEvent.objects.get(action="participation.withdraw_ballot")
    assert event.object_id == str(ballot.pk)
    assert services.withdraw_ballot(p, env) is False
    assert AuditEvent.objects.filter(action="participation.withdraw_ballot").count() == 1


def test_paper_ballots(organisation: Organisation, commune: Commune, make_staff: Any) -> None:
    budget = make_budget(organisation)
    env = _global(budget)
    agent = make_staff(organisation, role="agent")
    p = make_participant(commune)
    services.cast_ballot(p, env, ids(env)[:1])
    services.enter_paper_ballot(env, ids(env)[:2], actor=agent)
    services.enter_paper_ballot(env, ids(env)[:1], actor=agent)
    assert Ballot.objects.filter(method=BallotMethod.PAPER, participant__isnull=True).count() == 2
    # Paper ballots go through the same rules.
    with pytest.raises(ParticipationError):
        services.enter_paper_ballot(env, ["forged"], actor=agent)
    # A resident is not staff; an elected member has no write role; an outsider gets 404.
    with pytest.raises(ParticipationError) as exc:
        services.enter_paper_ballot(env, ids(env)[:1], actor=p.user)
    assert exc.value.status == 404
    with pytest.raises(ParticipationError) as exc:
        services.enter_paper_ballot(env, ids(env)[:1], actor=make_staff(organisation, role="elu"))
    assert exc.value.status == 403
    # The database ties "participant" and "online" together.
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(envelope=env, participant=p, method=BallotMethod.PAPER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(envelope=env, participant=None, method=BallotMethod.ONLINE)
    assert Ballot.objects.count() == 3
