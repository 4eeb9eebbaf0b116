"""Between the database and the Pabulib format (https://pabulib.org/format).

``export_pabulib(envelope)`` is the public, anonymised record of an envelope's vote: the
projects on the ballot and every ballot, voters numbered 1..n in an order that reveals
nothing (sorted by the ballot's random public id), no personal data, and a
``voting_method`` column (``internet``, ``paper`` or ``imported``) so that paper ballots
entered by staff stay distinguishable. Results are computed from exactly this text, and
its SHA-256 is published with them. The file holds the inputs only (no ``selected``
column): it is the same before and after the results, so its digest stays checkable;
the outcome is published beside it.

``import_pabulib(pb, organisation=...)`` creates a closed budget with one envelope, its
projects (eligible, estimated at the file's cost) and its ballots (imported, without
participant).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from territoire.core import audit
from territoire.core.cache import bump_data_version
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    Ballot,
    BallotItem,
    BallotKind,
    BallotMethod,
    BudgetCategory,
    Envelope,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Residence,
    ResultRule,
    Satisfaction,
)
from territoire.participation.pabulib import PbFile, PbProject, PbVote, dump_pabulib
from territoire.participation.permissions import require_manager
from territoire.territory.models import Commune, Organisation

HIDDEN_NAME = "[contenu masqué]"
METHOD_LABELS = {
    BallotMethod.ONLINE: "internet",
    BallotMethod.PAPER: "paper",
    BallotMethod.IMPORTED: "imported",
}
BATCH = 5000


def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y") if value else ""


def export_pabulib(envelope: Envelope) -> PbFile:
    """The public Pabulib record of ``envelope`` (a few queries, streamed ballots)."""
    budget = envelope.budget
    proposals = list(
        Proposal.objects.filter(
            envelope=envelope, status=ProposalStatus.ELIGIBLE, estimated_cost__isnull=False
        )
        .select_related("category")
        .order_by("pk")
    )
    by_pk = {p.pk: p for p in proposals}
    cumulative = budget.ballot_kind == BallotKind.CUMULATIVE

    methods: dict[int, str] = {}
    order: list[int] = []
    for ballot_id, method in (
        Ballot.objects.filter(envelope=envelope)
        .order_by("public_id")
        .values_list("pk", "method")
        .iterator(2000)
    ):
        methods[ballot_id] = METHOD_LABELS.get(BallotMethod(method), method)
        order.append(ballot_id)
    choices: dict[int, list[tuple[int, int]]] = defaultdict(list)
    votes: dict[int, int] = defaultdict(int)
    scores: dict[int, int] = defaultdict(int)
    items = (
        BallotItem.objects.filter(ballot__envelope=envelope)
        .order_by("ballot_id", "proposal_id")
        .values_list("ballot_id", "proposal_id", "points")
    )
    for ballot_id, proposal_id, points in items.iterator(10_000):
        if proposal_id not in by_pk:
            continue  # not on the ballot any more (cannot happen once votes exist)
        choices[ballot_id].append((proposal_id, points))
        votes[proposal_id] += 1
        scores[proposal_id] += points

    pb_votes: list[PbVote] = []
    number = 0
    for ballot_id in order:
        chosen = choices.get(ballot_id)
        if not chosen:
            continue
        number += 1
        pb_votes.append(
            PbVote(
                voter_id=str(number),
                vote=tuple(by_pk[pid].external_id for pid, _points in chosen),
                points=tuple(points for _pid, points in chosen) if cumulative else None,
                extra={"voting_method": methods[ballot_id]},
            )
        )
    projects = {
        p.external_id: PbProject(
            project_id=p.external_id,
            cost=int(p.estimated_cost or 0),
            name=HIDDEN_NAME if p.hidden_at else p.title.replace("\n", " "),
            categories=(p.category.code,) if p.category else (),
            votes=votes.get(p.pk, 0),
            score=scores.get(p.pk, 0) if cumulative else None,
        )
        for p in proposals
    }

    voting = budget.phases.filter(kind=PhaseKind.VOTING).first()
    place = budget.commune or (envelope.zone.commune if envelope.zone else None)
    meta: dict[str, str] = {
        "description": f"{budget.title} — {envelope.name}",
        "country": "France",
        "unit": place.name if place else budget.organisation.name,
        "instance": str(budget.year),
    }
    if envelope.zone is not None:
        meta["subunit"] = envelope.zone.name
    meta.update(
        {
            "num_projects": str(len(projects)),
            "num_votes": str(len(pb_votes)),
            "budget": str(envelope.amount),
            "vote_type": "cumulative" if cumulative else "approval",
            "rule": budget.rule,
            "satisfaction": budget.satisfaction,
            "language": "fr",
            "currency": "EUR",
        }
    )
    if voting is not None:
        meta["date_begin"] = _date(voting.starts_at)
        meta["date_end"] = _date(voting.ends_at)
    if budget.ballot_kind == BallotKind.APPROVAL:
        meta["min_length"] = str(budget.min_choices)
        if budget.max_choices is not None:
            meta["max_length"] = str(budget.max_choices)
    elif budget.ballot_kind == BallotKind.KNAPSACK:
        meta["max_sum_cost"] = str(envelope.amount)
    else:
        meta["max_points"] = str(budget.max_points_per_project or 0)
        meta["max_sum_points"] = str(budget.max_points_total or 0)
    capped = [c for c in BudgetCategory.objects.filter(budget=budget).order_by("code") if c.cap is not None]
    if capped:
        meta["categories"] = ",".join(c.code for c in capped)
        meta["budget_per_category"] = ",".join(str(c.cap) for c in capped)
    paper = sum(1 for v in pb_votes if v.extra.get("voting_method") == "paper")
    meta["num_paper_votes"] = str(paper)
    return PbFile(meta=meta, projects=projects, votes=pb_votes)


def export_pabulib_text(envelope: Envelope) -> str:
    """The text of the public Pabulib file of ``envelope``."""
    return dump_pabulib(export_pabulib(envelope))


def inputs_digest(text: str) -> str:
    """The SHA-256 (hex) of a Pabulib text, as published with a result."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_with_digest(envelope: Envelope) -> tuple[str, str]:
    text = export_pabulib_text(envelope)
    return text, inputs_digest(text)


