"""Template filters of every page: numbers in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

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
