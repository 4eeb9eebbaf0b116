"""Moderation: reports, automatic hiding after N reports, staff hiding with a public
reason, hidden content kept in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from territoire.core.models import AuditEvent
from territoire.participation import selectors, services
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    AbuseReport,
    AbuseReportStatus,
    CensusEntry,
    Participant,
    PhaseKind,
    ProposalStatus,
)
from territoire.participation.tests.factories import make_budget, make_participant
from territoire.territory.models import Commune, Organisation


def test_auto_hide_after_n_reports(organisation: Organisation, commune: Commune, settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_AUTO_HIDE_REPORTS": 2}
    # A proposal just submitted (not a candidate of the vote): reports may hide it.
    budget = make_budget(organisation, phase=PhaseKind.SUBMISSION)
    proposal = budget.proposals.order_by("pk")[0]
    proposal.status = ProposalStatus.SUBMITTED
    proposal.save(update_fields=["status"])
    reporter = make_participant(commune)
    services.report_abuse(reporter, proposal=proposal, reason="Insultant")
    with pytest.raises(ParticipationError, match="déjà signalé"):
        services.report_abuse(reporter, proposal=proposal, reason="Encore")
    proposal.refresh_from_db()
    assert proposal.hidden_at is None
    services.report_abuse(make_participant(commune), proposal=proposal, reason="Spam")
    proposal.refresh_from_db()
    assert proposal.hidden_at is not None
    assert "automatiquement" in proposal.hidden_reason
    event = AuditEvent.objects.get(action="participation.auto_hide")
    assert event.changes["content"]["title"] == proposal.title  # kept in the audit trail
    assert event.changes["review"] is True
    # Logged for review: the report that hid it is flagged in the moderation queue.
    queue = list(selectors.open_reports(organisation))
    assert [r.caused_hiding for r in queue] == [False, True]
    _page, rows = selectors.proposals_page(budget)
    shown = next(r for r in rows if r.public_id == str(proposal.public_id))
    assert shown.hidden
    assert shown.title == ""
    assert shown.description == ""


def test_unverified_cannot_report(organisation: Organisation, commune: Commune) -> None:
    proposal = make_budget(organisation).proposals.order_by("pk")[0]
    with pytest.raises(ParticipationError):
        services.report_abuse(make_participant(commune, verified=False), proposal=proposal, reason="x")
    with pytest.raises(ParticipationError):
        services.report_abuse(None, proposal=proposal, reason="x")
    assert not AbuseReport.objects.exists()


def test_staff_hide_and_restore(organisation: Organisation, commune: Commune, make_staff: Any) -> None:
    budget = make_budget(organisation)
    proposal = budget.proposals.order_by("pk")[0]
    services.report_abuse(make_participant(commune), proposal=proposal, reason="Hors sujet")
    staff = make_staff(organisation, role="agent")
    with pytest.raises(ParticipationError, match="motif"):
        services.hide_contribution(proposal=proposal, reason="", actor=staff)
    services.hide_contribution(proposal=proposal, reason="Propos injurieux", actor=staff)
    proposal.refresh_from_db()
    assert proposal.hidden_reason == "Propos injurieux"
    assert AbuseReport.objects.get().status == AbuseReportStatus.UPHELD
    services.restore_contribution(proposal=proposal, actor=staff)
    proposal.refresh_from_db()
    assert proposal.hidden_at is None
    with pytest.raises(ParticipationError) as exc:
        services.hide_contribution(proposal=proposal, reason="x", actor=make_participant(commune).user)
    assert exc.value.status == 404


# ----------------------------------------------------------------- issue 17: one resident, one voice


def _three_reports(proposal: Any, reporters: list[Participant]) -> None:
    for reporter in reporters:
        services.report_abuse(reporter, proposal=proposal, reason="Je n'aime pas ce projet")


def test_reports_during_an_open_vote_never_hide_a_candidate(
    organisation: Organisation, commune: Commune, settings: Any
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_AUTO_HIDE_REPORTS": 3}
    budget = make_budget(organisation, phase=PhaseKind.VOTING)
    rival = budget.proposals.order_by("pk")[0]
    _three_reports(rival, [make_participant(commune) for _ in range(5)])
    rival.refresh_from_db()
    assert rival.hidden_at is None  # still on the ballot
    assert not AuditEvent.objects.filter(action="participation.auto_hide").exists()
    assert len(selectors.open_reports(organisation)) == 5  # the moderators decide


def test_an_eligible_proposal_is_not_hidden_by_reports_before_the_vote(
    organisation: Organisation, commune: Commune, settings: Any
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_AUTO_HIDE_REPORTS": 2}
    budget = make_budget(organisation, phase=PhaseKind.ESTIMATE)
    candidate = budget.proposals.order_by("pk")[0]
    _three_reports(candidate, [make_participant(commune) for _ in range(3)])
    candidate.refresh_from_db()
    assert candidate.hidden_at is None


def test_one_mailbox_under_several_spellings_is_one_reporter(
    organisation: Organisation, commune: Commune, settings: Any
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_AUTO_HIDE_REPORTS": 2}
    budget = make_budget(organisation, phase=PhaseKind.SUBMISSION)
    proposal = budget.proposals.order_by("pk")[0]
    proposal.status = ProposalStatus.SUBMITTED
    proposal.save(update_fields=["status"])
    # Accounts made before the addresses were normalised (the migration deactivates them).
    first, second = make_participant(commune), make_participant(commune)
    for participant, spelling in ((first, "meme@example.org"), (second, "Meme@Example.org\u200b")):
        participant.user.email = spelling
        participant.user.save(update_fields=["email"])
    _three_reports(proposal, [first, second])
    proposal.refresh_from_db()
    assert proposal.hidden_at is None
    assert services.independent_reporters(proposal) == 1


def test_where_the_vote_uses_the_census_only_verified_residents_count(
    organisation: Organisation, commune: Commune, settings: Any
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_AUTO_HIDE_REPORTS": 2}
    budget = make_budget(organisation, phase=PhaseKind.SUBMISSION, census_required=True)
    proposal = budget.proposals.order_by("pk")[0]
    proposal.status = ProposalStatus.SUBMITTED
    proposal.save(update_fields=["status"])
    reporters = [make_participant(commune) for _ in range(3)]
    _three_reports(proposal, reporters)
    proposal.refresh_from_db()
    assert proposal.hidden_at is None  # none of them is on the census list
    for n, reporter in enumerate(reporters[:2]):
        CensusEntry.objects.create(commune=commune, digest=f"{n:064d}", claimed_by=reporter)
    assert services.independent_reporters(proposal) == 2
