"""Moderation: reports of abuse, hiding with a public reason, automatic hiding after N
reports. Hidden content is never deleted: it stays in the database and in the audit
trail (the hiding event records the text)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    AbuseReport,
    AbuseReportStatus,
    Answer,
    ModerationStatus,
    Participant,
    Proposal,
    QuestionKind,
)
from territoire.participation.permissions import require_manager


def auto_hide_threshold() -> int:
    """Reports (from distinct participants) that hide a contribution; 0 disables."""
    return int(settings.TERRITOIRE.get("PARTICIPATION_AUTO_HIDE_REPORTS", 3))


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

    When the count of reports reaches ``PARTICIPATION_AUTO_HIDE_REPORTS``, the
    contribution is hidden until staff decide (public reason: awaiting moderation).
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
            if threshold and locked.hidden_at is None:
                open_reports = AbuseReport.objects.filter(
                    **{"proposal" if proposal is not None else "answer": target},
                    status=AbuseReportStatus.OPEN,
                ).count()
                if open_reports >= threshold:
                    hidden_reason = str(
                        _("Masqué automatiquement après plusieurs signalements, en attente de modération.")
                    )
                    with action(
                        "participation.auto_hide",
                        actor_label="system",
                        obj=locked,
                        organisation_id=process.organisation_id,
                        changes={"reason": hidden_reason, "content": _text_of(locked)},
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
