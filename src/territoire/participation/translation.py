"""Fields with a French and an English version (django-modeltranslation).

What the organisation writes (consultations, their questions, budgets, envelopes,
categories); what residents write (proposals, answers) stays in their words.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from territoire.participation.models import (
    BudgetCategory,
    Consultation,
    Envelope,
    ParticipatoryBudget,
    Question,
    QuestionOption,
)


@register(Consultation)
class ConsultationTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("text", "help_text", "scale_min_label", "scale_max_label")


@register(QuestionOption)
class QuestionOptionTranslation(TranslationOptions):
    fields = ("label",)


@register(ParticipatoryBudget)
class ParticipatoryBudgetTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Envelope)
class EnvelopeTranslation(TranslationOptions):
    fields = ("name",)


@register(BudgetCategory)
class BudgetCategoryTranslation(TranslationOptions):
    fields = ("name",)
