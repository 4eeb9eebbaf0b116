"""Template tags of the spine's figures: a target's status, the right to record a figure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from territoire.indicators import wording
from territoire.indicators.models import IndicatorDefinition, Measurement, Source
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


@register.simple_tag
def status_badge(status: Status) -> SafeString:
    return format_html('<span class="status status-{}">{}</span>', status.slug, STATUS_LABELS[status])


@register.filter
def period(measurement: Measurement) -> str:
    """The period of a figure by its name: « 2025 », « T3 2025 », « novembre 2025 »."""
    return wording.period_label(measurement.period_start, measurement.period_end)


@register.filter
def provenance(measurement: Measurement) -> str:
    return wording.provenance(measurement)


@register.filter
def status_label(status: Status) -> str:
    return str(STATUS_LABELS[status])


@register.simple_tag(takes_context=True)
def can_record(context: dict[str, Any], scope: Scope, definition: IndicatorDefinition) -> bool:
    """Whether the current member may record a figure of ``definition`` for ``scope`` by hand."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return definition.source != Source.COMPUTED and access.can_write_measurement(user, scope)


@register.filter
def exact(value: Decimal | None) -> str:
    """A figure with the decimals it has, no more (61,5 and not 61,500000), in the reader's
    language: what a person typed, shown back to them."""
    if value is None:
        return "—"
    normal = Decimal(value).normalize()
    exponent = normal.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(normal, decimal_pos=places, use_l10n=True, force_grouping=True)
