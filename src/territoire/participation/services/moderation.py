"""Moderation: reports of abuse, hiding with a public reason, automatic hiding after N
reports. Hidden content is never deleted: it stays in the database and in the audit
trail (the hiding event records the text).

Automatic hiding is a weapon if a few accounts can pull a rival project off a ballot
(issue 17). So:

- a proposal that is a candidate — its budget's vote is open, or it is eligible for a
  vote not yet closed — is never hidden by reports alone: they go to moderators;
- elsewhere, only *independent* reporters count towards the threshold: active accounts,
  distinct mailboxes (the normal form of their address), and, where the process requires
  the census check, distinct verified census entries;
- each automatic hiding is audited (``participation.auto_hide``, with the text) and the
  report that triggered it is flagged ``caused_hiding`` in the moderation queue.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.core.emails import normalise_email
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    AbuseReport,
    AbuseReportStatus,
    Answer,
    ModerationStatus,
    Participant,
    PhaseKind,
    Proposal,
    ProposalStatus,
    QuestionKind,
)
from territoire.participation.permissions import require_manager
from territoire.participation.selectors.budgets import current_phase, phase_windows


def auto_hide_threshold() -> int:
    """Reports (from distinct participants) that hide a contribution; 0 disables."""
    return int(settings.TERRITOIRE.get("PARTICIPATION_AUTO_HIDE_REPORTS", 3))


def is_candidate(target: Proposal | Answer, now: Any = None) -> bool:
    """A proposal that is, or is about to be, on an open ballot (never auto-hidden)."""
    if not isinstance(target, Proposal):
        return False
    budget = target.budget
    now = now or timezone.now()
    if current_phase(budget, now) == PhaseKind.VOTING:
        return True
    voting = phase_windows(budget).get(PhaseKind.VOTING)
    vote_ahead = voting is not None and (voting.ends_at is None or now < voting.ends_at)
    return vote_ahead and target.status == ProposalStatus.ELIGIBLE


def independent_reporters(target: Proposal | Answer) -> int:
    """How many independent participants (see the module doc) have an open report on ``target``."""
    reports = (
        AbuseReport.objects.filter(
            **{"proposal" if isinstance(target, Proposal) else "answer": target},
            status=AbuseReportStatus.OPEN,
            reporter__user__is_active=True,
            reporter__email_verified_at__isnull=False,
        )
        .select_related("reporter__user")
        .order_by("pk")
    )
    if _process_of(target).census_required:
        reports = reports.filter(reporter__census_entry__isnull=False)
    mailboxes: set[str] = set()
    for report in reports:
        try:
            mailboxes.add(normalise_email(report.reporter.user.email))
        except ValidationError:
            continue  # an address that names no mailbox vouches for no one
    return len(mailboxes)


def _process_of(target: Proposal | Answer) -> Any:
    return target.budget if isinstance(target, Proposal) else target.response.consultation


def _text_of(target: Proposal | Answer) -> dict[str, str]:
    if isinstance(target, Proposal):
        return {"title": target.title, "description": target.description}
    return {"text": target.text}


def _hide(target: Proposal | Answer, reason: str) -> None:
    """Hide ``target`` with a public reason (inside the caller's action)."""
    now = timezone.now()
    target.hidden_at = now
    target.hidden_reason = reason
    fields = ["hidden_at", "hidden_reason"]
    if isinstance(target, Answer):
        target.moderation = ModerationStatus.HIDDEN
        target.moderated_at = now
        fields += ["moderation", "moderated_at"]
    target.save(update_fields=fields)


def report_abuse(
    reporter: Participant | None,
    *,
    proposal: Proposal | None = None,
    answer: Answer | None = None,
    reason: str,
    ip_address: str | None = None,
) -> AbuseReport:
    """A participant reports a proposal or a free-text answer (once each).

    When the independent reporters reach ``PARTICIPATION_AUTO_HIDE_REPORTS``, the
    contribution is hidden until staff decide (public reason: awaiting moderation) —
    never a candidate of a vote (see the module doc).
    """
    if reporter is None or reporter.email_verified_at is None:
        raise ParticipationError(
            _("Connectez-vous avec un compte confirmé pour signaler un contenu."), status=403
        )
    if (proposal is None) == (answer is None):
        raise ParticipationError(_("Indiquez le contenu signalé."), field="target", status=400)
    target: Proposal | Answer = proposal if proposal is not None else answer  # type: ignore[assignment]
    if isinstance(target, Answer) and target.question.kind != QuestionKind.TEXT:
        raise ParticipationError(_("Seules les contributions écrites se signalent."), status=400)
    reason = (reason or "").strip()
    if not reason:
        raise ParticipationError(_("Indiquez le motif du signalement."), field="reason")
    process = _process_of(target)
    try:
        with action(
            "participation.report_abuse",
            actor=reporter.user,
            organisation_id=process.organisation_id,
            changes={"target": target._meta.label_lower, "target_id": target.pk, "reason": reason[:500]},
            ip_address=ip_address,
            versions=(),
        ) as act:
            report = AbuseReport.objects.create(
                reporter=reporter, proposal=proposal, answer=answer, reason=reason[:500]
            )
            act.obj = report
            threshold = auto_hide_threshold()
            locked = type(target).objects.select_for_update(of=("self",)).get(pk=target.pk)
            if (
                threshold
                and locked.hidden_at is None
                and not is_candidate(locked)
                and independent_reporters(locked) >= threshold
            ):
                report.caused_hiding = True
                report.save(update_fields=["caused_hiding"])
                hidden_reason = str(
                    _("Masqué automatiquement après plusieurs signalements, en attente de modération.")
                )
                with action(
                    "participation.auto_hide",
                    actor_label="system",
                    obj=locked,
                    organisation_id=process.organisation_id,
                    changes={
                        "reason": hidden_reason,
                        "content": _text_of(locked),
                        "review": True,
                        "report_id": report.pk,
                    },
                    versions=(VERSION_KEY,),
                ):
                    _hide(locked, hidden_reason)
    except IntegrityError as exc:
        raise ParticipationError(_("Vous avez déjà signalé ce contenu."), status=409) from exc
    return report


def hide_contribution(
    *, proposal: Proposal | None = None, answer: Answer | None = None, reason: str, actor: Any
) -> Model:
    """Staff hide a contribution with a public reason; its open reports are upheld."""
    if (proposal is None) == (answer is None):
        raise ParticipationError(_("Indiquez le contenu à masquer."), field="target", status=400)
    target: Proposal | Answer = proposal if proposal is not None else answer  # type: ignore[assignment]
    require_manager(actor, _process_of(target))
    reason = (reason or "").strip()
    if not reason:
        raise ParticipationError(_("Indiquez le motif public du masquage."), field="reason")
    with action(
        "participation.hide",
        actor=actor,
        obj=target,
        organisation_id=_process_of(target).organisation_id,
        changes={"reason": reason[:500], "content": _text_of(target)},
        versions=(VERSION_KEY,),
    ):
        _hide(target, reason[:500])
        target.abuse_reports.filter(status=AbuseReportStatus.OPEN).update(
            status=AbuseReportStatus.UPHELD,
            handled_at=timezone.now(),
            handled_by=actor if getattr(actor, "pk", None) else None,
        )
    return target


def restore_contribution(
    *, proposal: Proposal | None = None, answer: Answer | None = None, actor: Any
) -> Model:
    """Staff show again a hidden contribution (after an automatic hiding, say); the open
    reports are dismissed."""
    if (proposal is None) == (answer is None):
        raise ParticipationError(_("Indiquez le contenu à rétablir."), field="target", status=400)
    target: Proposal | Answer = proposal if proposal is not None else answer  # type: ignore[assignment]
    process = _process_of(target)
    require_manager(actor, process)
    with action(
        "participation.restore",
        actor=actor,
        obj=target,
        organisation_id=process.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        previous = target.hidden_reason
        target.hidden_at = None
        target.hidden_reason = ""
        fields = ["hidden_at", "hidden_reason"]
        if isinstance(target, Answer):
            target.moderation = ModerationStatus.PUBLISHED
            target.moderated_at = timezone.now()
            fields += ["moderation", "moderated_at"]
        target.save(update_fields=fields)
        target.abuse_reports.filter(status=AbuseReportStatus.OPEN).update(
            status=AbuseReportStatus.DISMISSED,
            handled_at=timezone.now(),
            handled_by=actor if getattr(actor, "pk", None) else None,
        )
        act.changes = {"previous_reason": previous}
    return target


def dismiss_report(report: AbuseReport, *, actor: Any) -> AbuseReport:
    """Staff dismiss one report (the content stays as it is)."""
    target: Proposal | Answer = report.proposal if report.proposal is not None else report.answer  # type: ignore[assignment]
    process = _process_of(target)
    require_manager(actor, process)
    with action(
        "participation.dismiss_report",
        actor=actor,
        obj=report,
        organisation_id=process.organisation_id,
        versions=(),
    ):
        report.status = AbuseReportStatus.DISMISSED
        report.handled_at = timezone.now()
        report.handled_by = actor if getattr(actor, "pk", None) else None
        report.save(update_fields=["status", "handled_at", "handled_by", "updated_at"])
    return report
