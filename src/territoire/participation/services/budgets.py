"""Participatory budgets: set-up, proposals and their review, ballots, results, and the
roadmap projects of the winners."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from territoire.core import audit
from territoire.core.cache import bump_data_version
from territoire.participation.eligibility import ensure_eligible
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    Ballot,
    BallotItem,
    BallotKind,
    BallotMethod,
    BudgetCategory,
    BudgetPhase,
    Envelope,
    Participant,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Residence,
    Result,
    ResultRule,
    Satisfaction,
)
from territoire.participation.permissions import require_manager
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
    )
    require_manager(actor, budget)
    with transaction.atomic():
        budget.save()
        audit.record(
            "participation.create_budget",
            actor=actor,
            obj=budget,
            organisation_id=organisation.pk,
            changes={"title": budget.title, "rule": rule, "ballot_kind": ballot_kind},
        )
        bump_data_version(VERSION_KEY)
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
    with transaction.atomic():
        phase, _created = BudgetPhase.objects.update_or_create(
            budget=budget, kind=kind, defaults={"starts_at": starts_at, "ends_at": ends_at}
        )
        audit.record(
            "participation.set_phase",
            actor=actor,
            obj=budget,
            organisation_id=budget.organisation_id,
            changes={
                "kind": kind,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None,
            },
        )
        bump_data_version(VERSION_KEY)
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
    with transaction.atomic():
        envelope = Envelope.objects.create(budget=budget, code=code, name=name, amount=amount, zone=zone)
        audit.record(
            "participation.add_envelope",
            actor=actor,
            obj=envelope,
            organisation_id=budget.organisation_id,
            changes={"code": code, "amount": amount, "zone": zone.code if zone else None},
        )
        bump_data_version(VERSION_KEY)
    return envelope


def add_category(
    budget: ParticipatoryBudget, *, code: str, name: str, cap: int | None = None, actor: Any = None
) -> BudgetCategory:
    """Add a category (theme), with an optional cap per envelope (rule greedy-caps)."""
    require_manager(actor, budget)
    if cap is not None and cap <= 0:
        raise ParticipationError(_("Le plafond doit être positif."), field="cap")
    with transaction.atomic():
        category, _created = BudgetCategory.objects.update_or_create(
            budget=budget, code=code, defaults={"name": name, "cap": cap}
        )
        audit.record(
            "participation.add_category",
            actor=actor,
            obj=category,
            organisation_id=budget.organisation_id,
            changes={"code": code, "cap": cap},
        )
    return category


def phase_windows(budget: ParticipatoryBudget) -> dict[str, BudgetPhase]:
    cached: dict[str, BudgetPhase] | None = getattr(budget, "_phase_cache", None)
    if cached is None:
        cached = {p.kind: p for p in budget.phases.all()}
        budget._phase_cache = cached  # type: ignore[attr-defined]
    return cached


def current_phase(budget: ParticipatoryBudget, now: dt.datetime | None = None) -> str | None:
    """The phase in progress (the one started last among those containing ``now``)."""
    now = now or timezone.now()
    running = [p for p in phase_windows(budget).values() if p.contains(now)]
    return max(running, key=lambda p: p.starts_at).kind if running else None


def voting_closed(budget: ParticipatoryBudget, now: dt.datetime | None = None) -> bool:
    """True once the vote is over (or for an imported budget without a voting phase)."""
    now = now or timezone.now()
    voting = phase_windows(budget).get(PhaseKind.VOTING)
    if voting is None:
        return bool(budget.imported_from)
    return voting.ends_at is not None and now >= voting.ends_at


def _require_phase(budget: ParticipatoryBudget, kind: str, message: str, now: dt.datetime | None) -> None:
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
    _require_phase(budget, PhaseKind.SUBMISSION, _("Le dépôt des propositions n'est pas ouvert."), now)
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
    with transaction.atomic():
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
        audit.record(
            "participation.submit_proposal",
            actor=participant.user,
            obj=proposal,
            organisation_id=budget.organisation_id,
            changes={"title": title, "envelope": envelope.code},
            ip_address=ip_address,
        )
        bump_data_version(VERSION_KEY)
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
    with transaction.atomic():
        before = proposal.status
        proposal.status = ProposalStatus.ELIGIBLE if eligible else ProposalStatus.REJECTED
        proposal.public_reason = reason
        proposal.reviewed_at = timezone.now()
        proposal.save(update_fields=["status", "public_reason", "reviewed_at", "updated_at"])
        audit.record(
            "participation.review_proposal",
            actor=actor,
            obj=proposal,
            organisation_id=budget.organisation_id,
            changes={"status": [before, proposal.status], "reason": reason},
        )
        bump_data_version(VERSION_KEY)
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
    with transaction.atomic():
        before = proposal.estimated_cost
        proposal.estimated_cost = cost
        proposal.estimated_at = timezone.now()
        proposal.save(update_fields=["estimated_cost", "estimated_at", "updated_at"])
        audit.record(
            "participation.estimate_cost",
            actor=actor,
            obj=proposal,
            organisation_id=budget.organisation_id,
            changes={"estimated_cost": [before, cost]},
        )
        bump_data_version(VERSION_KEY)
    return proposal


# --------------------------------------------------------------------------- ballots


def votable_proposals(envelope: Envelope) -> dict[str, Proposal]:
    """Proposals on the ballot of ``envelope``, by public id: eligible, estimated, shown."""
    qs = Proposal.objects.filter(
        envelope=envelope,
        status=ProposalStatus.ELIGIBLE,
        estimated_cost__isnull=False,
        hidden_at__isnull=True,
    )
    return {str(p.public_id): p for p in qs}


def _normalise_choices(choices: Mapping[str, Any] | Iterable[str]) -> dict[str, int]:
    items: Iterable[tuple[Any, Any]]
    items = choices.items() if isinstance(choices, Mapping) else ((c, 1) for c in choices)
    result: dict[str, int] = {}
    for key, raw in items:
        ref = str(key).strip()
        try:
            points = int(str(raw))
        except ValueError as exc:
            raise ParticipationError(_("Nombre de points invalide."), field="choices", status=400) from exc
        if points == 0:
            continue
        if points < 0:
            raise ParticipationError(_("Nombre de points invalide."), field="choices", status=400)
        if ref in result:
            raise ParticipationError(_("Projet choisi deux fois."), field="choices", status=400)
        result[ref] = points
    return result


def validate_ballot(envelope: Envelope, choices: Mapping[str, Any] | Iterable[str]) -> dict[Proposal, int]:
    """Check a ballot against the budget's rules; the chosen proposals with their points.

    Refuses: unknown ids, proposals not on this envelope's ballot (another zone's,
    rejected, hidden), points where none are allowed, too few or too many projects, a
    total cost over the envelope (knapsack), too many points (cumulative).
    """
    budget = envelope.budget
    wanted = _normalise_choices(choices)
    available = votable_proposals(envelope)
    unknown = [ref for ref in wanted if ref not in available]
    if unknown:
        raise ParticipationError(
            _("Projet inconnu ou hors de cette enveloppe : le bulletin n'est pas enregistré."),
            field="choices",
            status=400,
        )
    chosen = {available[ref]: points for ref, points in wanted.items()}
    count = len(chosen)
    if budget.ballot_kind != BallotKind.CUMULATIVE and any(p != 1 for p in chosen.values()):
        raise ParticipationError(_("Ce vote ne se fait pas par points."), field="choices", status=400)
    if count < max(budget.min_choices, 1):
        raise ParticipationError(
            ngettext(
                "Choisissez au moins %(n)s projet.", "Choisissez au moins %(n)s projets.", budget.min_choices
            )
            % {"n": max(budget.min_choices, 1)},
            field="choices",
        )
    if budget.max_choices is not None and count > budget.max_choices:
        raise ParticipationError(
            ngettext(
                "Choisissez au plus %(n)s projet.", "Choisissez au plus %(n)s projets.", budget.max_choices
            )
            % {"n": budget.max_choices},
            field="choices",
        )
    if budget.ballot_kind == BallotKind.KNAPSACK:
        total = sum(int(p.estimated_cost or 0) for p in chosen)
        if total > envelope.amount:
            raise ParticipationError(
                _("Le coût total des projets choisis (%(total)s €) dépasse l'enveloppe (%(amount)s €).")
                % {"total": total, "amount": envelope.amount},
                field="choices",
            )
    if budget.ballot_kind == BallotKind.CUMULATIVE:
        per_project = budget.max_points_per_project or 0
        if any(points > per_project for points in chosen.values()):
            raise ParticipationError(
                _("Au plus %(n)s points par projet.") % {"n": per_project}, field="choices"
            )
        total_points = sum(chosen.values())
        if total_points > (budget.max_points_total or 0):
            raise ParticipationError(
                _("Vous avez réparti %(used)s points : %(n)s au plus.")
                % {"used": total_points, "n": budget.max_points_total},
                field="choices",
            )
    return chosen


def cast_ballot(
    participant: Participant | None,
    envelope: Envelope,
    choices: Mapping[str, Any] | Iterable[str],
    *,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> Ballot:
    """Record the participant's ballot in ``envelope``, or replace it (until the vote closes).

    ``choices``: proposal public ids (approval, knapsack) or a mapping public id → points
    (cumulative; 0 means not chosen). Everything is checked before anything is written
    (see ``validate_ballot`` and the eligibility rules); a refusal raises
    ParticipationError and counts nothing. The database holds one ballot per participant
    and envelope; two concurrent submissions of the same person are serialised on the
    participant's row and leave exactly one ballot (the last one).
    """
    budget = envelope.budget
    _require_phase(
        budget, PhaseKind.VOTING, _("Le vote n'est pas ouvert : aucun bulletin n'est enregistré."), now
    )
    participant = ensure_eligible(participant, budget, envelope=envelope)
    chosen = validate_ballot(envelope, choices)
    with transaction.atomic():
        Participant.objects.select_for_update(of=("self",)).filter(pk=participant.pk).first()
        ballot = (
            Ballot.objects.select_for_update(of=("self",))
            .filter(envelope=envelope, participant=participant)
            .first()
        )
        created = ballot is None
        if ballot is None:
            try:
                with transaction.atomic():
                    ballot = Ballot.objects.create(
                        envelope=envelope,
                        participant=participant,
                        method=BallotMethod.ONLINE,
                        voter_zone_id=participant.zone_id,
                    )
            except IntegrityError:
                ballot = Ballot.objects.select_for_update(of=("self",)).get(
                    envelope=envelope, participant=participant
                )
                created = False
        else:
            ballot.voter_zone_id = participant.zone_id
            ballot.save(update_fields=["voter_zone", "updated_at"])
        ballot.items.all().delete()
        BallotItem.objects.bulk_create(
            [
                BallotItem(ballot=ballot, proposal=proposal, points=points)
                for proposal, points in chosen.items()
            ]
        )
        audit.record(
            "participation.cast_ballot" if created else "participation.change_ballot",
            actor=participant.user,
            obj=ballot,
            organisation_id=budget.organisation_id,
            changes={"envelope": envelope.code, "items": len(chosen)},
            ip_address=ip_address,
        )
        # Participation counts on the engagement page change with every ballot.
        bump_data_version(VERSION_KEY)
    return ballot


def withdraw_ballot(participant: Participant, envelope: Envelope, *, now: dt.datetime | None = None) -> bool:
    """Withdraw the participant's ballot while the vote is open; True if one was removed."""
    _require_phase(envelope.budget, PhaseKind.VOTING, _("Le vote n'est pas ouvert."), now)
    with transaction.atomic():
        ballot = (
            Ballot.objects.select_for_update(of=("self",))
            .filter(envelope=envelope, participant=participant)
            .first()
        )
        if ballot is None:
            return False
        audit.record(
            "participation.withdraw_ballot",
            actor=participant.user,
            obj=ballot,
            organisation_id=envelope.budget.organisation_id,
            changes={"envelope": envelope.code},
        )
        ballot.delete()
        bump_data_version(VERSION_KEY)
    return True


