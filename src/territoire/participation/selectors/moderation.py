"""Staff reads of moderation: free texts awaiting review, open abuse reports."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from territoire.participation.models import (
    AbuseReport,
    AbuseReportStatus,
    Answer,
    ModerationStatus,
    QuestionKind,
)
from territoire.territory.models import Organisation


def answers_to_moderate(organisation: Organisation) -> QuerySet[Answer]:
    """Staff: free-text answers awaiting moderation, oldest first."""
    return (
        Answer.objects.filter(
            response__consultation__organisation=organisation,
            question__kind=QuestionKind.TEXT,
            moderation=ModerationStatus.PENDING,
        )
        .select_related("question", "response__consultation")
        .order_by("pk")
    )


def open_reports(organisation: Organisation) -> QuerySet[AbuseReport]:
    """Staff: open abuse reports of the organisation's contributions."""
    return (
        AbuseReport.objects.filter(status=AbuseReportStatus.OPEN)
        .filter(
            Q(proposal__budget__organisation=organisation)
            | Q(answer__response__consultation__organisation=organisation)
        )
        .select_related("proposal", "answer", "answer__question")
        .order_by("created_at")
    )
