"""Import of a Pabulib file (https://pabulib.org/format) as a closed budget.

``import_pabulib(pb, organisation=...)`` creates a published, closed budget with one
envelope, its projects (eligible, estimated at the file's cost) and its ballots
(imported, without participant). The export is a read: ``participation.pabulib_io``.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from territoire.core.actions import action
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
    Proposal,
    ProposalStatus,
    Residence,
    ResultRule,
    Satisfaction,
)
from territoire.participation.pabulib import PbFile
from territoire.participation.permissions import require_manager
from territoire.territory.models import Commune, Organisation

BATCH = 5000

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
    scoring files are refused. The file's warnings (a project listed twice by one voter,
    counted once) are kept in the audit record; the caller reports them.
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
    with action(
        "participation.import_pabulib",
        actor=actor,
        organisation_id=organisation.pk,
        versions=(VERSION_KEY,),
    ) as act:
        budget.save()
        act.obj = budget
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
        act.changes = {"source": budget.imported_from, "projects": len(proposals), "ballots": ballot_count}
        if pb.warnings:
            act.changes["warnings"] = [str(warning) for warning in pb.warnings]
    return budget
