"""English of the demo's consultations and budgets (django-modeltranslation's ``*_en``
columns): what the organisation wrote reads in English under /en/; what residents wrote
(proposals, answers) stays in their words."""

from __future__ import annotations

import re

from territoire.core.languages import fill_english
from territoire.participation.models import (
    BudgetCategory,
    Consultation,
    Envelope,
    ParticipatoryBudget,
    Question,
    QuestionOption,
)
from territoire.territory.models import Organisation

ENGLISH = {
    # Consultations
    "Quelles priorités pour les services en ligne ?": "Which online services first?",
    "Aidez-nous à choisir les démarches à mettre en ligne en priorité.": (
        "Help us choose which procedures to put online first."
    ),
    "Réaménagement de la place du marché": "Redesign of the market square",
    "Donnez votre avis avant les travaux.": "Tell us what you think before the works.",
    # Questions and their options
    "Quelle démarche voulez-vous d'abord faire en ligne ?": "Which procedure would you like to do online first?",
    "Inscriptions scolaires": "School enrolment",
    "Réservation de salles": "Booking rooms",
    "Demandes d'urbanisme": "Planning applications",
    "Rendez-vous en mairie": "Town hall appointments",
    "Êtes-vous à l'aise avec les démarches en ligne ?": "Are you comfortable with online procedures?",
    "Pas du tout": "Not at all",
    "Tout à fait": "Completely",
    "Une idée, une remarque ?": "An idea, a comment?",
    "Que souhaitez-vous sur la place ?": "What would you like on the square?",
    "Des arbres": "Trees",
    "Des bancs": "Benches",
    "Un marché couvert": "A covered market",
    "Du stationnement vélo": "Bicycle parking",
    "Classez ces usages de la place": "Rank these uses of the square",
    "Marché": "Market",
    "Fêtes": "Festivities",
    "Stationnement": "Parking",
    # Budgets
    "Proposez, puis votez pour les projets de votre territoire.": "Propose, then vote for your area's projects.",
    "Enveloppe intercommunale": "Inter-municipal envelope",
    "Cadre de vie": "Living environment",
    "Environnement": "Environment",
    "Culture": "Culture",
    "Mobilités": "Transport",
    "Inclusion numérique": "Digital inclusion",
}


def _with_numbers(texts: list[str]) -> dict[str, str]:
    """English of texts made of a known pattern and a number or a name."""
    english = {}
    for text in texts:
        if match := re.fullmatch(r"Budget participatif (\d{4})", text):
            english[text] = f"Participatory budget {match[1]}"
        elif match := re.fullmatch(r"Quartier (.+)", text):
            english[text] = f"{match[1]} district"
    return english


def translate(organisation: Organisation) -> int:
    """Fill the English of the demo's consultations, questions and budgets; records filled."""
    consultations = Consultation.objects.filter(organisation=organisation)
    budgets = ParticipatoryBudget.objects.filter(organisation=organisation)
    envelopes = Envelope.objects.filter(budget__organisation=organisation)
    # The French columns (title_fr, name_fr) are django-modeltranslation's, made at run time.
    named = _with_numbers(
        [getattr(b, "title_fr", None) or "" for b in budgets]
        + [getattr(e, "name_fr", None) or "" for e in envelopes]
    )
    english = {**ENGLISH, **named}
    return (
        fill_english(consultations, ("title", "description"), english)
        + fill_english(
            Question.objects.filter(consultation__organisation=organisation),
            ("text", "scale_min_label", "scale_max_label"),
            english,
        )
        + fill_english(
            QuestionOption.objects.filter(question__consultation__organisation=organisation),
            ("label",),
            english,
        )
        + fill_english(budgets, ("title", "description"), english)
        + fill_english(envelopes, ("name",), english)
        + fill_english(BudgetCategory.objects.filter(budget__organisation=organisation), ("name",), english)
    )