def public_export(envelope: Envelope) -> str | None:
    """The Pabulib file offered to the public: only once the vote is closed (None before)."""
    from territoire.participation.services.budgets import voting_closed

    if envelope.budget.published_at is None or not voting_closed(envelope.budget):
        return None
    return export_pabulib_text(envelope)


# --------------------------------------------------------------------------- import

_RULES = {
    "greedy": ResultRule.GREEDY,
    "greedy-caps": ResultRule.GREEDY_CAPS,
    "mes": ResultRule.MES,
    "equalshares": ResultRule.MES,
    "mes-complete": ResultRule.MES_COMPLETE,
}


def _rule_of(meta: dict[str, str]) -> str:
    text = meta.get("rule", "").strip().lower()
    if text in _RULES:
        return _RULES[text]
    if text.startswith("equalshares") or text.startswith("mes"):
        return ResultRule.MES_COMPLETE
    return ResultRule.GREEDY


def _code(text: str, fallback: str) -> str:
    return (slugify(text)[:100] or fallback).strip("-") or fallback


def import_pabulib(
    pb: PbFile,
    *,
    organisation: Organisation,
    commune: Commune | None = None,
    title: str = "",
    source_name: str = "",
    actor: Any = None,
) -> ParticipatoryBudget:
    """Create a published, closed budget from a Pabulib file: one envelope, the projects
    (eligible, estimated at their cost), the ballots (imported or paper, no participant).

    Supports approval (with or without a cost limit) and cumulative votes; ordinal and
    scoring files are refused.
    """
    if commune is not None and commune.organisation_id != organisation.pk:
        raise ParticipationError(_("Commune inconnue."), field="commune")
    vote_type = pb.vote_type
    if vote_type not in ("approval", "cumulative", "choose-1"):
        raise ParticipationError(
            _("Type de vote Pabulib non pris en charge : %(t)s.") % {"t": vote_type}, field="file"
        )
    meta = pb.meta
    year_match = re.search(r"\d{4}", meta.get("instance", "")) or re.search(
        r"\d{4}", meta.get("date_end", "")
    )
    year = int(year_match.group(0)) if year_match else timezone.localdate().year
    if vote_type == "cumulative":
        kind = BallotKind.CUMULATIVE
    elif pb.max_sum_cost is not None:
        kind = BallotKind.KNAPSACK
    else:
        kind = BallotKind.APPROVAL
    max_points = int(pb.max_points) if pb.max_points is not None else None
    max_sum_points = int(pb.max_sum_points) if pb.max_sum_points is not None else None
    if kind == BallotKind.CUMULATIVE:
        if not max_points:
            max_points = max((max(v.points or (1,)) for v in pb.votes), default=1)
        if not max_sum_points:
            max_sum_points = max((sum(v.points or ()) for v in pb.votes), default=1)
        max_points, max_sum_points = max(max_points, 1), max(max_sum_points, 1)
    max_length = pb.max_length if vote_type != "choose-1" else 1
    budget_amount = int(pb.budget)
    if budget_amount <= 0:
        raise ParticipationError(_("Le budget du fichier doit être positif."), field="file")
    caps = pb.category_caps
    satisfaction = meta.get("satisfaction", "")
    if satisfaction not in Satisfaction.values:
        satisfaction = Satisfaction.COST
    budget = ParticipatoryBudget(
        organisation=organisation,
        commune=commune,
        title=(title or meta.get("description") or _("Budget participatif importé"))[:300],
        description=meta.get("comment", ""),
        year=year,
        ballot_kind=kind,
        min_choices=pb.min_length if pb.min_length is not None and pb.min_length >= 1 else 1,
        max_choices=max_length,
        max_points_per_project=max_points if kind == BallotKind.CUMULATIVE else None,
        max_points_total=max_sum_points if kind == BallotKind.CUMULATIVE else None,
        rule=ResultRule.GREEDY_CAPS if caps and _rule_of(meta) == ResultRule.GREEDY else _rule_of(meta),
        satisfaction=satisfaction,
        residence=Residence.ANY,
        imported_from=(source_name or "pabulib")[:300],
        pabulib_meta=dict(meta),
        published_at=timezone.now(),
    )
    if budget.max_choices is not None and budget.max_choices < budget.min_choices:
        budget.max_choices = None
    require_manager(actor, budget)
    with transaction.atomic():
        budget.save()
        label = meta.get("subunit") or meta.get("district") or ""
        envelope = Envelope.objects.create(
            budget=budget,
            code=_code(label, "global"),
            name=label or str(_("Enveloppe globale")),
            amount=budget_amount,
        )
        names = list(dict.fromkeys(c for p in pb.projects.values() for c in p.categories))
        names += [c for c in caps if c not in names]
        categories: dict[str, BudgetCategory] = {}
        used_codes: set[str] = set()
        for i, name in enumerate(names, start=1):
            code = _code(name, f"categorie-{i}")
            while code in used_codes:
                code = f"{code[:90]}-{i}"
            used_codes.add(code)
            cap = caps.get(name)
            categories[name] = BudgetCategory.objects.create(
                budget=budget, code=code, name=name[:200], cap=int(cap) if cap is not None else None
            )
        now = timezone.now()
        proposals = Proposal.objects.bulk_create(
            [
                Proposal(
                    budget=budget,
                    envelope=envelope,
                    external_id=p.project_id[:100],
                    title=(p.name or _("Projet %(id)s") % {"id": p.project_id})[:300],
                    category=categories[p.categories[0]] if p.categories else None,
                    status=ProposalStatus.ELIGIBLE,
                    reviewed_at=now,
                    estimated_cost=int(p.cost),
                    estimated_at=now,
                    selected=bool(p.selected),
                )
                for p in pb.projects.values()
            ],
            batch_size=1000,
        )
        if any(p.pk is None for p in proposals):  # backends that do not return ids
            proposals = list(Proposal.objects.filter(budget=budget).order_by("pk"))
        by_id = {p.external_id: p.pk for p in proposals}
        ballot_count = 0
        for start in range(0, len(pb.votes), BATCH):
            chunk = pb.votes[start : start + BATCH]
            ballots = Ballot.objects.bulk_create(
                [
                    Ballot(
                        envelope=envelope,
                        method=BallotMethod.PAPER
                        if v.extra.get("voting_method", "").lower() == "paper"
                        else BallotMethod.IMPORTED,
                        external_voter_id=v.voter_id[:100],
                    )
                    for v in chunk
                ]
            )
            BallotItem.objects.bulk_create(
                [
                    BallotItem(ballot_id=b.pk, proposal_id=by_id[pid[:100]], points=int(points))
                    for b, v in zip(ballots, chunk, strict=True)
                    for pid, points in zip(v.vote, v.points or (1,) * len(v.vote), strict=True)
                    if int(points) > 0
                ],
                batch_size=BATCH,
            )
            ballot_count += len(chunk)
        audit.record(
            "participation.import_pabulib",
            actor=actor,
            obj=budget,
            organisation_id=organisation.pk,
            changes={"source": budget.imported_from, "projects": len(proposals), "ballots": ballot_count},
        )
        bump_data_version(VERSION_KEY)
    return budget
