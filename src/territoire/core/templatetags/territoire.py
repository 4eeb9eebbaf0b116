"""Template filters of every page: numbers and dates in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language

from territoire.core import modules

register = template.Library()


@register.filter
def figure(value: Decimal | float | int | None, decimals: int = 1) -> str:
    """A number in the reader's language (1 234,5 in French), with fixed decimals."""
    if value is None or value == "":
        return "—"
    return number_format(Decimal(value), decimal_pos=int(decimals), use_l10n=True, force_grouping=True)


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{number_format(Decimal(value * 100), decimal_pos=0, use_l10n=True)} %"


# Named formats of ``long_date``: month names in full (never Django's French abbreviations
# "jan", "jui", which are not the French way), unambiguous in English too.
LONG_DATE_FORMATS = {"DATE": "j F Y", "DATETIME": "j F Y, H:i", "DAY": "j F"}
_DAY = re.compile(r"(?<!\\)j")


@register.filter(expects_localtime=True)
def long_date(value: dt.date | dt.datetime | None, name: str = "DATE") -> str:
    """A date in words in the reader's language: "1er décembre 2026" in French (the first
    of the month is an ordinal), "1 December 2026" in English."""
    if value is None or value == "":
        return ""
    fmt = LONG_DATE_FORMATS.get(name, name)
    if value.day == 1 and (get_language() or "fr").startswith("fr"):
        fmt = _DAY.sub(r"\\1\\e\\r", fmt)
    return date_format(value, fmt)


@register.simple_tag(takes_context=True)
def staff_links(context: dict[str, Any], organisation: Any) -> list[tuple[str, str]]:
    """The staff actions on ``organisation`` the signed-in person may take (label, URL):
    what the manifests declare (``StaffLink``), each offered only to those it allows."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if organisation is None or user is None or not user.is_authenticated:
        return []
    return [
        (str(link.label), reverse(link.url_name, args=[organisation.siren]))
        for link in modules.staff_links()
        if link.offered_to(user, organisation)
    ]
