"""Triage by the staff: status, answer, crew, category, duplicates, moderation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import Action, action
from territoire.reports import permissions
from territoire.reports.models import (
    DESCRIPTION_MAX_LENGTH,
    VERSION_KEY,
    Crew,
    EventKind,
    Open311State,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
    ServiceCategory,
    Support,
)
from territoire.reports.services.errors import FieldError, ReportError, ReportForbidden, ReportNotFound
from territoire.reports.services.history import record_event
from territoire.reports.services.supports import notify_followers

if TYPE_CHECKING:
    pass


def _lock_for(report: Report | str, actor: Any, check: Any) -> Report:
    """Lock the report row and check ``check(actor, commune)``; 404 if out of reach."""
    # Lock the report row only (not the category, status or commune joined for reading).
    queryset = Report.objects.select_for_update(of=("self",)).select_related("commune", "status", "category")
    if isinstance(report, Report):
        locked = queryset.filter(pk=report.pk).first()
    else:
        try:
            locked = queryset.filter(public_id=report).first()
        except DjangoValidationError:
            locked = None
    if locked is None or not permissions.can_view_reports(actor, locked.commune):
        raise ReportNotFound(_("Signalement introuvable."))
    if not check(actor, locked.commune):
        raise ReportForbidden(_("Votre rôle ne permet pas cette action."))
    return locked


def _status_of(organisation_id: int, status: ReportStatus | str) -> ReportStatus:
    if isinstance(status, ReportStatus):
        if status.organisation_id != organisation_id:
            raise ReportError(FieldError("status", _("Statut inconnu.")))
        return status
    found = ReportStatus.objects.filter(organisation_id=organisation_id, code=status).first()
    if found is None:
        raise ReportError(FieldError("status", _("Statut inconnu : %(s)s.") % {"s": status}))
    return found


def _notify(report: Report, event: ReportEvent) -> None:
    """After commit: e-mail the reporter (if they left an address) and the report's followers."""
    if report.email and report.email_confirmed_at is not None:
        from territoire.reports import notifications

        transaction.on_commit(lambda: notifications.notify_reporter(report.pk, event.pk))
    if (
        Support.objects.filter(report_id=report.pk, email_confirmed_at__isnull=False)
        .exclude(email="")
        .exists()
    ):
        transaction.on_commit(lambda: notify_followers(report.pk, event.pk))


def _triage(name: str, actor: Any, ip_address: str | None) -> Any:
    """The action of a staff member's change to a report (the reports pages' version)."""
    return action(
        name,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    )


def _done(act: Action, report: Report, changes: dict[str, Any]) -> None:
    """What the action's audit record says: the report and the change."""
    act.obj = report
    act.organisation_id = report.organisation_id
    act.changes = changes


def change_status(
    report: Report | str,
    status: ReportStatus | str,
    *,
    actor: Any,
    answer: str = "",
    ip_address: str | None = None,
    notify: bool = True,
    at: datetime | None = None,
) -> Report:
    """Move a report to ``status`` (object or code). A status that requires it needs ``answer``.

    The answer is public (the "réponse argumentée": shown on the report's page and as
    Open311 ``status_notes``). Closing sets ``closed_at``; reopening clears it. The
    reporter is e-mailed after commit.
    """
    answer = answer.strip()
    with _triage("reports.status_changed", actor, ip_address) as act:
        locked = _lock_for(report, actor, permissions.can_triage)
        target = _status_of(locked.organisation_id, status)
        if target.requires_answer and not answer:
            raise ReportError(
                FieldError(
                    "answer",
                    _("Une réponse argumentée est obligatoire pour le statut « %(s)s ».")
                    % {"s": target.label},
                )
            )
        if len(answer) > DESCRIPTION_MAX_LENGTH:
            raise ReportError(
                FieldError("answer", _("%(n)s caractères au plus.") % {"n": DESCRIPTION_MAX_LENGTH})
            )
        if target.pk == locked.status_id and not answer:
            act.audited, act.versions = False, ()  # nothing changes
            return locked
        now = at or timezone.now()
        previous = locked.status
        locked.status = target
        locked.is_open = target.open311_state == Open311State.OPEN
        if locked.is_open:
            locked.closed_at = None
        elif previous.open311_state == Open311State.OPEN or locked.closed_at is None:
            locked.closed_at = now
        if answer:
            locked.status_notes = answer
        locked.save(update_fields=["status", "is_open", "closed_at", "status_notes", "updated_at"])
        event = record_event(
            locked,
            EventKind.STATUS,
            actor=actor,
            message=answer,
            from_status=previous,
            to_status=target,
            at=now,
        )
        _done(act, locked, {"status": [previous.code, target.code]})
        if notify and target.pk != previous.pk:
            _notify(locked, event)
    return locked


