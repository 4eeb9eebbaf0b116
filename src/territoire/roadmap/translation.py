"""Fields with a French and an English version (django-modeltranslation)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from territoire.roadmap.models import Axis, Objective, Partner, Project, Risk


@register(Axis)
class AxisTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Objective)
class ObjectiveTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Project)
class ProjectTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Risk)
class RiskTranslation(TranslationOptions):
    fields = ("title", "description", "mitigation")


@register(Partner)
class PartnerTranslation(TranslationOptions):
    # Not the name: a proper name, unique within the organisation.
    fields = ("description",)
