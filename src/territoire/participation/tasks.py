"""Background work of participation: compute the results of envelopes whose vote has
closed (never publish: staff check and publish them)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from territoire.participation.errors import ParticipationError
from territoire.participation.models import Envelope, PhaseKind
from territoire.participation.services.results import compute_results


@task()
def compute_closed_envelopes() -> dict[str, int]:
    """Compute a result for each envelope whose vote is closed and which has none yet."""

    now = timezone.now()
    pending = Envelope.objects.filter(
        budget__published_at__isnull=False,
        budget__phases__kind=PhaseKind.VOTING,
        budget__phases__ends_at__lte=now,
        results__isnull=True,
    ).select_related("budget")
    computed = failed = 0
    for envelope in pending:
        try:
            compute_results(envelope, now=now)
            computed += 1
        except ParticipationError:
            failed += 1
    return {"computed": computed, "failed": failed}
