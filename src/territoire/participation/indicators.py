"""Indicators the participation module feeds to the spine (yearly, organisation and communes).

Counts behind a published figure follow the disclosure rule: when fewer than k people
(``core.disclosure.threshold()``) are behind a rate or an index, the figure is not
computed (None) rather than pointing at a handful of residents.
"""

from __future__ import annotations

import datetime as dt
import statistics as pystats
from decimal import Decimal

from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.indicators.models import Aggregate, Direction, Periodicity
from territoire.indicators.periods import Period
from territoire.indicators.registry import indicator, too_few_cases
from territoire.participation import selectors
from territoire.participation.models import (
    Ballot,
    BallotMethod,
    BudgetPhase,
    Consultation,
    Participant,
    Proposal,
    ProposalStatus,
    ReferenceAttribute,
    ReferencePopulation,
    Response,
)
from territoire.participation.statistics import representativeness_index
from territoire.territory.models import Organisation, Scope


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _organisation(scope: Scope) -> Organisation | None:
    if scope.organisation_id is not None:
        return scope.organisation
    return scope.commune.organisation if scope.commune is not None else None


def _people(scope: Scope, period: Period) -> tuple[QuerySet[Participant], int]:
    """(active participants resident in the scope, paper ballots of the scope) in the period."""
    organisation = _organisation(scope)
    if organisation is None:
        return Participant.objects.none(), 0
    since, until = _bounds(period)
    ids = selectors.active_participants(organisation, commune=scope.commune, since=since, until=until)
    paper = Ballot.objects.filter(
        envelope__budget__organisation=organisation,
        method=BallotMethod.PAPER,
        created_at__gte=since,
        created_at__lt=until,
    )
    if scope.commune_id is not None:
        paper = paper.filter(
            Q(envelope__budget__commune_id=scope.commune_id) | Q(envelope__zone__commune_id=scope.commune_id)
        )
    return ids, paper.count()


@indicator(
    code="participation.participation_rate",
    name=_("Taux de participation citoyenne"),
    unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    axis="participation",
    scopes="both",
    periodicity=Periodicity.YEARLY,
    aggregate=Aggregate.NONE,
    method=_(
        "Habitants ayant pris part dans l'année (réponse à une consultation, vote en ligne ou dépôt "
        "d'une proposition, comptés une fois) plus les bulletins papier, rapportés à la population "
        "(pour une commune : ses habitants inscrits). Non publié si moins de k personnes (secret "
        "statistique)."
    ),
)
def participation_rate(scope: Scope, period: Period) -> Decimal | None:
    ids, paper = _people(scope, period)
    if scope.commune is not None:
        population = scope.commune.population
    else:
        organisation = _organisation(scope)
        population = organisation.population if organisation else 0
    people = ids.count() + paper
    if not population or too_few_cases(people, zero_published=True):
        return None
    return (Decimal(people) * 100 / population).quantize(Decimal("0.01"))


@indicator(
    code="participation.representativeness_index",
    name=_("Indice de représentativité des participants"),
    unit="indice",
    direction=Direction.HIGHER_IS_BETTER,
    axis="participation",
    scopes="both",
    periodicity=Periodicity.YEARLY,
    aggregate=Aggregate.NONE,
    decimals=2,
    method=_(
        "1 − ½ Σ |pᵢ − qᵢ| sur les tranches d'âge : pᵢ part de la tranche parmi les participants "
        "de l'année qui l'ont déclarée, qᵢ sa part dans la population de référence saisie par la "
        "commune (recensement). 1 : les participants ressemblent à la population ; 0 : aucun "
        "point commun. Non calculé sous k participants."
    ),
)
def representativeness(scope: Scope, period: Period) -> Decimal | None:
    organisation = _organisation(scope)
    if organisation is None:
        return None
    ids, _paper = _people(scope, period)
    observed = {band: n for band, n in selectors.age_profile(ids, today=period.end).items() if n}
    reference_qs = ReferencePopulation.objects.filter(
        zone__isnull=True, attribute=ReferenceAttribute.AGE_BAND
    )
    if scope.commune_id is not None:
        reference_qs = reference_qs.filter(commune_id=scope.commune_id)
    else:
        reference_qs = reference_qs.filter(commune__organisation=organisation)
    reference: dict[str, int] = {}
    for category, count in reference_qs.values_list("category", "count"):
        reference[category] = reference.get(category, 0) + count
    if not reference or too_few_cases(sum(observed.values())):
        return None
    return representativeness_index(observed, reference)