def add_answer(
    report: Report | str,
    text: str,
    *,
    actor: Any,
    public: bool = True,
    ip_address: str | None = None,
    notify: bool = True,
) -> ReportEvent:
    """A message on the report: a public answer (e-mailed, shown as ``status_notes``) or an internal note."""
    text = text.strip()
    if not text:
        raise ReportError(FieldError("answer", _("Le message est vide.")))
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ReportError(
            FieldError("answer", _("%(n)s caractères au plus.") % {"n": DESCRIPTION_MAX_LENGTH})
        )
    with _triage("reports.answered" if public else "reports.noted", actor, ip_address) as act:
        locked = _lock_for(report, actor, permissions.can_triage)
        event = record_event(
            locked,
            EventKind.ANSWER if public else EventKind.NOTE,
            actor=actor,
            message=text,
            is_public=public,
        )
        if public:
            locked.status_notes = text
            locked.save(update_fields=["status_notes", "updated_at"])
            if notify:
                _notify(locked, event)
        else:
            act.versions = ()  # an internal note changes no public page
        _done(act, locked, {"public": public})
    return event


def assign_crew(
    report: Report | str,
    crew: Crew | None,
    *,
    actor: Any,
    expected_at: datetime | None = None,
    ip_address: str | None = None,
) -> Report:
    """Assign the report to a crew of its organisation (or unassign with ``None``)."""
    with _triage("reports.assigned", actor, ip_address) as act:
        locked = _lock_for(report, actor, permissions.can_triage)
        if crew is not None and crew.organisation_id != locked.organisation_id:
            raise ReportError(FieldError("crew", _("Équipe inconnue.")))
        previous = locked.crew_id
        locked.crew = crew
        if expected_at is not None:
            locked.expected_at = expected_at
        locked.save(update_fields=["crew", "expected_at", "updated_at"])
        record_event(
            locked,
            EventKind.ASSIGNMENT,
            actor=actor,
            is_public=True,
            message=crew.team or crew.name if crew else "",
            data={"crew": crew.name if crew else None},
        )
        _done(act, locked, {"crew": [previous, crew.pk if crew else None]})
    return locked


def change_category(
    report: Report | str, category: ServiceCategory, *, actor: Any, ip_address: str | None = None
) -> Report:
    """Re-file a report under another active category of its organisation: its technical
    service (the category's team) and its SLA due date follow. Audited; the history says
    from which category to which."""
    with _triage("reports.recategorised", actor, ip_address) as act:
        locked = _lock_for(report, actor, permissions.can_triage)
        if category.organisation_id != locked.organisation_id or not category.active:
            raise ReportError(FieldError("category", _("Catégorie inconnue.")))
        if category.pk == locked.category_id:
            raise ReportError(FieldError("category", _("Le signalement est déjà dans cette catégorie.")))
        previous = locked.category
        locked.category = category
        locked.due_at = locked.requested_at + timedelta(days=category.sla_days) if category.sla_days else None
        locked.save(update_fields=["category", "due_at", "updated_at"])
        record_event(
            locked,
            EventKind.CATEGORY,
            actor=actor,
            message=_("« %(from)s » → « %(to)s »") % {"from": previous.name, "to": category.name},
            data={"from": previous.service_code, "to": category.service_code},
        )
        _done(
            act,
            locked,
            {
                "category": [previous.service_code, category.service_code],
                "team": [previous.team, category.team],
            },
        )
    return locked


def _pk_of(report: Report | str) -> int | None:
    if isinstance(report, Report):
        return report.pk
    try:
        return Report.objects.filter(public_id=str(report)).values_list("pk", flat=True).first()
    except (DjangoValidationError, ValueError):
        return None