def enter_paper_ballot(
    envelope: Envelope,
    choices: Mapping[str, Any] | Iterable[str],
    *,
    actor: Any,
    voter_zone: Zone | None = None,
    now: dt.datetime | None = None,
) -> Ballot:
    """Staff enter a paper ballot (flagged, counted separately, without participant).

    Accepted from the opening of the vote until a result of the envelope is published.
    """
    budget = envelope.budget
    require_manager(actor, budget)
    if actor is None:
        raise ParticipationError(_("Un bulletin papier est saisi par un membre des services."), status=403)
    now = now or timezone.now()
    voting = phase_windows(budget).get(PhaseKind.VOTING)
    if voting is None or now < voting.starts_at:
        raise ParticipationError(_("Le vote n'est pas ouvert."), status=403)
    if Result.objects.filter(envelope=envelope, published_at__isnull=False).exists():
        raise ParticipationError(
            _("Les résultats sont publiés : plus aucun bulletin n'est saisi."), status=409
        )
    chosen = validate_ballot(envelope, choices)
    with transaction.atomic():
        ballot = Ballot.objects.create(
            envelope=envelope,
            participant=None,
            method=BallotMethod.PAPER,
            entered_by=actor,
            voter_zone=voter_zone,
        )
        BallotItem.objects.bulk_create(
            [
                BallotItem(ballot=ballot, proposal=proposal, points=points)
                for proposal, points in chosen.items()
            ]
        )
        audit.record(
            "participation.enter_paper_ballot",
            actor=actor,
            obj=ballot,
            organisation_id=budget.organisation_id,
            changes={"envelope": envelope.code, "items": {str(p.external_id): n for p, n in chosen.items()}},
        )
    return ballot


