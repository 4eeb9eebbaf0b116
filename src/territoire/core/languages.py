"""Content in each of the site's languages (django-modeltranslation's ``<field>_<lang>``).

The roadmap template and the modules write their texts in French through gettext; the
English catalogue holds their English. These helpers turn one such text into the values
of every language's column, so that the content staff then edit (both languages, in the
back-office) starts with the English of the catalogue rather than an empty field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise


def in_each_language(field: str, text: str | Promise) -> dict[str, str]:
    """``{field: fr, field_fr: fr, field_en: en}`` for a (lazy) gettext text.

    A language whose catalogue has no translation of the text gets an empty column (the
    page then falls back to French) rather than a copy of the French.
    """
    default = settings.LANGUAGE_CODE
    with translation.override(default):
        original = str(text)
    values = {field: original}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translated = str(text)
        values[f"{field}_{code}"] = translated if code == default or translated != original else ""
    return values


def with_english(field: str, french: str, english: Mapping[str, str]) -> dict[str, Any]:
    """``{field: french, field_fr: french, field_en: english[french]}`` (demo data in plain strings)."""
    default = settings.LANGUAGE_CODE
    values: dict[str, Any] = {field: french, f"{field}_{default}": french}
    if french in english:
        values[f"{field}_en"] = english[french]
    return values


def fill_english(queryset: QuerySet[Any], fields: tuple[str, ...], english: Mapping[str, str]) -> int:
    """Set ``<field>_en`` of every record whose French is a key of ``english`` (demo data).

    One UPDATE per record that has something to fill; the count of records filled.
    """
    filled = 0
    for record in queryset:
        updates = {
            f"{name}_en": english[value]
            for name in fields
            if (value := getattr(record, f"{name}_{settings.LANGUAGE_CODE}")) in english
        }
        if updates:
            filled += queryset.model._default_manager.filter(pk=record.pk).update(**updates)
    return filled
