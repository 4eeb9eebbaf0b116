"""A report's history: one ``ReportEvent`` for each thing that happens to it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from territoire.reports.models import Report, ReportEvent, ReportStatus

if TYPE_CHECKING:
    pass


def record_event(
    report: Report,
    kind: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
    is_public: bool = True,
    from_status: ReportStatus | None = None,
    to_status: ReportStatus | None = None,
    at: datetime | None = None,
) -> ReportEvent:
    """Write a history event of ``report`` now (in the caller's transaction)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return ReportEvent.objects.create(
        report=report,
        kind=kind,
        actor=user,
        actor_label=actor_label or (user.get_username() if user is not None else ""),
        message=message,
        data=data or {},
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
        created_at=at or timezone.now(),
    )
