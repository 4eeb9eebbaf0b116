"""Fields with a French and an English version (django-modeltranslation)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from territoire.indicators.models import IndicatorDefinition


@register(IndicatorDefinition)
class IndicatorDefinitionTranslation(TranslationOptions):
    fields = ("name", "description", "method")
