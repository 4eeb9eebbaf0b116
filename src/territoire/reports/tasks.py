"""Background work of the reports module: queued Open311 requests become reports."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from territoire.core.scheduler import periodic


@task()
def process_report_queue(limit: int = 500) -> dict[str, int]:
    """What ``territoire reports process-queue`` does, as a task for the workers."""
    from territoire.reports.services import process_queue

    created, failed = process_queue(limit=limit)
    return {"created": created, "failed": failed}


periodic(
    "reports.process_queue",
    every_minutes=lambda: int(settings.TERRITOIRE["REPORTS_QUEUE_EVERY_MINUTES"]),
    task=process_report_queue,
)
