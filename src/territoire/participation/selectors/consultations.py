"""Reads of consultations: published consultations, their results (every count of
respondents from 1 to k − 1 suppressed, per option, per value, per rank, with
complementary suppression against published totals), a participant's own answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from territoire.core.disclosure import series_total, suppress_series, suppress_table, threshold
from territoire.participation.models import (
    Answer,
    Consultation,
    ModerationStatus,
    Participant,
    Question,
    QuestionKind,
    Response,
)
from territoire.territory.models import Organisation


def public_consultations(organisation: Organisation) -> QuerySet[Consultation]:
    """Published consultations of the organisation, newest first."""
    return (
        Consultation.objects.filter(organisation=organisation, published_at__isnull=False)
        .select_related("commune", "zone")
        .order_by("-opens_at", "pk")
    )


def public_consultation(organisation: Organisation, public_id: Any) -> Consultation | None:
    try:
        return (
            public_consultations(organisation)
            .prefetch_related(
                Prefetch(
                    "questions",
                    queryset=Question.objects.prefetch_related("options").order_by("position", "pk"),
                ),
                "roadmap_projects",
                "roadmap_decisions",
            )
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, Exception):
        return None


# --------------------------------------------------------------------------- consultation results


@dataclass
class OptionCount:
    label: str
    count: int | None  # None: suppressed
    percent: Decimal | None = None
    mean_rank: Decimal | None = None


@dataclass
class QuestionResult:
    question: Question
    kind: str
    respondents: int | None
    options: list[OptionCount] = field(default_factory=list)
    mean: Decimal | None = None
    ranks: dict[tuple[str, int], int | None] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    hidden_texts: list[str] = field(default_factory=list)  # public reasons of hidden texts


@dataclass
class ConsultationResults:
    consultation: Consultation
    k: int
    respondents: int | None
    questions: list[QuestionResult]


def _k_for(consultation: Consultation, k: int | None) -> int:
    return k or consultation.suppression_k or threshold()


def _percent(count: int | None, total: int | None) -> Decimal | None:
    if count is None or not total:
        return None
    return (Decimal(100) * count / total).quantize(Decimal("0.1"))


def consultation_results(consultation: Consultation, *, k: int | None = None) -> ConsultationResults:
    """Results of a consultation with every count below k suppressed (and the counts that
    would give one back by subtraction). Free texts: the moderated, published ones only.

    A fixed number of queries whatever the number of responses.
    """
    k = _k_for(consultation, k)
    questions = list(consultation.questions.prefetch_related("options").order_by("position", "pk"))
    total = Response.objects.filter(consultation=consultation).count()
    respondents = total if total == 0 or total >= k else None
    option_counts = Counter(
        {
            (q, o): n
            for q, o, n in Answer.objects.filter(response__consultation=consultation, option__isnull=False)
            .values_list("question_id", "option_id")
            .annotate(n=Count("id"))
        }
    )
    rank_counts = {
        (q, o, r): n
        for q, o, r, n in Answer.objects.filter(
            response__consultation=consultation, question__kind=QuestionKind.RANKING
        )
        .values_list("question_id", "option_id", "rank")
        .annotate(n=Count("id"))
    }
    scale_counts = {
        (q, v): n
        for q, v, n in Answer.objects.filter(
            response__consultation=consultation, question__kind=QuestionKind.SCALE
        )
        .values_list("question_id", "value")
        .annotate(n=Count("id"))
    }
    answered = dict(
        Answer.objects.filter(response__consultation=consultation)
        .values_list("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    texts: dict[int, list[Answer]] = {}
    for a in (
        Answer.objects.filter(response__consultation=consultation, question__kind=QuestionKind.TEXT)
        .exclude(moderation=ModerationStatus.PENDING)
        .order_by("pk")
    ):
        texts.setdefault(a.question_id, []).append(a)
    out: list[QuestionResult] = []
    for q in questions:
        n_answered = answered.get(q.pk, 0)
        qr = QuestionResult(
            question=q, kind=q.kind, respondents=n_answered if n_answered == 0 or n_answered >= k else None
        )
        options = list(q.options.all())
        if q.kind == QuestionKind.SINGLE:
            counts = {o.pk: option_counts.get((q.pk, o.pk), 0) for o in options}
            shown = suppress_series(counts, k=k, total_published=True)
            qr.respondents = series_total(counts, k=k)
            qr.options = [
                OptionCount(o.label, shown[o.pk], _percent(shown[o.pk], qr.respondents)) for o in options
            ]
        elif q.kind == QuestionKind.MULTIPLE:
            counts = {o.pk: option_counts.get((q.pk, o.pk), 0) for o in options}
            shown = suppress_series(counts, k=k, total_published=False)
            qr.options = [
                OptionCount(o.label, shown[o.pk], _percent(shown[o.pk], qr.respondents)) for o in options
            ]
        elif q.kind == QuestionKind.RANKING:
            cells = {
                (o.pk, r): rank_counts.get((q.pk, o.pk, r), 0)
                for o in options
                for r in range(1, len(options) + 1)
            }
            table = suppress_table(cells, k=k, margins=True)
            labels = {o.pk: o.label for o in options}
            qr.ranks = {(labels[o], r): v for (o, r), v in table.cells.items()}
            for o in options:
                full = [rank_counts.get((q.pk, o.pk, r), 0) for r in range(1, len(options) + 1)]
                n = sum(full)
                mean = (
                    (Decimal(sum(r * c for r, c in enumerate(full, start=1))) / n).quantize(Decimal("0.01"))
                    if n >= k
                    else None
                )
                qr.options.append(OptionCount(o.label, table.row_totals.get(o.pk), None, mean))
        elif q.kind == QuestionKind.SCALE:
            low, high = q.scale_min or 0, q.scale_max or 0
            counts = {v: scale_counts.get((q.pk, v), 0) for v in range(low, high + 1)}
            shown = suppress_series(counts, k=k, total_published=True)
            qr.respondents = series_total(counts, k=k)
            qr.options = [OptionCount(str(v), shown[v], _percent(shown[v], qr.respondents)) for v in counts]
            n = sum(counts.values())
            if n >= k:
                qr.mean = (Decimal(sum(v * c for v, c in counts.items())) / n).quantize(Decimal("0.01"))
        else:
            for a in texts.get(q.pk, []):
                if a.moderation == ModerationStatus.PUBLISHED and a.hidden_at is None:
                    qr.texts.append(a.text)
                elif a.moderation == ModerationStatus.HIDDEN:
                    qr.hidden_texts.append(a.hidden_reason)
        out.append(qr)
    return ConsultationResults(consultation=consultation, k=k, respondents=respondents, questions=out)


def my_response(participant: Participant | None, consultation: Consultation) -> dict[str, Any]:
    """The participant's current answers, in the shape ``submit_response`` takes."""
    if participant is None:
        return {}
    out: dict[str, Any] = {}
    rows = (
        Answer.objects.filter(response__consultation=consultation, response__participant=participant)
        .select_related("question")
        .order_by("question_id", "rank", "pk")
    )
    for a in rows:
        key = str(a.question_id)
        if a.question.kind == QuestionKind.SINGLE:
            out[key] = str(a.option_id)
        elif a.question.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
            out.setdefault(key, []).append(str(a.option_id))
        elif a.question.kind == QuestionKind.SCALE:
            out[key] = a.value
        else:
            out[key] = a.text
    return out


def unanswered_consultations(organisation: Organisation) -> QuerySet[Consultation]:
    """Staff: closed consultations still without an argued answer."""
    return Consultation.objects.filter(
        organisation=organisation, closes_at__lte=timezone.now(), answered_at__isnull=True
    ).annotate(has_responses=Exists(Response.objects.filter(consultation=OuterRef("pk"))))
