"""Participatory budgets: set-up (budget, phases, envelopes, categories) and proposals
with their review. Ballots are in ``services.ballots``, results in ``services.results``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.participation.eligibility import ensure_eligible
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    BallotKind,
    BudgetCategory,
    BudgetPhase,
    Envelope,
    Participant,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Residence,
    ResultRule,
    Satisfaction,
)
from territoire.participation.permissions import require_manager
from territoire.participation.selectors.budgets import phase_windows
from territoire.territory.models import Commune, Organisation, Zone

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000

# --------------------------------------------------------------------------- set-up


def create_budget(
    organisation: Organisation,
    *,
    title: str,
    year: int,
    actor: Any = None,
    commune: Commune | None = None,
    zone: Zone | None = None,
    description: str = "",
    ballot_kind: str = BallotKind.APPROVAL,
    min_choices: int = 1,
    max_choices: int | None = None,
    max_points_per_project: int | None = None,
    max_points_total: int | None = None,
    rule: str = ResultRule.MES_COMPLETE,
    satisfaction: str = Satisfaction.COST,
    min_age: int | None = None,
    residence: str = Residence.TERRITORY,
    census_required: bool = False,
    publish: bool = True,
    unspent_destination: str = "",
) -> ParticipatoryBudget:
    """Create a budget; then add phases, envelopes and categories."""
    if not title.strip():
        raise ParticipationError(_("Le titre est obligatoire."), field="title")
    if ballot_kind not in BallotKind.values:
        raise ParticipationError(_("Type de bulletin inconnu."), field="ballot_kind")
    if rule not in ResultRule.values:
        raise ParticipationError(_("Règle de résultat inconnue."), field="rule")
    if satisfaction not in Satisfaction.values:
        raise ParticipationError(_("Mesure de satisfaction inconnue."), field="satisfaction")
    if max_choices is not None and max_choices < min_choices:
        raise ParticipationError(_("Le maximum de projets doit atteindre le minimum."), field="max_choices")
    if ballot_kind == BallotKind.CUMULATIVE and not (max_points_per_project and max_points_total):
        raise ParticipationError(
            _("Un vote par points demande un maximum par projet et un total."), field="max_points_total"
        )
    if commune is not None and commune.organisation_id != organisation.pk:
        raise ParticipationError(_("Commune inconnue."), field="commune")
    budget = ParticipatoryBudget(
        organisation=organisation,
        commune=commune,
        zone=zone,
        title=title.strip(),
        description=description,
        year=year,
        ballot_kind=ballot_kind,
        min_choices=min_choices,
        max_choices=max_choices,
        max_points_per_project=max_points_per_project,
        max_points_total=max_points_total,
        rule=rule,
        satisfaction=satisfaction,
        min_age=min_age,
        residence=residence,
        census_required=census_required,
        published_at=timezone.now() if publish else None,
        unspent_destination=unspent_destination.strip(),
    )
    require_manager(actor, budget)
    with action(
        "participation.create_budget",
        actor=actor,
        organisation_id=organisation.pk,
        changes={"title": budget.title, "rule": rule, "ballot_kind": ballot_kind},
        versions=(VERSION_KEY,),
    ) as act:
        budget.save()
        act.obj = budget
    return budget


def set_phase(
    budget: ParticipatoryBudget,
    kind: str,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    actor: Any = None,
) -> BudgetPhase:
    """Create or move one phase of the budget."""
    require_manager(actor, budget)
    if kind not in PhaseKind.values:
        raise ParticipationError(_("Phase inconnue."), field="kind")
    if ends_at is not None and ends_at <= starts_at:
        raise ParticipationError(_("La fin de la phase doit suivre son début."), field="ends_at")
    with action(
        "participation.set_phase",
        actor=actor,
        obj=budget,
        organisation_id=budget.organisation_id,
        changes={
            "kind": kind,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
        versions=(VERSION_KEY,),
    ):
        phase, _created = BudgetPhase.objects.update_or_create(
            budget=budget, kind=kind, defaults={"starts_at": starts_at, "ends_at": ends_at}
        )
    return phase


def add_envelope(
    budget: ParticipatoryBudget,
    *,
    code: str,
    name: str,
    amount: int,
    zone: Zone | None = None,
    actor: Any = None,
) -> Envelope:
    """Add the global envelope (no zone) or one zone's envelope."""
    require_manager(actor, budget)
    if amount <= 0:
        raise ParticipationError(_("Le montant doit être positif."), field="amount")
    if zone is not None and not budget.organisation.communes.filter(pk=zone.commune_id).exists():
        raise ParticipationError(_("Quartier inconnu."), field="zone")
    if Envelope.objects.filter(budget=budget, code=code).exists():
        raise ParticipationError(_("Une enveloppe porte déjà ce code."), field="code")
    with action(
        "participation.add_envelope",
        actor=actor,
        organisation_id=budget.organisation_id,
        changes={"code": code, "amount": amount, "zone": zone.code if zone else None},
        versions=(VERSION_KEY,),
    ) as act:
        envelope = Envelope.objects.create(budget=budget, code=code, name=name, amount=amount, zone=zone)
        act.obj = envelope
    return envelope


def add_category(
    budget: ParticipatoryBudget, *, code: str, name: str, cap: int | None = None, actor: Any = None
) -> BudgetCategory:
    """Add a category (theme), with an optional cap per envelope (rule greedy-caps)."""
    require_manager(actor, budget)
    if cap is not None and cap <= 0:
        raise ParticipationError(_("Le plafond doit être positif."), field="cap")
    with action(
        "participation.add_category",
        actor=actor,
        organisation_id=budget.organisation_id,
        changes={"code": code, "cap": cap},
        versions=(),
    ) as act:
        category, _created = BudgetCategory.objects.update_or_create(
            budget=budget, code=code, defaults={"name": name, "cap": cap}
        )
        act.obj = category
    return category