def delete_paper_ballot(ballot: Ballot, *, actor: Any) -> None:
    """Remove a paper ballot entered by mistake (before results are published; audited)."""
    envelope = ballot.envelope
    require_manager(actor, envelope.budget)
    if ballot.method != BallotMethod.PAPER:
        raise ParticipationError(_("Seul un bulletin papier se supprime ici."), status=409)
    if Result.objects.filter(envelope=envelope, published_at__isnull=False).exists():
        raise ParticipationError(
            _("Les résultats sont publiés : les bulletins ne changent plus."), status=409
        )
    with transaction.atomic():
        audit.record(
            "participation.delete_paper_ballot",
            actor=actor,
            obj=ballot,
            organisation_id=envelope.budget.organisation_id,
            changes={
                "items": {
                    str(i.proposal.external_id): i.points for i in ballot.items.select_related("proposal")
                }
            },
        )
        ballot.delete()


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
    from territoire.participation.pabulib import parse_pabulib
    from territoire.participation.pabulib_io import export_with_digest
    from territoire.participation.rules import election_from_pabulib, tally

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
    with transaction.atomic():
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
        audit.record(
            "participation.compute_results",
            actor=actor,
            obj=result,
            organisation_id=budget.organisation_id,
            changes={
                "rule": rule,
                "satisfaction": satisfaction,
                "digest": digest,
                "selected": result.selected,
            },
        )
    return result


