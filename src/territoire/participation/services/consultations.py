"""Consultations: set-up, responses (one per participant, edited until closing),
moderation of free text, publication of results and of the argued answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.participation.eligibility import ensure_eligible
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    VERSION_KEY,
    Answer,
    Consultation,
    ModerationStatus,
    Participant,
    Question,
    QuestionKind,
    QuestionOption,
    Residence,
    Response,
)
from territoire.participation.permissions import require_manager
from territoire.territory.models import Commune, Organisation, Zone

MAX_TEXT_LENGTH = 5000


def create_consultation(
    organisation: Organisation,
    *,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    actor: Any = None,
    commune: Commune | None = None,
    zone: Zone | None = None,
    description: str = "",
    theme: str = "",
    min_age: int | None = None,
    residence: str = Residence.TERRITORY,
    census_required: bool = False,
    suppression_k: int | None = None,
    publish: bool = True,
) -> Consultation:
    """Create a consultation (published at once unless ``publish=False``)."""
    if not title.strip():
        raise ParticipationError(_("Le titre est obligatoire."), field="title")
    if closes_at <= opens_at:
        raise ParticipationError(_("La clôture doit suivre l'ouverture."), field="closes_at")
    if commune is not None and commune.organisation_id != organisation.pk:
        raise ParticipationError(_("Commune inconnue."), field="commune")
    if zone is not None and (commune is None or zone.commune_id != commune.pk):
        raise ParticipationError(_("Ce quartier n'appartient pas à la commune choisie."), field="zone")
    consultation = Consultation(
        organisation=organisation,
        commune=commune,
        zone=zone,
        title=title.strip(),
        description=description,
        theme=theme,
        opens_at=opens_at,
        closes_at=closes_at,
        min_age=min_age,
        residence=residence,
        census_required=census_required,
        suppression_k=suppression_k,
        published_at=timezone.now() if publish else None,
    )
    require_manager(actor, consultation)
    with action(
        "participation.create_consultation",
        actor=actor,
        obj=consultation,
        organisation_id=organisation.pk,
        changes={"title": consultation.title},
        versions=(VERSION_KEY,),
    ):
        consultation.save()
    return consultation


def add_question(
    consultation: Consultation,
    *,
    kind: str,
    text: str,
    options: Sequence[str] = (),
    required: bool = False,
    max_choices: int | None = None,
    scale_min: int | None = None,
    scale_max: int | None = None,
    scale_min_label: str = "",
    scale_max_label: str = "",
    help_text: str = "",
    actor: Any = None,
) -> Question:
    """Add a question (with its options) at the end of the consultation."""
    require_manager(actor, consultation)
    if kind not in QuestionKind.values:
        raise ParticipationError(_("Type de question inconnu."), field="kind")
    if consultation.responses.exists():
        raise ParticipationError(
            _("Des réponses ont été reçues : les questions ne changent plus."), field="kind"
        )
    choice_kinds = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)
    if kind in choice_kinds and len([o for o in options if o.strip()]) < 2:
        raise ParticipationError(_("Une question à choix demande au moins deux options."), field="options")
    if kind == QuestionKind.SCALE and (scale_min is None or scale_max is None or scale_max <= scale_min):
        raise ParticipationError(
            _("Indiquez une échelle dont le maximum dépasse le minimum."), field="scale_max"
        )
    with action(
        "participation.add_question",
        actor=actor,
        organisation_id=consultation.organisation_id,
        versions=(),
    ) as act:
        position = consultation.questions.count() + 1
        question = Question.objects.create(
            consultation=consultation,
            position=position,
            kind=kind,
            text=text,
            help_text=help_text,
            required=required,
            max_choices=max_choices if kind == QuestionKind.MULTIPLE else None,
            scale_min=scale_min if kind == QuestionKind.SCALE else None,
            scale_max=scale_max if kind == QuestionKind.SCALE else None,
            scale_min_label=scale_min_label,
            scale_max_label=scale_max_label,
        )
        if kind in choice_kinds:
            QuestionOption.objects.bulk_create(
                [
                    QuestionOption(question=question, position=i, label=label.strip())
                    for i, label in enumerate((o for o in options if o.strip()), start=1)
                ]
            )
        act.obj = question
        act.changes = {"kind": kind, "text": text}
    return question


def _option_ids(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str | int):
        return [str(value)]
    if isinstance(value, Iterable):
        return [str(v) for v in value if str(v) != ""]
    return [str(value)]


def _build_answers(consultation: Consultation, answers: Mapping[Any, Any]) -> list[Answer]:
    """Validate ``answers`` (question id → value) and return the unsaved Answer rows."""
    questions = {str(q.pk): q for q in consultation.questions.prefetch_related("options")}
    unknown = [str(k) for k in answers if str(k) not in questions]
    if unknown:
        raise ParticipationError(
            _("Question inconnue dans le formulaire."), field=f"q{unknown[0]}", status=400
        )
    rows: list[Answer] = []
    for key, question in questions.items():
        raw = answers.get(key, answers.get(int(key)) if key.isascii() and key.isdecimal() else None)
        field = f"q{key}"
        options = {str(o.pk): o for o in question.options.all()}
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING):
            ids = _option_ids(raw)
            if any(i not in options for i in ids):
                raise ParticipationError(
                    _("Option inconnue pour « %(q)s ».") % {"q": question.text}, field=field, status=400
                )
            if len(set(ids)) != len(ids):
                raise ParticipationError(
                    _("Option choisie deux fois pour « %(q)s ».") % {"q": question.text}, field=field
                )
            if question.kind == QuestionKind.SINGLE and len(ids) > 1:
                raise ParticipationError(
                    _("Une seule réponse possible pour « %(q)s ».") % {"q": question.text}, field=field
                )
            if (
                question.kind == QuestionKind.MULTIPLE
                and question.max_choices
                and len(ids) > question.max_choices
            ):
                raise ParticipationError(
                    _("Au plus %(n)s choix pour « %(q)s ».")
                    % {"n": question.max_choices, "q": question.text},
                    field=field,
                )
            if question.kind == QuestionKind.RANKING and ids and len(ids) != len(options):
                raise ParticipationError(
                    _("Classez toutes les options de « %(q)s ».") % {"q": question.text}, field=field
                )
            if not ids:
                if question.required:
                    raise ParticipationError(_("Répondez à « %(q)s ».") % {"q": question.text}, field=field)
                continue
            rows.extend(
                Answer(
                    question=question,
                    option=options[i],
                    rank=rank if question.kind == QuestionKind.RANKING else None,
                )
                for rank, i in enumerate(ids, start=1)
            )
        elif question.kind == QuestionKind.SCALE:
            if raw is None or raw == "":
                if question.required:
                    raise ParticipationError(_("Répondez à « %(q)s ».") % {"q": question.text}, field=field)
                continue
            try:
                value = int(str(raw))
            except ValueError as exc:
                raise ParticipationError(
                    _("Valeur invalide pour « %(q)s ».") % {"q": question.text}, field=field, status=400
                ) from exc
            low, high = question.scale_min, question.scale_max
            if low is None or high is None or not low <= value <= high:
                raise ParticipationError(
                    _("Choisissez une valeur de %(a)s à %(b)s pour « %(q)s ».")
                    % {"a": low, "b": high, "q": question.text},
                    field=field,
                )
            rows.append(Answer(question=question, value=value))
        else:
            text = str(raw or "").strip()
            if not text:
                if question.required:
                    raise ParticipationError(_("Répondez à « %(q)s ».") % {"q": question.text}, field=field)
                continue
            if len(text) > MAX_TEXT_LENGTH:
                raise ParticipationError(
                    _("Réponse trop longue (%(n)s caractères au plus).") % {"n": MAX_TEXT_LENGTH}, field=field
                )
            rows.append(Answer(question=question, text=text, moderation=ModerationStatus.PENDING))
    return rows


def submit_response(
    participant: Participant | None,
    consultation: Consultation,
    answers: Mapping[Any, Any],
    *,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> Response:
    """Record (or replace, until closing) the participant's response.

    ``answers`` maps a question id (str or int) to: an option id (single choice), a list
    of option ids (multiple choice; ranking: in order of preference), an integer (scale)
    or a text (free text, published only after moderation). Refused outside the window,
    for an ineligible participant, and for unknown questions/options (tampered form).
    One response per participant is guaranteed by the database; a second submission
    edits the first in place.
    """
    now = now or timezone.now()
    if consultation.published_at is None or now < consultation.opens_at:
        raise ParticipationError(_("Cette consultation n'est pas encore ouverte."), status=403)
    if now >= consultation.closes_at:
        raise ParticipationError(
            _("Cette consultation est close : les réponses ne sont plus modifiables."), status=403
        )
    participant = ensure_eligible(participant, consultation)
    rows = _build_answers(consultation, answers)
    if not rows:
        raise ParticipationError(_("Répondez à au moins une question."))
    with action(
        "participation.submit_response",
        actor=participant.user,
        organisation_id=consultation.organisation_id,
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    ) as act:
        # Lock the participant: two submissions of the same person run one after the other.
        Participant.objects.select_for_update(of=("self",)).filter(pk=participant.pk).first()
        response = (
            Response.objects.select_for_update(of=("self",))
            .filter(consultation=consultation, participant=participant)
            .first()
        )
        created = response is None
        if response is None:
            try:
                with transaction.atomic():
                    response = Response.objects.create(consultation=consultation, participant=participant)
            except IntegrityError:
                response = Response.objects.select_for_update(of=("self",)).get(
                    consultation=consultation, participant=participant
                )
                created = False
        else:
            response.save(update_fields=["updated_at"])
        response.answers.all().delete()
        for row in rows:
            row.response = response
        Answer.objects.bulk_create(rows)
        if not created:
            act.name = "participation.edit_response"
        act.obj = response
        act.changes = {"consultation": str(consultation.public_id), "answers": len(rows)}
    return response


def moderate_answer(answer: Answer, *, publish: bool, reason: str = "", actor: Any = None) -> Answer:
    """Publish a free-text answer, or hide it with a public reason (kept, audited)."""
    consultation = answer.response.consultation
    require_manager(actor, consultation)
    if answer.question.kind != QuestionKind.TEXT:
        raise ParticipationError(_("Seules les réponses en texte libre se modèrent."))
    if not publish and not reason.strip():
        raise ParticipationError(_("Indiquez le motif public du masquage."), field="reason")
    with action(
        "participation.publish_answer_text" if publish else "participation.hide_answer_text",
        actor=actor,
        obj=answer,
        organisation_id=consultation.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        now = timezone.now()
        answer.moderation = ModerationStatus.PUBLISHED if publish else ModerationStatus.HIDDEN
        answer.hidden_reason = "" if publish else reason.strip()
        answer.hidden_at = None if publish else now
        answer.moderated_at = now
        answer.save(update_fields=["moderation", "hidden_reason", "hidden_at", "moderated_at"])
        act.changes = {"reason": answer.hidden_reason, "text": answer.text}
    return answer


def publish_consultation_results(consultation: Consultation, *, actor: Any = None) -> Consultation:
    """Publish the results of a closed consultation (counts below k stay suppressed)."""
    require_manager(actor, consultation)
    if not consultation.is_closed():
        raise ParticipationError(_("Les résultats se publient après la clôture."), status=409)
    with action(
        "participation.publish_consultation_results",
        actor=actor,
        obj=consultation,
        organisation_id=consultation.organisation_id,
        versions=(VERSION_KEY,),
    ):
        consultation.results_published_at = timezone.now()
        consultation.save(update_fields=["results_published_at", "updated_at"])
    return consultation


def publish_consultation_answer(
    consultation: Consultation,
    *,
    answer_text: str,
    decision_text: str = "",
    projects: Iterable[Any] = (),
    decisions: Iterable[Any] = (),
    actor: Any = None,
) -> Consultation:
    """Publish the commune's argued answer and the decision taken, linked to roadmap
    projects or decisions of the same organisation. Only after closing."""
    require_manager(actor, consultation)
    if not consultation.is_closed():
        raise ParticipationError(_("La réponse se publie après la clôture."), status=409)
    if not answer_text.strip():
        raise ParticipationError(_("La réponse argumentée est obligatoire."), field="answer_text")
    projects = list(projects)
    decisions = list(decisions)
    if any(p.organisation_id != consultation.organisation_id for p in [*projects, *decisions]):
        raise ParticipationError(_("Projet ou décision inconnu."), field="projects")
    with action(
        "participation.publish_consultation_answer",
        actor=actor,
        obj=consultation,
        organisation_id=consultation.organisation_id,
        versions=(VERSION_KEY,),
    ) as act:
        consultation.answer_text = answer_text.strip()
        consultation.decision_text = decision_text.strip()
        if consultation.answered_at is None:
            consultation.answered_at = timezone.now()
        consultation.answered_by = actor if getattr(actor, "pk", None) else None
        consultation.save()
        consultation.roadmap_projects.set(projects)
        consultation.roadmap_decisions.set(decisions)
        if consultation.results_published_at is None:
            consultation.results_published_at = consultation.answered_at
            consultation.save(update_fields=["results_published_at"])
        act.changes = {
            "answer_text": consultation.answer_text,
            "decision_text": consultation.decision_text,
            "projects": [p.pk for p in projects],
            "decisions": [d.pk for d in decisions],
        }
    return consultation