def require_phase(budget: ParticipatoryBudget, kind: str, message: str, now: dt.datetime | None) -> None:
    """Refuse (404 or 403 with ``message``) unless the budget is published and in phase ``kind``."""
    if budget.published_at is None:
        raise ParticipationError(_("Budget introuvable."), status=404)
    phase = phase_windows(budget).get(kind)
    if phase is None or not phase.contains(now or timezone.now()):
        raise ParticipationError(message, status=403)


# --------------------------------------------------------------------------- proposals


def submit_proposal(
    participant: Participant | None,
    budget: ParticipatoryBudget,
    *,
    title: str,
    description: str = "",
    zone: Zone | None = None,
    category: BudgetCategory | None = None,
    envelope: Envelope | None = None,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> Proposal:
    """Submit a proposal during the submission phase.

    Its envelope is ``envelope`` if given, else the envelope of ``zone``, else the global
    envelope. Its public id (``external_id``, the Pabulib project id) is its number.
    """
    require_phase(budget, PhaseKind.SUBMISSION, _("Le dépôt des propositions n'est pas ouvert."), now)
    participant = ensure_eligible(participant, budget)
    title = (title or "").strip()
    if not title:
        raise ParticipationError(_("Le titre est obligatoire."), field="title")
    if len(title) > MAX_TITLE:
        raise ParticipationError(
            _("Titre trop long (%(n)s caractères au plus).") % {"n": MAX_TITLE}, field="title"
        )
    if len(description) > MAX_DESCRIPTION:
        raise ParticipationError(
            _("Description trop longue (%(n)s caractères au plus).") % {"n": MAX_DESCRIPTION},
            field="description",
        )
    if category is not None and category.budget_id != budget.pk:
        raise ParticipationError(_("Catégorie inconnue."), field="category", status=400)
    if zone is not None and not budget.organisation.communes.filter(pk=zone.commune_id).exists():
        raise ParticipationError(_("Quartier inconnu."), field="zone", status=400)
    envelopes = list(budget.envelopes.all())
    if envelope is not None:
        if envelope.budget_id != budget.pk:
            raise ParticipationError(_("Enveloppe inconnue."), field="envelope", status=400)
        if envelope.zone_id is not None and zone is not None and envelope.zone_id != zone.pk:
            raise ParticipationError(_("Cette enveloppe est celle d'un autre quartier."), field="envelope")
    else:
        envelope = next((e for e in envelopes if zone is not None and e.zone_id == zone.pk), None) or next(
            (e for e in envelopes if e.zone_id is None), None
        )
        if envelope is None:
            raise ParticipationError(_("Aucune enveloppe ne correspond à ce quartier."), field="zone")
    if envelope.zone_id is not None and zone is None:
        zone = envelope.zone
    with action(
        "participation.submit_proposal",
        actor=participant.user,
        organisation_id=budget.organisation_id,
        changes={"title": title, "envelope": envelope.code},
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    ) as act:
        proposal = Proposal.objects.create(
            budget=budget,
            envelope=envelope,
            external_id=f"tmp-{uuid.uuid4().hex}",
            author=participant,
            zone=zone,
            category=category,
            title=title,
            description=description.strip(),
        )
        proposal.external_id = str(proposal.pk)
        proposal.save(update_fields=["external_id"])
        act.obj = proposal
    return proposal


def _frozen(proposal: Proposal) -> bool:
    return proposal.ballot_items.exists()


def review_proposal(proposal: Proposal, *, eligible: bool, reason: str = "", actor: Any = None) -> Proposal:
    """Declare a proposal eligible, or reject it with a public reason (required)."""
    budget = proposal.budget
    require_manager(actor, budget)
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise ParticipationError(
            _("Une proposition non recevable doit recevoir un motif public."), field="reason"
        )
    if _frozen(proposal):
        raise ParticipationError(
            _("Des bulletins portent sur cette proposition : son statut ne change plus."), status=409
        )
    with action(
        "participation.review_proposal",
        actor=actor,
        obj=proposal,
        organisation_id=budget.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        before = proposal.status
        proposal.status = ProposalStatus.ELIGIBLE if eligible else ProposalStatus.REJECTED
        proposal.public_reason = reason
        proposal.reviewed_at = timezone.now()
        proposal.save(update_fields=["status", "public_reason", "reviewed_at", "updated_at"])
        act.changes = {"status": [before, proposal.status], "reason": reason}
    return proposal


def estimate_cost(proposal: Proposal, *, cost: int, actor: Any = None) -> Proposal:
    """Record the services' estimate of an eligible proposal (whole euros)."""
    budget = proposal.budget
    require_manager(actor, budget)
    if proposal.status != ProposalStatus.ELIGIBLE:
        raise ParticipationError(_("Seule une proposition recevable se chiffre."), status=409)
    if cost <= 0:
        raise ParticipationError(_("Le coût doit être positif."), field="cost")
    if cost > proposal.envelope.amount:
        raise ParticipationError(_("Le coût dépasse le montant de l'enveloppe."), field="cost")
    if _frozen(proposal):
        raise ParticipationError(
            _("Des bulletins portent sur cette proposition : son coût ne change plus."), status=409
        )
    before = proposal.estimated_cost
    with action(
        "participation.estimate_cost",
        actor=actor,
        obj=proposal,
        organisation_id=budget.organisation_id,
        changes={"estimated_cost": [before, cost]},
        versions=(VERSION_KEY,),
    ):
        proposal.estimated_cost = cost
        proposal.estimated_at = timezone.now()
        proposal.save(update_fields=["estimated_cost", "estimated_at", "updated_at"])
    return proposal
