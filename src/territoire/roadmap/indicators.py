"""Indicators the roadmap computes from its own records (registered with the spine)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from territoire.indicators.models import Direction
from territoire.indicators.periods import Period
from territoire.indicators.registry import indicator, too_few_cases
from territoire.roadmap.models import Project, ProjectStatus
from territoire.territory.models import Scope


def _portfolio(scope: Scope) -> QuerySet[Project]:
    return Project.objects.filter(organisation_id=scope.organisation_id or 0).exclude(
        status=ProjectStatus.CANCELLED
    )


@indicator(
    code="roadmap.portfolio_progress",
    name=_("Avancement du portefeuille de projets"),
    unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    method=_(
        "Moyenne de l'avancement déclaré des projets non abandonnés, pondérée par leur coût prévu "
        "(moyenne simple si aucun coût n'est renseigné). Instantané à la date du calcul."
    ),
    axis="",
    snapshot=True,
)
def portfolio_progress(scope: Scope, period: Period) -> Decimal | None:
    projects = _portfolio(scope)
    totals = projects.aggregate(
        weighted=Sum(ExpressionWrapper(F("cost") * F("progress"), output_field=DecimalField())),
        cost=Sum("cost"),
    )
    if totals["cost"]:
        return Decimal(totals["weighted"]) / Decimal(totals["cost"])
    progresses = list(projects.values_list("progress", flat=True))
    if too_few_cases(len(progresses), 1):
        return None
    return Decimal(sum(progresses)) / len(progresses)


@indicator(
    code="roadmap.budget_consumed",
    name=_("Budget consommé du portefeuille"),
    unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    method=_(
        "Somme des dépenses réalisées ÷ somme des coûts prévus des projets non abandonnés. "
        "Instantané à la date du calcul."
    ),
    snapshot=True,
)
def budget_consumed(scope: Scope, period: Period) -> Decimal | None:
    totals = _portfolio(scope).aggregate(spent=Sum("spent"), cost=Sum("cost"))
    if not totals["cost"]:
        return None
    return Decimal(totals["spent"]) * 100 / Decimal(totals["cost"])
