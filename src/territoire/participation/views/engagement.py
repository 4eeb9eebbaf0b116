"""Public engagement analytics: participation per zone against its population, the
diversity (representativeness) index, profiles against the reference population,
themes ranked, low-engagement zones flagged. Every count comes suppressed from the
selectors (``None`` = fewer than k, or hidden so that a total cannot give it back) and is
shown as "< k"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from territoire.core.charts import Bar, bar_chart
from territoire.participation import selectors
from territoire.participation.models import AgeBand
from territoire.participation.views.common import page, place


def _share(count: int | None, total: int | None) -> Decimal | None:
    if count is None or not total:
        return None
    return (Decimal(100) * count / total).quantize(Decimal("0.1"))


def _profile_rows(analytics: Any) -> list[dict[str, Any]]:
    """Age bands: participants (published counts) and their share beside the share of the
    band in the reference population. Shares come from published figures only."""
    reference_total = sum(analytics.age_reference.values())
    declared = [analytics.age_observed.get(band) for band in AgeBand.values]
    declared_total = (
        sum(c for c in declared if c is not None) if all(c is not None for c in declared) else None
    )
    rows = []
    for band, label in AgeBand.choices:
        count = analytics.age_observed.get(band)
        rows.append(
            {
                "label": label,
                "count": count,
                "share": _share(count, declared_total),
                "reference": _share(analytics.age_reference.get(band), reference_total),
            }
        )
    return rows


def engagement(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    analytics = selectors.engagement_analytics(where.organisation)
    k = analytics.k
    suppressed = f"< {k}"
    chart = bar_chart(
        [
            Bar(
                label=z.zone,
                value=float(z.rate_percent) if z.rate_percent is not None else None,
                shown=f"{number_format(z.rate_percent, 1)} %" if z.rate_percent is not None else suppressed,
                flagged=z.low,
            )
            for z in analytics.zones
        ],
        title=_("Taux de participation par quartier"),
        description=_(
            "Participants pour 100 habitants dans chaque quartier ; les quartiers à faible participation "
            "sont en orange. Les mêmes chiffres sont dans le tableau qui suit."
        ),
        chart_id="zones-chart",
    )
    return page(
        request,
        "engagement.html",
        where,
        analytics=analytics,
        k=k,
        suppressed=suppressed,
        chart=chart,
        profile=_profile_rows(analytics),
        has_reference=bool(analytics.age_reference),
    )
