"""Ballots of a participatory budget: checked against the budget's rules, cast online
by an eligible participant (one per envelope, replaceable until the vote closes), or
entered on paper by staff."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from territoire.core.actions import action
from territoire.core.mail import send_later
from territoire.participation.eligibility import ensure_eligible
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    Ballot,
    BallotItem,
    BallotKind,
    BallotMethod,
    Envelope,
    Participant,
    PhaseKind,
    Proposal,
    Result,
)
from territoire.participation.permissions import require_manager
from territoire.participation.selectors.budgets import phase_windows, votable_proposals
from territoire.participation.services.budgets import require_phase
from territoire.territory.models import Zone

# Receipt codes: 16 characters of an alphabet without 0/O, 1/I (80 random bits).
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 16


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(RECEIPT_LENGTH))


def normalise_receipt_code(text: str) -> str:
    """A typed code in its stored form: upper case, without spaces or dashes."""
    return "".join(c for c in text.upper() if c.isalnum())


def format_receipt_code(code: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: easier to read out and copy."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_check_url(organisation_siren: str) -> str:
    base = str(settings.TERRITOIRE.get("SITE_URL", "http://localhost:8000")).rstrip("/")
    return base + reverse("participation-receipt-check", args=[organisation_siren])


def send_receipt(ballot: Ballot) -> int:
    """Queue the receipt of an online ballot to its voter's confirmed address: the code and
    when the ballot was recorded, never the choices (a mailbox may be shared)."""
    participant = ballot.participant
    if participant is None or participant.email_verified_at is None or not participant.user.email:
        return 0
    envelope = ballot.envelope
    budget = envelope.budget
    when = formats.date_format(timezone.localtime(ballot.updated_at), "j F Y, H:i")
    subject = _("Reçu de votre bulletin — %(budget)s") % {"budget": budget.title}
    lines = [
        _("Bonjour,"),
        "",
        _("Votre bulletin pour « %(envelope)s » (%(budget)s) est enregistré le %(when)s.")
        % {"envelope": envelope.name, "budget": budget.title, "when": when},
        _("Code de reçu : %(code)s") % {"code": format_receipt_code(ballot.receipt_code)},
        "",
        _(
            "Ce code prouve que votre bulletin est enregistré, sans dire pour quels projets vous avez voté. "
            "Vous pouvez le vérifier à tout moment jusqu'à la publication des résultats : %(url)s"
        )
        % {"url": receipt_check_url(budget.organisation.siren)},
        _("Si vous modifiez votre bulletin, un nouveau code remplace celui-ci."),
    ]
    return send_later(subject, "\n".join(str(line) for line in lines), [participant.user.email])


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
    # Every fault of the ballot is reported at once, not the first one only.
    faults: list[str] = []
    if count < max(budget.min_choices, 1):
        faults.append(
            ngettext(
                "Choisissez au moins %(n)s projet.", "Choisissez au moins %(n)s projets.", budget.min_choices
            )
            % {"n": max(budget.min_choices, 1)}
        )
    if budget.max_choices is not None and count > budget.max_choices:
        faults.append(
            ngettext(
                "Choisissez au plus %(n)s projet.", "Choisissez au plus %(n)s projets.", budget.max_choices
            )
            % {"n": budget.max_choices}
        )
    if budget.ballot_kind == BallotKind.KNAPSACK:
        total = sum(int(p.estimated_cost or 0) for p in chosen)
        if total > envelope.amount:
            faults.append(
                _("Le coût total des projets choisis (%(total)s €) dépasse l'enveloppe (%(amount)s €).")
                % {"total": total, "amount": envelope.amount}
            )
    if budget.ballot_kind == BallotKind.CUMULATIVE:
        per_project = budget.max_points_per_project or 0
        if any(points > per_project for points in chosen.values()):
            faults.append(_("Au plus %(n)s points par projet.") % {"n": per_project})
        total_points = sum(chosen.values())
        if total_points > (budget.max_points_total or 0):
            faults.append(
                _("Vous avez réparti %(used)s points : %(n)s au plus.")
                % {"used": total_points, "n": budget.max_points_total}
            )
    if faults:
        raise ParticipationError(field="choices", messages=faults)
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
    require_phase(
        budget, PhaseKind.VOTING, _("Le vote n'est pas ouvert : aucun bulletin n'est enregistré."), now
    )
    participant = ensure_eligible(participant, budget, envelope=envelope)
    if envelope.zone_id is not None:
        # One district's envelope per budget: a resident who moved their declared district
        # after voting does not vote in a second one (withdraw the first ballot to move it).
        other = (
            Ballot.objects.filter(
                participant=participant, envelope__budget=budget, envelope__zone__isnull=False
            )
            .exclude(envelope=envelope)
            .select_related("envelope")
            .first()
        )
        if other is not None:
            raise ParticipationError(
                _(
                    "Vous avez déjà voté dans l'enveloppe « %(name)s » : on vote dans l'enveloppe d'un "
                    "seul quartier."
                )
                % {"name": other.envelope.name},
                status=409,
            )
    chosen = validate_ballot(envelope, choices)
    # Participation counts on the engagement page change with every ballot.
    with action(
        "participation.cast_ballot",
        actor=participant.user,
        organisation_id=budget.organisation_id,
        changes={"envelope": envelope.code, "items": len(chosen)},
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    ) as act:
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
                        receipt_code=new_receipt_code(),
                    )
            except IntegrityError:
                ballot = Ballot.objects.select_for_update(of=("self",)).get(
                    envelope=envelope, participant=participant
                )
                created = False
        if not created:
            ballot.voter_zone_id = participant.zone_id
            ballot.receipt_code = new_receipt_code()  # the previous receipt no longer matches
            ballot.save(update_fields=["voter_zone", "receipt_code", "updated_at"])
        ballot.items.all().delete()
        BallotItem.objects.bulk_create(
            [
                BallotItem(ballot=ballot, proposal=proposal, points=points)
                for proposal, points in chosen.items()
            ]
        )
        act.obj = ballot
        if not created:
            act.name = "participation.change_ballot"
        ballot.participant = participant
        send_receipt(ballot)  # queued once the transaction commits
    return ballot


def withdraw_ballot(participant: Participant, envelope: Envelope, *, now: dt.datetime | None = None) -> bool:
    """Withdraw the participant's ballot while the vote is open; True if one was removed."""
    require_phase(envelope.budget, PhaseKind.VOTING, _("Le vote n'est pas ouvert."), now)
    with action(
        "participation.withdraw_ballot",
        actor=participant.user,
        organisation_id=envelope.budget.organisation_id,
        changes={"envelope": envelope.code},
        versions=(VERSION_KEY,),
    ) as act:
        ballot = (
            Ballot.objects.select_for_update(of=("self",))
            .filter(envelope=envelope, participant=participant)
            .first()
        )
        if ballot is None:
            act.audited, act.versions = False, ()
            return False
        act.obj = ballot
        # Deleted through a queryset, so that the instance keeps the id the audit names.
        Ballot.objects.filter(pk=ballot.pk).delete()
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
    with action(
        "participation.enter_paper_ballot",
        actor=actor,
        organisation_id=budget.organisation_id,
        changes={"envelope": envelope.code, "items": {str(p.external_id): n for p, n in chosen.items()}},
        versions=(),
    ) as act:
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
        act.obj = ballot
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
    with action(
        "participation.delete_paper_ballot",
        actor=actor,
        obj=ballot,
        organisation_id=envelope.budget.organisation_id,
        versions=(),
    ) as act:
        act.changes = {
            "items": {str(i.proposal.external_id): i.points for i in ballot.items.select_related("proposal")}
        }
        # Deleted through a queryset, so that the instance keeps the id the audit names.
        Ballot.objects.filter(pk=ballot.pk).delete()
