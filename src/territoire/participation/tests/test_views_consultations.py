"""Consultation pages: list, detail with the answer form (every question kind), editing
until closing, refusals (closed, ineligible, tampered form), results with suppression."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from territoire.participation.models import (
    Answer,
    Consultation,
    Participant,
    Question,
    QuestionKind,
    Response,
)
from territoire.participation.services import consultations as consultation_services
from territoire.participation.tests.test_views_budgets import make_resident, sign_in, url
from territoire.roadmap.models import Axis, Project
from territoire.territory.models import Commune, Organisation

DAY = dt.timedelta(days=1)


def make_consultation(organisation: Organisation, *, open_now: bool = True, **options: Any) -> Consultation:
    now = timezone.now()
    opens, closes = (now - DAY, now + 10 * DAY) if open_now else (now - 10 * DAY, now - DAY)
    consultation = consultation_services.create_consultation(
        organisation,
        title="Avenir du centre-bourg",
        opens_at=opens,
        closes_at=closes,
        theme="Mobilité",
        **options,
    )
    consultation_services.add_question(
        consultation,
        kind=QuestionKind.SINGLE,
        text="Faut-il piétonniser ?",
        options=["Oui", "Non"],
        required=True,
    )
    consultation_services.add_question(
        consultation,
        kind=QuestionKind.MULTIPLE,
        text="Quels usages ?",
        options=["Marché", "Jeux", "Terrasses"],
        max_choices=2,
    )
    consultation_services.add_question(
        consultation, kind=QuestionKind.RANKING, text="Vos priorités", options=["Arbres", "Bancs", "Vélos"]
    )
    consultation_services.add_question(
        consultation,
        kind=QuestionKind.SCALE,
        text="Satisfaction",
        scale_min=1,
        scale_max=5,
        scale_min_label="faible",
        scale_max_label="forte",
    )
    consultation_services.add_question(consultation, kind=QuestionKind.TEXT, text="Une idée ?")
    return consultation


def form_data(
    consultation: Consultation, *, single: str = "Oui", text: str = "Plus d'ombre."
) -> dict[str, Any]:
    questions = {q.kind: q for q in consultation.questions.prefetch_related("options")}
    options = {kind: {o.label: str(o.pk) for o in q.options.all()} for kind, q in questions.items()}
    ranking = questions[QuestionKind.RANKING]
    return {
        f"q{questions[QuestionKind.SINGLE].pk}": options[QuestionKind.SINGLE][single],
        f"q{questions[QuestionKind.MULTIPLE].pk}": [options[QuestionKind.MULTIPLE]["Marché"]],
        **{
            f"q{ranking.pk}_{oid}": rank
            for rank, oid in enumerate(options[QuestionKind.RANKING].values(), start=1)
        },
        f"q{questions[QuestionKind.SCALE].pk}": "4",
        f"q{questions[QuestionKind.TEXT].pk}": text,
    }


@pytest.fixture
def resident(commune: Commune) -> Participant:
    return make_resident("repondante@example.org", commune)


def detail_url(consultation: Consultation) -> str:
    return url("participation-consultation", "200000001", consultation.public_id)


def test_list_groups_open_and_closed(client: Client, organisation: Organisation) -> None:
    open_one = make_consultation(organisation)
    closed = make_consultation(organisation, open_now=False)
    closed.title = "Ancienne consultation"
    closed.save()
    body = client.get(url("participation-consultations", "200000001")).content.decode()
    assert body.index(open_one.title) < body.index("Closes") < body.index("Ancienne consultation")
    index = client.get(url("participation-index", "200000001")).content.decode()
    assert open_one.title in index


def test_every_question_kind_has_an_accessible_field(
    client: Client, organisation: Organisation, resident: Participant
) -> None:
    consultation = make_consultation(organisation)
    sign_in(client, resident)
    body = client.get(detail_url(consultation)).content.decode()
    assert body.count("<fieldset") >= 4  # single, multiple, ranking, scale
    assert 'type="radio"' in body
    assert 'type="checkbox"' in body
    assert 'type="number"' in body
    assert "<textarea" in body
    assert "Au plus 2 choix." in body
    assert "5 — forte" in body
    assert "Qui peut participer ?" in body


def test_resident_answers_then_edits_until_closing(
    client: Client, organisation: Organisation, resident: Participant
) -> None:
    consultation = make_consultation(organisation)
    sign_in(client, resident)
    response = client.post(detail_url(consultation), form_data(consultation))
    assert response.status_code == 302
    stored = Response.objects.get(participant=resident)
    assert stored.answers.count() == 1 + 1 + 3 + 1 + 1
    page = client.get(detail_url(consultation)).content.decode()
    assert "Modifier ma réponse" in page
    assert "Plus d&#x27;ombre." in page  # the previous answer is shown
    response = client.post(
        detail_url(consultation), form_data(consultation, single="Non", text="Des fontaines.")
    )
    assert response.status_code == 302
    assert Response.objects.filter(participant=resident).count() == 1
    assert (
        Answer.objects.get(response__participant=resident, question__kind=QuestionKind.TEXT).text
        == "Des fontaines."
    )


@pytest.mark.parametrize(
    ("change", "message", "status"),
    [
        # The form refuses what it can check alone (400); the service what needs the
        # question's rules (422).
        ("missing_required", "obligatoire", 400),
        ("foreign_option", "choix valide", 400),
        ("ranking_duplicate", "rang différent", 400),
        ("scale_out_of_range", "choix valide", 400),
        ("too_many_choices", "Au plus 2 choix", 422),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(
    client: Client, organisation: Organisation, resident: Participant, change: str, message: str, status: int
) -> None:
    consultation = make_consultation(organisation)
    data = form_data(consultation)
    questions = {q.kind: q for q in consultation.questions.prefetch_related("options")}
    single = f"q{questions[QuestionKind.SINGLE].pk}"
    multiple = f"q{questions[QuestionKind.MULTIPLE].pk}"
    if change == "missing_required":
        del data[single]
    elif change == "foreign_option":
        # An option id of another question, in a tampered form.
        data[single] = str(questions[QuestionKind.MULTIPLE].options.first().pk)  # type: ignore[union-attr]
    elif change == "ranking_duplicate":
        for key in [k for k in data if k.startswith(f"q{questions[QuestionKind.RANKING].pk}_")]:
            data[key] = 1
    elif change == "scale_out_of_range":
        data[f"q{questions[QuestionKind.SCALE].pk}"] = "9"
    else:
        data[multiple] = [str(o.pk) for o in questions[QuestionKind.MULTIPLE].options.all()]
    sign_in(client, resident)
    response = client.post(detail_url(consultation), data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Response.objects.exists()


def test_closed_consultation_refuses_answers(
    client: Client, organisation: Organisation, resident: Participant
) -> None:
    consultation = make_consultation(organisation, open_now=False)
    sign_in(client, resident)
    assert "est close" in client.get(detail_url(consultation)).content.decode()
    response = client.post(detail_url(consultation), form_data(consultation))
    assert response.status_code == 403
    assert "rien n&#x27;a été enregistré" in response.content.decode()
    assert not Response.objects.exists()


def test_ineligible_resident_sees_why_and_cannot_answer(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    consultation = make_consultation(organisation, min_age=16)
    young = make_resident("jeune@example.org", commune, birth_year=timezone.localdate().year - 12)
    sign_in(client, young)
    page = client.get(detail_url(consultation)).content.decode()
    assert "16 ans ou plus" in page
    assert "<textarea" not in page
    response = client.post(detail_url(consultation), form_data(consultation))
    assert response.status_code == 403
    assert not Response.objects.exists()
    # Anonymous: invited to sign in.
    client.logout()
    page = client.get(detail_url(consultation)).content.decode()
    assert "Connectez-vous" in page
    assert client.post(detail_url(consultation), form_data(consultation)).status_code == 403


def test_draft_and_other_organisation_consultations_are_404(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    draft = make_consultation(organisation, publish=False)
    assert client.get(detail_url(draft)).status_code == 404
    published = make_consultation(organisation)
    assert client.get(url("participation-consultation", "200000002", published.public_id)).status_code == 404


def _closed_with_responses(organisation: Organisation, commune: Commune, answers: list[str]) -> Consultation:
    consultation = make_consultation(organisation, open_now=False)
    during = consultation.opens_at + DAY
    questions = {q.kind: q for q in consultation.questions.prefetch_related("options")}
    single = questions[QuestionKind.SINGLE]
    options = {o.label: o.pk for o in single.options.all()}
    for index, choice in enumerate(answers):
        participant = make_resident(f"votant{index}@example.org", commune)
        consultation_services.submit_response(
            participant,
            consultation,
            {
                str(single.pk): str(options[choice]),
                str(questions[QuestionKind.TEXT].pk): f"Idée numéro {index}",
            },
            now=during,
        )
    return consultation


def test_results_suppress_small_counts_and_show_moderated_texts_and_answer(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    consultation = _closed_with_responses(organisation, commune, ["Oui"] * 6 + ["Non"] * 2)
    results = url("participation-consultation-results", "200000001", consultation.public_id)
    assert client.get(results).status_code == 404  # not yet published
    texts = list(Answer.objects.filter(question__kind=QuestionKind.TEXT).order_by("pk"))
    consultation_services.moderate_answer(texts[0], publish=True)
    consultation_services.moderate_answer(texts[1], publish=False, reason="Propos injurieux")
    consultation_services.publish_consultation_results(consultation)
    axis = Axis.objects.filter(organisation=organisation).first()
    assert axis is not None  # the template roadmap's axes
    project = Project.objects.create(
        organisation=organisation,
        axis=axis,
        title="Piétonnisation du centre-bourg",
        value_score=4,
        complexity_score=2,
        target_year=2027,
        target_quarter=2,
    )
    consultation_services.publish_consultation_answer(
        consultation,
        answer_text="Nous piétonnisons le samedi.",
        decision_text="Délibération du conseil.",
        projects=[project],
    )
    body = client.get(results).content.decode()
    assert "&lt; 5" in body  # "Non": 2 respondents
    assert '<td class="num">6</td>' not in body  # 6 would give the 2 back from the total of 8
    assert "Idée numéro 0" in body
    assert "Idée numéro 1" not in body
    assert "Idée numéro 2" not in body
    assert "1 réponse masquée" in body
    assert "Nous piétonnisons le samedi." in body
    assert project.title in body
    assert "votant" not in body


def test_results_of_a_small_consultation_hide_everything(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    consultation = _closed_with_responses(organisation, commune, ["Oui", "Non", "Oui"])
    consultation_services.publish_consultation_results(consultation)
    body = client.get(
        url("participation-consultation-results", "200000001", consultation.public_id)
    ).content.decode()
    assert body.count('<span class="suppressed">&lt; 5</span>') >= 3
    assert Question.objects.filter(consultation=consultation).count() == 5
