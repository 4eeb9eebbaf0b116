"""Consultations: answering (one response, edited in place), windows, tampering,
moderation of free text, results with suppression, the argued answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from territoire.core.models import AuditEvent
from territoire.participation import selectors, services
from territoire.participation.errors import ParticipationError
from territoire.participation.models import Answer, ModerationStatus, QuestionKind, Response
from territoire.participation.tests.factories import make_participant
from territoire.roadmap.models import Project
from territoire.territory.models import Commune, Organisation


def _consultation(organisation: Organisation, *, open_: bool = True, **options: Any) -> Any:
    now = timezone.now()
    opens, closes = (now - dt.timedelta(days=1), now + dt.timedelta(days=5))
    if not open_:
        opens, closes = now - dt.timedelta(days=10), now - dt.timedelta(days=1)
    c = services.create_consultation(
        organisation, title="Place du marché", opens_at=opens, closes_at=closes, **options
    )
    single = services.add_question(
        c, kind=QuestionKind.SINGLE, text="Priorité ?", options=["A", "B", "C"], required=True
    )
    multiple = services.add_question(
        c, kind=QuestionKind.MULTIPLE, text="Envies ?", options=["x", "y", "z"], max_choices=2
    )
    ranking = services.add_question(c, kind=QuestionKind.RANKING, text="Classez", options=["r1", "r2"])
    scale = services.add_question(c, kind=QuestionKind.SCALE, text="Note", scale_min=1, scale_max=5)
    text = services.add_question(c, kind=QuestionKind.TEXT, text="Idée ?")
    return c, single, multiple, ranking, scale, text


def _opt(question: Any, label: str) -> int:
    return int(question.options.get(label=label).pk)


def test_submit_then_edit_in_place(organisation: Organisation, commune: Commune) -> None:
    c, single, multiple, ranking, scale, text = _consultation(organisation)
    p = make_participant(commune)
    first = services.submit_response(
        p,
        c,
        {
            str(single.pk): _opt(single, "A"),
            multiple.pk: [_opt(multiple, "x"), _opt(multiple, "z")],
            ranking.pk: [_opt(ranking, "r2"), _opt(ranking, "r1")],
            scale.pk: "4",
            text.pk: "Plus d'arbres",
        },
    )
    assert Answer.objects.filter(response=first).count() == 7  # 1 + 2 + 2 + 1 + 1
    assert Answer.objects.get(response=first, question=text).moderation == ModerationStatus.PENDING
    second = services.submit_response(p, c, {single.pk: _opt(single, "B")})
    assert second.pk == first.pk
    assert Response.objects.count() == 1
    assert list(Answer.objects.values_list("option__label", flat=True)) == ["B"]
    assert selectors.my_response(p, c) == {str(single.pk): str(_opt(single, "B"))}
    assert AuditEvent.objects.filter(action="participation.edit_response").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(consultation=c, participant=p)


def test_window_and_eligibility(organisation: Organisation, commune: Commune) -> None:
    c, single, *_rest = _consultation(organisation, open_=False)
    with pytest.raises(ParticipationError, match="close"):
        services.submit_response(make_participant(commune), c, {single.pk: _opt(single, "A")})
    future, fsingle, *_rest = _consultation(organisation)
    with pytest.raises(ParticipationError, match="pas encore ouverte"):
        services.submit_response(
            make_participant(commune),
            future,
            {fsingle.pk: _opt(fsingle, "A")},
            now=future.opens_at - dt.timedelta(minutes=1),
        )
    young, ysingle, *_rest = _consultation(organisation, min_age=18)
    with pytest.raises(ParticipationError, match="18 ans"):
        services.submit_response(
            make_participant(commune, birth_year=timezone.now().year - 12),
            young,
            {ysingle.pk: _opt(ysingle, "A")},
        )
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"999999": "1"},  # unknown question
        {"SINGLE": "999999"},  # unknown option
        {"SINGLE": ["A", "B"]},  # two answers to a single choice
        {"SINGLE": "A", "MULTIPLE": ["x", "y", "z"]},  # over max_choices
        {"SINGLE": "A", "SCALE": "9"},  # out of the scale
        {"SINGLE": "A", "SCALE": "abc"},
        {"SINGLE": "A", "RANKING": ["r1"]},  # partial ranking
        {"MULTIPLE": ["x"]},  # required question missing
    ],
)
def test_tampered_or_invalid_answers_are_refused(
    organisation: Organisation, commune: Commune, answers: dict[str, Any]
) -> None:
    c, single, multiple, ranking, scale, _text = _consultation(organisation)
    by_name = {"SINGLE": single, "MULTIPLE": multiple, "RANKING": ranking, "SCALE": scale}
    data: dict[Any, Any] = {}
    for key, value in answers.items():
        question = by_name.get(key)
        if question is None:
            data[key] = value
            continue

        def resolve(v: str, q: Any = question) -> Any:
            return _opt(q, v) if q.options.filter(label=v).exists() else v

        data[question.pk] = [resolve(v) for v in value] if isinstance(value, list) else resolve(value)
    with pytest.raises(ParticipationError) as exc:
        services.submit_response(make_participant(commune), c, data)
    assert exc.value.message
    assert not Response.objects.exists()


def test_results_suppress_small_counts(organisation: Organisation, commune: Commune, make_staff: Any) -> None:
    c, single, _multiple, _ranking, scale, text = _consultation(organisation)
    a, b, cc = (_opt(single, x) for x in "ABC")
    votes = [a] * 7 + [b] * 6 + [cc] * 2
    participants = [make_participant(commune) for _ in votes]
    for participant, option in zip(participants, votes, strict=True):
        services.submit_response(participant, c, {single.pk: option, scale.pk: 3, text.pk: "Idée"})
    res = selectors.consultation_results(c, k=5)
    assert res.respondents == 15
    q = res.questions[0]
    counts = {o.label: o.count for o in q.options}
    # C (2) is below k; B is hidden too, or 15 − 7 − 6 would give C back.
    assert counts["C"] is None
    assert counts["A"] == 7
    assert None in (counts["B"], q.respondents)
    # Free texts are not shown before moderation.
    assert res.questions[-1].texts == []
    staff = make_staff(organisation)
    answers = list(Answer.objects.filter(question=text).order_by("pk"))
    services.moderate_answer(answers[0], publish=True, actor=staff)
    with pytest.raises(ParticipationError, match="motif"):
        services.moderate_answer(answers[1], publish=False, actor=staff)
    services.moderate_answer(answers[1], publish=False, reason="Hors sujet", actor=staff)
    res = selectors.consultation_results(c, k=5)
    assert res.questions[-1].texts == ["Idée"]
    assert res.questions[-1].hidden_texts == ["Hors sujet"]
    # The scale: 15 × "3": published with its mean.
    scale_result = res.questions[3]
    assert scale_result.mean == 3
    assert {o.label: o.count for o in scale_result.options}["3"] == 15


def test_few_respondents_reveal_nothing(organisation: Organisation, commune: Commune) -> None:
    c, single, *_rest = _consultation(organisation)
    for _ in range(3):
        services.submit_response(make_participant(commune), c, {single.pk: _opt(single, "A")})
    res = selectors.consultation_results(c, k=5)
    assert res.respondents is None
    assert all(o.count in (None, 0) for o in res.questions[0].options)


def test_argued_answer_after_closing(organisation: Organisation, make_staff: Any) -> None:
    staff = make_staff(organisation)
    c, *_rest = _consultation(organisation)
    with pytest.raises(ParticipationError, match="après la clôture"):
        services.publish_consultation_answer(c, answer_text="Merci", actor=staff)
    closed, *_rest = _consultation(organisation, open_=False)
    with pytest.raises(ParticipationError, match="obligatoire"):
        services.publish_consultation_answer(closed, answer_text=" ", actor=staff)
    project = Project.objects.filter(organisation=organisation).first() or Project.objects.create(
        organisation=organisation,
        axis=organisation.axes.order_by("pk")[0],
        title="Projet",
        value_score=3,
        complexity_score=3,
        target_year=2027,
        target_quarter=1,
    )
    services.publish_consultation_answer(
        closed,
        answer_text="Merci, voici notre décision.",
        decision_text="On le fait.",
        projects=[project],
        actor=staff,
    )
    closed.refresh_from_db()
    assert closed.answered_at is not None
    assert closed.results_published_at is not None
    assert list(closed.roadmap_projects.all()) == [project]
    # An elected member (no write role) cannot publish; another tenant gets 404.
    with pytest.raises(ParticipationError) as exc:
        services.publish_consultation_answer(
            closed, answer_text="x", actor=make_staff(organisation, role="elu")
        )
    assert exc.value.status == 403


def test_questions_are_frozen_once_answered(organisation: Organisation, commune: Commune) -> None:
    c, single, *_rest = _consultation(organisation)
    services.submit_response(make_participant(commune), c, {single.pk: _opt(single, "A")})
    with pytest.raises(ParticipationError, match="ne changent plus"):
        services.add_question(c, kind=QuestionKind.TEXT, text="Encore ?")
