"""Public pages of the roadmap: the territory home, projects, partners."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from territoire.core.charts import MatrixItem, priority_matrix, sparkline
from territoire.indicators import selectors as indicator_selectors
from territoire.indicators import wording
from territoire.indicators.models import Periodicity
from territoire.indicators.status import Status
from territoire.roadmap import selectors
from territoire.roadmap.models import Project
from territoire.roadmap.prioritisation import QUADRANT_LABELS, Quadrant
from territoire.territory import access
from territoire.territory.models import Organisation, Scope
from territoire.territory.selectors import default_organisation, organisation_of, scope_by_code


def index(request: HttpRequest) -> HttpResponse:
    organisation = default_organisation()
    if organisation is None:
        return render(request, "roadmap/empty.html", status=200)
    return home(request, organisation.siren)


def home(request: HttpRequest, scope_code: str) -> HttpResponse:
    scope = scope_by_code(scope_code)
    organisation = organisation_of(scope)
    internal = access.can_view_internal(request.user, scope)
    return render(request, "roadmap/home.html", _home_context(scope, organisation, internal))


def _home_context(scope: Scope, organisation: Organisation, internal: bool) -> dict[str, object]:
    today = timezone.localdate()
    axes = selectors.axes_with_objectives(organisation)
    definitions = list(indicator_selectors.indicators_for(organisation, include_internal=internal))
    cards = indicator_selectors.cards(scope, definitions, today=today)
    last_measured = indicator_selectors.last_measured(
        scope, [pk for pk, c in cards.items() if c.latest is None]
    )
    placed: set[int] = set()
    sections = []
    for axis in axes:
        objectives = []
        in_axis: dict[int, indicator_selectors.IndicatorCard] = {}
        for objective in axis.objectives.all():
            items = [cards[d.pk] for d in objective.indicators.all() if d.pk in cards]
            placed.update(c.definition.pk for c in items)
            in_axis.update((c.definition.pk, c) for c in items)
            objectives.append(
                {"objective": objective, "cards": [_card(c, today, last_measured) for c in items]}
            )
        sections.append({"axis": axis, "objectives": objectives, "summary": _summary(in_axis.values())})
    others = [_card(c, today, last_measured) for pk, c in cards.items() if pk not in placed]
    latest = max((c.latest.recorded_at for c in cards.values() if c.latest), default=None)
    communes = sorted(organisation.communes.all(), key=lambda c: c.name)
    return {
        "scope": scope,
        "organisation": organisation,
        "communes": communes,
        "sections": sections,
        "others": others,
        "last_update": latest,
        "internal": internal,
    }


# The columns of the summary per axis, as the State's Baromètre de l'action publique shows
# them: a reached target counts as on track.
SUMMARY_COLUMNS = (
    ("on_track", (Status.REACHED, Status.ON_TRACK)),
    ("at_risk", (Status.AT_RISK,)),
    ("off_track", (Status.OFF_TRACK,)),
    ("no_data", (Status.NO_DATA,)),
)
# A figure older than this (days after its period's end) is "not measured since".
STALE_AFTER_DAYS: dict[str, int] = {
    Periodicity.MONTHLY: 92,
    Periodicity.QUARTERLY: 183,
    Periodicity.YEARLY: 730,
}


def _summary(cards: Iterable[indicator_selectors.IndicatorCard]) -> dict[str, int]:
    statuses = [c.status for c in cards]
    summary = {key: sum(1 for s in statuses if s in members) for key, members in SUMMARY_COLUMNS}
    summary["total"] = len(statuses)
    return summary


def _missing(
    card: indicator_selectors.IndicatorCard, today: date, last_measured: dict[int, date]
) -> list[str]:
    """What keeps a card from telling where the indicator stands, in words."""
    missing = []
    if card.target is None:
        missing.append(_("pas de cible fixée"))
    latest = card.latest.period_end if card.latest else last_measured.get(card.definition.pk)
    if latest is None:
        missing.append(_("aucune mesure"))
    elif (today - latest).days > STALE_AFTER_DAYS.get(card.definition.periodicity, 92):
        if card.latest is not None:
            since = wording.period_label(card.latest.period_start, card.latest.period_end)
        else:
            since = formats.date_format(latest, "F Y")
        missing.append(_("aucune mesure depuis %(since)s") % {"since": since})
    return missing


def _card(
    card: indicator_selectors.IndicatorCard, today: date, last_measured: dict[int, date]
) -> dict[str, object]:
    return {
        "card": card,
        "spark": sparkline(
            card.spark_values, label=_("Tendance sur 12 mois : %(name)s") % {"name": card.definition.name}
        ),
        "status": card.status,
        "missing": _missing(card, today, last_measured),
    }


def organisation_scope(scope_code: str) -> tuple[Scope, Organisation]:
    scope = scope_by_code(scope_code)
    if scope.organisation is None:
        raise Http404("projects and partners belong to the organisation")
    return scope, scope.organisation


def projects(request: HttpRequest, scope_code: str) -> HttpResponse:
    scope, organisation = organisation_scope(scope_code)
    ordered = selectors.prioritised(organisation)
    matrix = priority_matrix(
        [MatrixItem(p.title, p.value_score, p.complexity_score, rank) for rank, p, _c in ordered],
        title=_("Matrice valeur × complexité"),
        description=_(
            "Chaque projet actif est placé selon sa valeur socio-économique (vertical) et sa complexité (horizontal) ; le numéro est son rang dans l'ordre proposé."
        ),
        x_label=_("Complexité →"),
        y_label=_("Valeur socio-économique →"),
        quadrant_labels=[
            str(QUADRANT_LABELS[q])
            for q in (Quadrant.QUICK_WIN, Quadrant.MAJOR_PROJECT, Quadrant.FILLER, Quadrant.RECONSIDER)
        ],
    )
    # One table: the active projects in the proposed order, then the others by axis.
    everything = list(selectors.projects(organisation).order_by("axis__position", "title"))
    by_pk = {project.pk: project for project in everything}
    rows: list[tuple[int | None, Any, Project]] = [
        (rank, candidate, by_pk.get(project.pk, project)) for rank, project, candidate in ordered
    ]
    ranked = {project.pk for _rank, _candidate, project in rows}
    rows += [(None, None, project) for project in everything if project.pk not in ranked]
    context = {"scope": scope, "organisation": organisation, "rows": rows, "matrix": matrix}
    return render(request, "roadmap/projects.html", context)


def partners(request: HttpRequest, scope_code: str) -> HttpResponse:
    scope, organisation = organisation_scope(scope_code)

    context = {"scope": scope, "organisation": organisation, "partners": selectors.partners(organisation)}
    return render(request, "roadmap/partners.html", context)
