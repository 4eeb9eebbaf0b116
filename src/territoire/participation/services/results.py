"""Results of a participatory budget: computed from the public Pabulib export, published,
and the winners turned into roadmap projects."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    Ballot,
    BallotMethod,
    Envelope,
    Proposal,
    Result,
    ResultRule,
    Satisfaction,
)
from territoire.participation.pabulib import parse_pabulib
from territoire.participation.pabulib_io import export_with_digest
from territoire.participation.permissions import require_manager
from territoire.participation.rules import election_from_pabulib, tally
from territoire.participation.selectors.budgets import voting_closed
from territoire.roadmap import selectors as roadmap_selectors
from territoire.roadmap import services as roadmap_services
from territoire.roadmap.models import Axis, Project

# --------------------------------------------------------------------------- results


def compute_results(
    envelope: Envelope,
    *,
    actor: Any = None,
    rule: str | None = None,
    satisfaction: str | None = None,
    now: dt.datetime | None = None,
) -> Result:
    """Compute the envelope's result from its public Pabulib export (after the vote).

    The inputs are exactly the file anyone can download (``export_pabulib``): its SHA-256
    is stored with the outcome and the rule's trace, so the result can be recomputed with
    ``territoire participation tally``. Nothing is published yet.
    """
    budget = envelope.budget
    require_manager(actor, budget)
    if not voting_closed(budget, now):
        raise ParticipationError(_("Les résultats se calculent après la clôture du vote."), status=409)
    rule = rule or budget.rule
    satisfaction = satisfaction or budget.satisfaction
    if rule not in ResultRule.values:
        raise ParticipationError(_("Règle de résultat inconnue."), field="rule")
    if satisfaction not in Satisfaction.values:
        raise ParticipationError(_("Mesure de satisfaction inconnue."), field="satisfaction")
    text, digest = export_with_digest(envelope)
    pb = parse_pabulib(text)
    election = election_from_pabulib(pb)
    caps = dict(pb.category_caps) if rule == ResultRule.GREEDY_CAPS else None
    if rule == ResultRule.GREEDY_CAPS and not caps:
        raise ParticipationError(
            _("La règle avec plafonds demande au moins une catégorie plafonnée."), field="rule"
        )
    outcome = tally(election, rule, satisfaction=satisfaction, caps=caps)
    counts = Ballot.objects.filter(envelope=envelope)
    with action(
        "participation.compute_results",
        actor=actor,
        organisation_id=budget.organisation_id,
        changes={"rule": rule, "satisfaction": satisfaction, "digest": digest},
        versions=(),
    ) as act:
        result = Result.objects.create(
            envelope=envelope,
            rule=rule,
            satisfaction=satisfaction,
            inputs_digest=digest,
            ballot_count=counts.count(),
            paper_ballot_count=counts.filter(method=BallotMethod.PAPER).count(),
            selected=[str(s) for s in outcome.selected],
            total_cost=int(outcome.total_cost),
            trace={"rounds": _jsonable(outcome.rounds), "caps": _jsonable(caps or {})},
            computed_by=actor if getattr(actor, "pk", None) else None,
        )
        act.obj = result
        act.changes["selected"] = result.selected
    return result


def _jsonable(value: Any) -> Any:
    """Rounds of a rule's trace as JSON (dataclasses, fractions and decimals as text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Fraction | Decimal | float):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def publish_results(result: Result, *, actor: Any = None) -> Result:
    """Publish a computed result: the winners are marked, the previous result withdrawn.

    Refused if the ballots changed since the computation (the inputs' digest differs).
    """
    envelope = result.envelope
    budget = envelope.budget
    require_manager(actor, budget)
    _text, digest = export_with_digest(envelope)
    if digest != result.inputs_digest:
        raise ParticipationError(
            _("Les données ont changé depuis le calcul : recalculez avant de publier."), status=409
        )
    with action(
        "participation.publish_results",
        actor=actor,
        obj=result,
        organisation_id=budget.organisation_id,
        changes={"selected": result.selected, "digest": result.inputs_digest},
        versions=(VERSION_KEY,),
    ):
        Result.objects.filter(envelope=envelope, published_at__isnull=False).exclude(pk=result.pk).update(
            published_at=None
        )
        result.published_at = timezone.now()
        result.save(update_fields=["published_at", "updated_at"])
        Proposal.objects.filter(envelope=envelope).update(selected=False)
        Proposal.objects.filter(envelope=envelope, external_id__in=result.selected).update(selected=True)
    return result


def implement_winners(envelope: Envelope, *, actor: Any = None, axis: Axis | None = None) -> list[Project]:
    """Create a roadmap Project for every winner of the published result not yet linked.

    The project goes to ``axis`` (default: the organisation's "participation" axis, else
    its first axis), with the estimated cost, the budget's commune (or the zone's),
    planned for the year after the budget. Progress is then tracked in the roadmap, which
    creates the projects (``roadmap.services.create_project``).
    """
    budget = envelope.budget
    require_manager(actor, budget)
    if not Result.objects.filter(envelope=envelope, published_at__isnull=False).exists():
        raise ParticipationError(_("Publiez d'abord les résultats."), status=409)
    if axis is None:
        axis = roadmap_selectors.default_axis(budget.organisation_id, "participation")
    if axis is None or axis.organisation_id != budget.organisation_id:
        raise ParticipationError(
            _("Aucun axe de la feuille de route pour accueillir les projets."), field="axis"
        )
    created: list[Project] = []
    with action(
        "participation.implement_winners",
        actor=actor,
        obj=envelope,
        organisation_id=budget.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        winners = (
            Proposal.objects.select_for_update(of=("self",))
            .filter(envelope=envelope, selected=True, roadmap_project__isnull=True)
            .select_related("zone")
            .order_by("pk")
        )
        for proposal in winners:
            project = roadmap_services.create_project(
                axis,
                title=proposal.title,
                description=_("Projet lauréat du budget participatif « %(b)s ».\n\n%(d)s")
                % {"b": budget.title, "d": proposal.description},
                commune_id=budget.commune_id or (proposal.zone.commune_id if proposal.zone else None),
                value_score=4,
                complexity_score=2,
                cost=proposal.estimated_cost or 0,
                target_year=budget.year + 1,
                target_quarter=4,
                # Paid by the envelope voted on: the project's funding plan says so.
                self_funding_label=_("Enveloppe du budget participatif « %(b)s »") % {"b": budget.title},
                actor=actor,
            )
            proposal.roadmap_project = project
            proposal.save(update_fields=["roadmap_project", "updated_at"])
            created.append(project)
        act.changes = {"projects": [p.pk for p in created]}
    return created
