"""Indicators the reports module feeds to the spine (registered with their method text).

Figures are computed per commune and, directly from all its communes' reports, for the
organisation (a median or a percentage of the whole is not a mean of the communes'
figures). Reports closed as duplicates and hidden reports are left out everywhere.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.indicators.models import Direction
from territoire.indicators.periods import Period
from territoire.indicators.registry import indicator, too_few_cases
from territoire.reports import selectors
from territoire.reports.models import Report
from territoire.territory.models import Commune, Organisation, Scope

# Under this many reports, a share or a median is not published (small counts).
MIN_REPORTS = 5


def _communes(scope: Scope) -> list[int]:
    if scope.commune_id is not None:
        return [scope.commune_id]
    return list(
        Commune.objects.filter(organisation_id=scope.organisation_id or 0).values_list("pk", flat=True)
    )


def _population(scope: Scope) -> int:
    if scope.commune is not None:
        return scope.commune.population
    populations = Commune.objects.filter(organisation_id=scope.organisation_id or 0).values_list(
        "population", flat=True
    )
    return sum(int(p) for p in populations)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as [start, end) in local time (a period's end day is included)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=tz)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _decimal(value: float | None, places: str = "0.01") -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


@indicator(
    code="reports.per_1000_inhabitants",
    name=_("Signalements des habitants pour 1 000 habitants"),
    unit="signalements / 1 000 hab.",
    direction=Direction.HIGHER_IS_BETTER,
    axis="services",
    scopes="both",
    method=_(
        "Signalements déposés sur la période (formulaire web, applications Open311, saisie par un agent), "
        "hors doublons et signalements masqués, × 1 000 ÷ population légale. Mesure l'appropriation du "
        "service par les habitants : à lire avec le délai de traitement."
    ),
)
def per_1000_inhabitants(scope: Scope, period: Period) -> Decimal | None:
    population = _population(scope)
    if population <= 0:
        return None
    start, end = _bounds(period)
    count = selectors.reports_count(_communes(scope), start, end)
    return _decimal(count * 1000 / population)


@indicator(
    code="reports.median_processing_days",
    name=_("Délai médian de traitement des signalements"),
    unit="jours",
    direction=Direction.LOWER_IS_BETTER,
    axis="services",
    scopes="both",
    method=_(
        "Médiane, sur les signalements clos pendant la période (résolus ou non pertinents ; doublons exclus), "
        "du délai entre le dépôt et la clôture, en jours. Non publié sous 5 signalements clos. "
        "Le détail par catégorie figure sur la page des statistiques."
    ),
)
def median_processing_days(scope: Scope, period: Period) -> Decimal | None:
    start, end = _bounds(period)
    communes = _communes(scope)
    if too_few_cases(selectors.closed_in(communes, start, end).count(), MIN_REPORTS):
        return None
    return _decimal(selectors.median_processing_days(communes, start, end), "0.1")


@indicator(
    code="reports.closed_within_sla",
    name=_("Signalements clos dans le délai cible"),
    unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    axis="services",
    scopes="both",
    method=_(
        "Part des signalements clos pendant la période, dans une catégorie dotée d'un délai cible, "
        "qui l'ont été avant l'échéance (dépôt + délai cible de la catégorie). Doublons exclus. "
        "Non publié sous 5 signalements."
    ),
)
def closed_within_sla(scope: Scope, period: Period) -> Decimal | None:
    start, end = _bounds(period)
    communes = _communes(scope)
    if too_few_cases(
        selectors.closed_in(communes, start, end).filter(due_at__isnull=False).count(), MIN_REPORTS
    ):
        return None
    return _decimal(selectors.closed_within_sla_percent(communes, start, end), "0.1")


@indicator(
    code="reports.top_irritant_share",
    name=_("Poids de l'irritant principal"),
    unit="%",
    direction=Direction.LOWER_IS_BETTER,
    axis="services",
    scopes="both",
    method=_(
        "Part, dans les signalements déposés sur la période (doublons exclus), de la catégorie la plus "
        "signalée. Une part élevée désigne un irritant récurrent à traiter à la source ; le classement "
        "des catégories par quartier figure sur la page des statistiques (effectifs inférieurs à 5 masqués). "
        "Non publié sous 5 signalements."
    ),
)
def top_irritant_share(scope: Scope, period: Period) -> Decimal | None:
    start, end = _bounds(period)
    counts = Counter(
        Report.objects.filter(
            commune_id__in=_communes(scope),
            requested_at__gte=start,
            requested_at__lt=end,
            duplicate_of__isnull=True,
            hidden=False,
        ).values_list("category_id", flat=True)
    )
    total = sum(counts.values())
    if too_few_cases(total, MIN_REPORTS):
        return None
    return _decimal(100 * counts.most_common(1)[0][1] / total, "0.1")


@indicator(
    code="reports.round_distance_saved",
    name=_("Distance économisée par l'optimisation des tournées"),
    unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    axis="durable",
    scopes="organisation",
    method=_(
        "1 − (distance des tournées planifiées ÷ distance du même ensemble d'arrêts dans l'ordre du plus proche "
        "voisin depuis le dépôt), sommées sur les tournées de la période (la dernière planification de chaque "
        "équipe et de chaque jour). Les deux distances sont calculées dans le même appel, avec le même "
        "distancier."
    ),
)
def round_distance_saved(scope: Scope, period: Period) -> Decimal | None:
    if scope.organisation_id is None:
        return None
    start, end = _bounds(period)
    return _decimal(selectors.round_saving_percent(scope.organisation_id, start, end), "0.1")


def data_since(organisation: Organisation) -> date | None:
    """The day of the organisation's first report (the manifest's ``data_since``): no figure
    of the module before it (None: no report yet)."""
    first = Report.objects.filter(organisation=organisation).aggregate(first=Min("requested_at"))["first"]
    return timezone.localtime(first).date() if first is not None else None