def merge_duplicate(
    source: Report | str,
    target: Report | str,
    *,
    actor: Any,
    answer: str = "",
    ip_address: str | None = None,
) -> Report:
    """Close ``source`` as a duplicate of ``target``; its supports (and its reporter) move over.

    Returns the target. Both must be in the same organisation and reachable by the actor;
    rows are locked in id order so two merges cannot deadlock.
    """
    with _triage("reports.merged", actor, ip_address) as act:
        src_pk, tgt_pk = _pk_of(source), _pk_of(target)
        if src_pk is None or tgt_pk is None:
            raise ReportNotFound(_("Signalement introuvable."))
        if src_pk == tgt_pk:
            raise ReportError(FieldError("target", _("Un signalement ne peut pas être son propre doublon.")))
        ordered = sorted([src_pk, tgt_pk])
        locked = {
            r.pk: r for r in (_lock_for(Report(pk=pk), actor, permissions.can_triage) for pk in ordered)
        }
        src, tgt = locked[src_pk], locked[tgt_pk]
        if src.organisation_id != tgt.organisation_id:
            raise ReportNotFound(_("Signalement introuvable."))
        if tgt.duplicate_of_id is not None:
            raise ReportError(FieldError("target", _("Le signalement cible est lui-même un doublon.")))
        duplicate_status = ReportStatus.objects.filter(
            organisation_id=src.organisation_id, is_duplicate=True
        ).first()
        if duplicate_status is None:
            raise ReportError(FieldError("status", _("Aucun statut « doublon » n'est configuré.")))
        text = answer.strip() or _(
            "Ce problème a déjà été signalé : il est suivi dans le signalement %(id)s."
        ) % {"id": tgt.public_id}
        # Supports move unless the same person already supports the target.
        already = set(Support.objects.filter(report=tgt).values_list("fingerprint", flat=True))
        moving = Support.objects.filter(report=src).exclude(fingerprint__in=already)
        moved = moving.update(report=tgt)
        Support.objects.filter(report=src).delete()
        # The earlier reporter's own report counts as one more support of the target.
        tgt.supporters_count = (
            Support.objects.filter(report=tgt).count() + 1 + Report.objects.filter(duplicate_of=tgt).count()
        )
        tgt.save(update_fields=["supporters_count", "updated_at"])
        src.duplicate_of = tgt
        src.supporters_count = 0
        src.save(update_fields=["duplicate_of", "supporters_count", "updated_at"])
        record_event(
            tgt, EventKind.MERGED, actor=actor, data={"merged": str(src.public_id), "supports": moved}
        )
        _done(act, src, {"into": str(tgt.public_id), "supports": moved})
        # In the same transaction: the merge and the status change stand or fall together.
        change_status(src, duplicate_status, actor=actor, answer=text, ip_address=ip_address)
    tgt.refresh_from_db()
    return tgt


def hide_report(report: Report | str, reason: str, *, actor: Any, ip_address: str | None = None) -> Report:
    """Hide a report from every public view (moderation); the reason is recorded."""
    reason = reason.strip()
    if not reason:
        raise ReportError(FieldError("reason", _("Le motif est obligatoire.")))
    with _triage("reports.hidden", actor, ip_address) as act:
        locked = _lock_for(report, actor, permissions.can_moderate)
        locked.hidden = True
        locked.hidden_reason = reason
        locked.save(update_fields=["hidden", "hidden_reason", "updated_at"])
        record_event(locked, EventKind.HIDDEN, actor=actor, message=reason, is_public=False)
        _done(act, locked, {"reason": reason})
    return locked


def unhide_report(
    report: Report | str, *, actor: Any, reason: str = "", ip_address: str | None = None
) -> Report:
    with _triage("reports.unhidden", actor, ip_address) as act:
        locked = _lock_for(report, actor, permissions.can_moderate)
        locked.hidden = False
        locked.save(update_fields=["hidden", "updated_at"])
        record_event(locked, EventKind.UNHIDDEN, actor=actor, message=reason.strip(), is_public=False)
        _done(act, locked, {"reason": reason.strip()})
    return locked


def redact_photo(
    photo: ReportPhoto | str, reason: str, *, actor: Any, ip_address: str | None = None
) -> ReportPhoto:
    """Withdraw a photo (moderation): its file is deleted, the record and the reason are kept."""
    reason = reason.strip()
    if not reason:
        raise ReportError(FieldError("reason", _("Le motif est obligatoire.")))
    with _triage("reports.photo_redacted", actor, ip_address) as act:
        if isinstance(photo, ReportPhoto):
            found = ReportPhoto.objects.select_for_update().filter(pk=photo.pk).first()
        else:
            try:
                found = ReportPhoto.objects.select_for_update().filter(public_id=photo).first()
            except DjangoValidationError:
                found = None
        if found is None:
            raise ReportNotFound(_("Photo introuvable."))
        _lock_for(Report(pk=found.report_id), actor, permissions.can_moderate)
        name, storage = found.file.name, found.file.storage
        found.redacted = True
        found.redacted_reason = reason
        found.redacted_at = timezone.now()
        found.file = ""
        found.save()
        record_event(found.report, EventKind.PHOTO_REDACTED, actor=actor, message=reason, is_public=False)
        _done(act, found.report, {"photo": str(found.public_id), "reason": reason})
        if name:
            transaction.on_commit(lambda: storage.delete(name))
    return found
