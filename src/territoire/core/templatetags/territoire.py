from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from territoire.indicators.models import IndicatorDefinition, Source
from territoire.indicators.status import Status
from territoire.territory import access
from territoire.territory.models import Scope

register = template.Library()

STATUS_LABELS = {
    Status.REACHED: _("Atteint"),
    Status.ON_TRACK: _("En bonne voie"),
    Status.AT_RISK: _("À surveiller"),
    Status.OFF_TRACK: _("En retard"),
    Status.NO_DATA: _("Sans cible ou sans mesure"),
}


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


@register.simple_tag
def status_badge(status: Status) -> SafeString:
    return format_html('<span class="status status-{}">{}</span>', status.slug, STATUS_LABELS[status])


@register.filter
def status_label(status: Status) -> str:
    return str(STATUS_LABELS[status])


@register.simple_tag(takes_context=True)
def can_record(context: dict[str, Any], scope: Scope, definition: IndicatorDefinition) -> bool:
    """Whether the current member may record a figure of ``definition`` for ``scope`` by hand."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return definition.source != Source.COMPUTED and access.can_write_measurement(user, scope)
