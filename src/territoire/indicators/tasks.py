"""Background work of the spine: the periodic computation of registered indicators."""

from __future__ import annotations

from django_tasks import task


@task()
def compute_indicators(periods: int = 2) -> dict[str, int]:
    """What ``territoire indicators compute`` does, as a task for the workers."""
    from territoire.indicators.services import compute_all

    summary = compute_all(periods=periods)
    return {
        "values": summary.values,
        "created": summary.stored.created,
        "corrected": summary.stored.corrected,
        "aggregated": summary.aggregated.created + summary.aggregated.corrected,
    }
