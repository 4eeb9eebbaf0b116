"""Writes of the legal information: one audited action per change, by an organisation-wide
editor of the organisation (or a superuser)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.legal.models import ProcessingDecision, SiteNotice
from territoire.territory import access


def _check(actor: Any, organisation_id: int) -> None:
    if not access.can_edit_roadmap(actor, organisation_id):
        raise PermissionDenied(
            _("Seuls les administrateurs de la collectivité modifient ses informations légales.")
        )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    return {k: [str(before.get(k, "")), str(v)] for k, v in after.items() if before.get(k) != v}


def save_notice(notice: SiteNotice, *, actor: Any) -> SiteNotice:
    """Create or change the organisation's legal notice, accessibility statement and privacy contacts."""
    _check(actor, notice.organisation_id)
    previous = SiteNotice.objects.filter(pk=notice.pk).first() if notice.pk else None
    before = model_to_dict(previous) if previous else {}
    with action(
        "legal.notice_saved",
        actor=actor,
        obj=notice,
        organisation_id=notice.organisation_id,
    ) as act:
        notice.full_clean()
        notice.save()
        act.obj = notice
        act.changes = _changes(before, model_to_dict(notice))
    return notice


def save_decision(decision: ProcessingDecision, *, actor: Any) -> ProcessingDecision:
    """Record the controller's legal basis and retention period for one processing."""
    _check(actor, decision.notice.organisation_id)
    previous = ProcessingDecision.objects.filter(pk=decision.pk).first() if decision.pk else None
    before = model_to_dict(previous) if previous else {}
    with action(
        "legal.processing_decided",
        actor=actor,
        obj=decision,
        organisation_id=decision.notice.organisation_id,
    ) as act:
        decision.full_clean()
        decision.save()
        act.obj = decision
        act.changes = _changes(before, model_to_dict(decision))
    return decision


def delete_decision(decision: ProcessingDecision, *, actor: Any) -> None:
    """Withdraw a decision: the page falls back to the module's declaration."""
    _check(actor, decision.notice.organisation_id)
    with action(
        "legal.processing_withdrawn",
        actor=actor,
        obj=decision.notice,
        organisation_id=decision.notice.organisation_id,
        changes={"processing": decision.processing},
    ):
        decision.delete()
