"""Fields with a French and an English version (django-modeltranslation)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from territoire.reports.models import ReportStatus, ServiceAttribute, ServiceCategory


@register(ServiceCategory)
class ServiceCategoryTranslation(TranslationOptions):
    fields = ("name", "description", "group")


@register(ServiceAttribute)
class ServiceAttributeTranslation(TranslationOptions):
    fields = ("description", "datatype_description")


@register(ReportStatus)
class ReportStatusTranslation(TranslationOptions):
    fields = ("label",)
