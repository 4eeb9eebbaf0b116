"""Consultation pages: the participation home, the list, a consultation with its answer
form (every question kind, editable until closing), the results after closing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from territoire.core.http import client_ip
from territoire.core.ratelimit import rate_limited
from territoire.participation import forms, selectors
from territoire.participation.eligibility import check_eligibility
from territoire.participation.errors import ParticipationError
from territoire.participation.models import QuestionKind
from territoire.participation.services import consultations as consultation_services
from territoire.participation.views.budgets import phase_label
from territoire.participation.views.common import Place, page, place


def index(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    now = timezone.now()
    open_consultations = [c for c in selectors.public_consultations(where.organisation) if c.is_open(now)]
    budgets = list(selectors.public_budgets(where.organisation))
    for budget in budgets:
        budget.phase_label = phase_label(budget)  # type: ignore[attr-defined]
    return page(request, "index.html", where, open_consultations=open_consultations, budgets=budgets)


def consultation_list(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    now = timezone.now()
    items = list(selectors.public_consultations(where.organisation))
    groups = [
        {
            "title": _("En cours"),
            "items": [c for c in items if c.is_open(now)],
            "empty": _("Aucune consultation ouverte en ce moment."),
        },
        {
            "title": _("À venir"),
            "items": [c for c in items if now < c.opens_at],
            "empty": _("Aucune consultation annoncée."),
        },
        {
            "title": _("Closes"),
            "items": [c for c in items if c.is_closed(now)],
            "empty": _("Aucune consultation close."),
        },
    ]
    return page(request, "consultations/list.html", where, groups=groups)


def _consultation(where: Place, consultation_id: UUID) -> Any:
    consultation = selectors.public_consultation(where.organisation, consultation_id)
    if consultation is None:
        raise Http404("unknown consultation")
    return consultation


def _state(consultation: Any) -> str:
    now = timezone.now()
    if consultation.is_open(now):
        return "open"
    return "closed" if consultation.is_closed(now) else "upcoming"


@require_http_methods(["GET", "POST"])
@rate_limited("public_write")
def detail(request: HttpRequest, scope_code: str, consultation_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    consultation = _consultation(where, consultation_id)
    questions = list(consultation.questions.all())
    state = _state(consultation)
    reasons = check_eligibility(where.resident, consultation) if state == "open" else []
    existing = selectors.my_response(where.resident, consultation) or None
    status = 200
    refusal = ""
    form = None
    if request.method == "POST" and (state != "open" or reasons):
        # Outside the window or not eligible: refused, nothing stored.
        status = 403
        refusal = (
            " ".join(reasons)
            if state == "open"
            else _("Cette consultation n'accepte pas de réponse en ce moment : rien n'a été enregistré.")
        )
    elif state == "open" and not reasons:
        initial = forms.ResponseForm.initial_from(existing, questions) if existing else None
        form = forms.ResponseForm(request.POST or None, questions=questions, initial=initial)
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    consultation_services.submit_response(
                        where.resident, consultation, form.answers(), ip_address=client_ip(request)
                    )
                except ParticipationError as error:
                    forms.apply_error(form, error)
                    status = error.status
                else:
                    messages.success(
                        request,
                        _("Votre réponse est enregistrée. Vous pouvez la modifier jusqu'à la clôture.")
                        if existing is None
                        else _("Votre réponse est modifiée."),
                    )
                    return HttpResponseRedirect(
                        reverse("participation-consultation", args=[scope_code, consultation.public_id])
                    )
    fields = []
    if form is not None:
        for question in questions:
            ranking = form.ranking_fields(question)
            fields.append(
                {
                    "question": question,
                    "ranking": ranking,
                    "field": None if ranking else form[f"q{question.pk}"],
                }
            )
    return page(
        request,
        "consultations/detail.html",
        where,
        status=status,
        consultation=consultation,
        process=consultation,
        questions=questions,
        state=state,
        reasons=reasons,
        existing=existing,
        form=form,
        fields=fields,
        refusal=refusal,
    )


def results(request: HttpRequest, scope_code: str, consultation_id: UUID) -> HttpResponse:
    where = place(request, scope_code)
    consultation = _consultation(where, consultation_id)
    if consultation.results_published_at is None:
        return page(request, "consultations/no_results.html", where, status=404, consultation=consultation)
    summary = selectors.consultation_results(consultation)
    for item in summary.questions:
        if item.kind == QuestionKind.RANKING:
            size = len(item.options)
            item.rank_rows = [  # type: ignore[attr-defined]
                {"option": option, "cells": [item.ranks.get((option.label, r)) for r in range(1, size + 1)]}
                for option in item.options
            ]
            item.rank_numbers = list(range(1, size + 1))  # type: ignore[attr-defined]
    return page(
        request,
        "consultations/results.html",
        where,
        consultation=consultation,
        summary=summary,
        suppressed=f"< {summary.k}",
        projects=list(consultation.roadmap_projects.all()),
        decisions=list(consultation.roadmap_decisions.all()),
    )