@indicator(
    code="participation.consultations_per_year",
    name=_("Consultations organisées dans l'année"),
    unit="consultations",
    direction=Direction.HIGHER_IS_BETTER,
    axis="participation",
    scopes="both",
    periodicity=Periodicity.YEARLY,
    aggregate=Aggregate.NONE,
    decimals=0,
    method=_(
        "Nombre de consultations publiées dont l'ouverture tombe dans l'année (pour une commune : "
        "celles qui lui sont propres)."
    ),
)
def consultations_per_year(scope: Scope, period: Period) -> Decimal | None:
    organisation = _organisation(scope)
    if organisation is None:
        return None
    since, until = _bounds(period)
    qs = Consultation.objects.filter(
        organisation=organisation, published_at__isnull=False, opens_at__gte=since, opens_at__lt=until
    )
    if scope.commune_id is not None:
        qs = qs.filter(commune_id=scope.commune_id)
    return Decimal(qs.count())


def _contributions(scope: Scope, period: Period) -> tuple[list[float | None], int]:
    """Delays (days) to the public answer of the period's contributions (None: unanswered).

    A proposal is answered by its review (eligible, or rejected with its public reason):
    delay from its submission. A consultation response is answered by the consultation's
    argued answer: delay from the closing (the commune cannot answer before).
    """
    organisation = _organisation(scope)
    if organisation is None:
        return [], 0
    since, until = _bounds(period)
    proposals = Proposal.objects.filter(
        budget__organisation=organisation, author__isnull=False, created_at__gte=since, created_at__lt=until
    )
    responses = Response.objects.filter(
        consultation__organisation=organisation, created_at__gte=since, created_at__lt=until
    )
    if scope.commune_id is not None:
        proposals = proposals.filter(author__commune_id=scope.commune_id)
        responses = responses.filter(participant__commune_id=scope.commune_id)
    delays: list[float | None] = []
    for status, created, reviewed in proposals.values_list("status", "created_at", "reviewed_at"):
        if status != ProposalStatus.SUBMITTED and reviewed is not None:
            delays.append(max((reviewed - created).total_seconds(), 0) / 86400)
        else:
            delays.append(None)
    for closes, answered_at in responses.values_list("consultation__closes_at", "consultation__answered_at"):
        delays.append(max((answered_at - closes).total_seconds(), 0) / 86400 if answered_at else None)
    return delays, len(delays)


@indicator(
    code="participation.answered_contributions",
    name=_("Contributions ayant reçu une réponse publique"),
    unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    axis="participation",
    scopes="both",
    periodicity=Periodicity.YEARLY,
    aggregate=Aggregate.NONE,
    method=_(
        "Part des contributions de l'année (propositions au budget participatif, réponses aux "
        "consultations) qui ont reçu une réponse publique : décision de recevabilité motivée pour "
        "une proposition, réponse argumentée publiée de la consultation pour une réponse."
    ),
)
def answered_contributions(scope: Scope, period: Period) -> Decimal | None:
    delays, total = _contributions(scope, period)
    if too_few_cases(total, 1):
        return None
    answered = sum(1 for d in delays if d is not None)
    return (Decimal(answered) * 100 / total).quantize(Decimal("0.1"))


@indicator(
    code="participation.median_answer_days",
    name=_("Délai médian de réponse aux contributions"),
    unit="jours",
    direction=Direction.LOWER_IS_BETTER,
    axis="participation",
    scopes="both",
    periodicity=Periodicity.YEARLY,
    aggregate=Aggregate.NONE,
    method=_(
        "Médiane, sur les contributions de l'année qui ont reçu une réponse, du délai en jours : "
        "du dépôt à la décision de recevabilité pour une proposition, de la clôture de la "
        "consultation à la publication de sa réponse argumentée pour une réponse."
    ),
)
def median_answer_days(scope: Scope, period: Period) -> Decimal | None:
    delays, _total = _contributions(scope, period)
    answered = [d for d in delays if d is not None]
    if too_few_cases(len(answered), 1):
        return None
    return Decimal(str(pystats.median(answered))).quantize(Decimal("0.1"))


def data_since(organisation: Organisation) -> dt.date | None:
    """The first day of participation in ``organisation`` (the manifest's ``data_since``): its
    first consultation's opening, budget phase or ballot. Its indicators have no figure
    before: a zero for years before the platform existed would read as inaction."""
    tz = timezone.get_current_timezone()
    firsts = [
        Consultation.objects.filter(organisation=organisation, published_at__isnull=False).aggregate(
            first=Min("opens_at")
        )["first"],
        BudgetPhase.objects.filter(budget__organisation=organisation).aggregate(first=Min("starts_at"))[
            "first"
        ],
        Ballot.objects.filter(envelope__budget__organisation=organisation).aggregate(first=Min("created_at"))[
            "first"
        ],
    ]
    known = [moment.astimezone(tz).date() for moment in firsts if moment is not None]
    return min(known, default=None)
