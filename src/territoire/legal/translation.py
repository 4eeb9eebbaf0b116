"""Fields with a French and an English version (django-modeltranslation)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from territoire.legal.models import ProcessingDecision, SiteNotice


@register(SiteNotice)
class SiteNoticeTranslation(TranslationOptions):
    fields = (
        "legal_extra",
        "non_conformities",
        "derogations",
        "exempt_content",
        "multiyear_plan",
        "action_plan",
        "privacy_extra",
    )


@register(ProcessingDecision)
class ProcessingDecisionTranslation(TranslationOptions):
    fields = ("legal_basis", "retention")