def _jsonable(value: Any) -> Any:
    """Rounds of a rule's trace as JSON (dataclasses, fractions and decimals as text)."""
    import dataclasses
    from decimal import Decimal
    from fractions import Fraction

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
    from territoire.participation.pabulib_io import export_with_digest

    envelope = result.envelope
    budget = envelope.budget
    require_manager(actor, budget)
    _text, digest = export_with_digest(envelope)
    if digest != result.inputs_digest:
        raise ParticipationError(
            _("Les données ont changé depuis le calcul : recalculez avant de publier."), status=409
        )
    with transaction.atomic():
        Result.objects.filter(envelope=envelope, published_at__isnull=False).exclude(pk=result.pk).update(
            published_at=None
        )
        result.published_at = timezone.now()
        result.save(update_fields=["published_at", "updated_at"])
        Proposal.objects.filter(envelope=envelope).update(selected=False)
        Proposal.objects.filter(envelope=envelope, external_id__in=result.selected).update(selected=True)
        audit.record(
            "participation.publish_results",
            actor=actor,
            obj=result,
            organisation_id=budget.organisation_id,
            changes={"selected": result.selected, "digest": result.inputs_digest},
        )
        bump_data_version(VERSION_KEY)
    return result


def implement_winners(envelope: Envelope, *, actor: Any = None, axis: Any = None) -> list[Any]:
    """Create a roadmap Project for every winner of the published result not yet linked.

    The project goes to ``axis`` (default: the organisation's "participation" axis, else
    its first axis), with the estimated cost, the budget's commune (or the zone's),
    planned for the year after the budget. Progress is then tracked in the roadmap.
    """
    from territoire.roadmap.models import Axis, FundingKind, FundingLine, Project, ProjectStatus

    budget = envelope.budget
    require_manager(actor, budget)
    if not Result.objects.filter(envelope=envelope, published_at__isnull=False).exists():
        raise ParticipationError(_("Publiez d'abord les résultats."), status=409)
    if axis is None:
        axes = Axis.objects.filter(organisation_id=budget.organisation_id).order_by("position", "pk")
        axis = axes.filter(code="participation").first() or axes.first()
    if axis is None or axis.organisation_id != budget.organisation_id:
        raise ParticipationError(
            _("Aucun axe de la feuille de route pour accueillir les projets."), field="axis"
        )
    created: list[Any] = []
    with transaction.atomic():
        winners = (
            Proposal.objects.select_for_update(of=("self",))
            .filter(envelope=envelope, selected=True, roadmap_project__isnull=True)
            .select_related("zone")
            .order_by("pk")
        )
        for proposal in winners:
            commune_id = budget.commune_id or (proposal.zone.commune_id if proposal.zone else None)
            project = Project.objects.create(
                organisation_id=budget.organisation_id,
                commune_id=commune_id,
                axis=axis,
                title=proposal.title[:300],
                description=_("Projet lauréat du budget participatif « %(b)s ».\n\n%(d)s")
                % {"b": budget.title, "d": proposal.description},
                value_score=4,
                complexity_score=2,
                cost=proposal.estimated_cost or 0,
                target_year=budget.year + 1,
                target_quarter=4,
                status=ProjectStatus.PLANNED,
                progress=0,
            )
            if project.cost > 0:
                # Paid by the envelope voted on: the project's funding plan says so.
                FundingLine.objects.create(
                    project=project,
                    kind=FundingKind.AUTOFINANCEMENT,
                    amount=project.cost,
                    label=_("Enveloppe du budget participatif « %(b)s »") % {"b": budget.title},
                )
            proposal.roadmap_project = project
            proposal.save(update_fields=["roadmap_project", "updated_at"])
            created.append(project)
        audit.record(
            "participation.implement_winners",
            actor=actor,
            obj=envelope,
            organisation_id=budget.organisation_id,
            changes={"projects": [p.pk for p in created]},
        )
        bump_data_version(VERSION_KEY)
    return created
