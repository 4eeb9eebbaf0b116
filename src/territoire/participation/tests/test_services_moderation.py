"""Moderation: reports, automatic hiding after N reports, staff hiding with a public
reason, hidden content kept in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from territoire.core.models import AuditEvent
from territoire.participation import selectors, services
from territoire.participation.errors import ParticipationError
from territoire.participation.models import AbuseReport, AbuseReportStatus
from territoire.participation.tests.factories import make_budget, make_participant
from territoire.territory.models import Commune, Organisation


def test_auto_hide_after_n_reports(organisation: Organisation, commune: Commune, settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_AUTO_HIDE_REPORTS": 2}
    budget = make_budget(organisation)
    proposal = budget.proposals.order_by("pk")[0]
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
