"""How the spine's figures read for a resident: periods by the indicator's frequency,
provenance in plain words rather than the codes stored in ``Measurement.provenance``."""

from __future__ import annotations

import re
from datetime import date

from django.apps import apps
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from territoire.indicators.models import Aggregate, Measurement, MeasurementOrigin
from territoire.indicators.periods import month_of, quarter_of, year_of

# What ``services.aggregation`` writes: "aggregated:<rule> (<n>/<total> communes)".
_AGGREGATED = re.compile(r"^aggregated:(?P<rule>[a-z_]+) \((?P<n>\d+)/(?P<total>\d+) communes\)$")
# What ``registry.ComputedIndicator.provenance`` writes: "computed:<code>@v<version>".
_COMPUTED = re.compile(r"^computed:(?P<code>[^@]+)@v(?P<version>\d+)$")

# Origins a person chose the value of: a new version from one of them is a correction.
HUMAN_ORIGINS = frozenset({MeasurementOrigin.MANUAL, MeasurementOrigin.IMPORT, MeasurementOrigin.API})


def period_label(start: date, end: date) -> str:
    """« 2025 », « T3 2025 », « novembre 2025 »: a calendar period by its name (periods are
    aligned on their indicator's frequency); any other interval as its two dates."""
    if (start, end) == (year_of(start).start, year_of(start).end):
        return str(start.year)
    if (start, end) == (quarter_of(start).start, quarter_of(start).end):
        return _("T%(quarter)s %(year)s") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}
    if (start, end) == (month_of(start).start, month_of(start).end):
        return formats.date_format(start, "F Y")
    return (
        f"{formats.date_format(start, 'SHORT_DATE_FORMAT')} – {formats.date_format(end, 'SHORT_DATE_FORMAT')}"
    )


def aggregate_phrase(rule: str, communes: int | None = None, total: int | None = None) -> str:
    """« moyenne des 5 communes pondérée par la population »."""
    if communes is None or total is None:
        of = _("des communes")
    elif communes == total:
        of = ngettext("de la commune", "des %(n)s communes", communes) % {"n": communes}
    else:
        of = _("de %(n)s communes sur %(total)s") % {"n": communes, "total": total}
    phrases: dict[str, str] = {
        Aggregate.SUM: _("somme des chiffres %(of)s"),
        Aggregate.MEAN: _("moyenne %(of)s"),
        Aggregate.POPULATION_WEIGHTED_MEAN: _("moyenne %(of)s pondérée par la population"),
        Aggregate.MIN: _("plus petit chiffre %(of)s"),
        Aggregate.MAX: _("plus grand chiffre %(of)s"),
    }
    return phrases.get(rule, _("chiffres %(of)s")) % {"of": of}


def module_name(label: str) -> str:
    try:
        return str(apps.get_app_config(label).verbose_name)
    except LookupError:
        return label


def provenance(measurement: Measurement) -> str:
    """Where a figure comes from, for a resident (no internal code, no person's name)."""
    origin, raw = measurement.origin, measurement.provenance
    if origin == MeasurementOrigin.AGGREGATED:
        match = _AGGREGATED.match(raw)
        if match:
            phrase = aggregate_phrase(match["rule"], int(match["n"]), int(match["total"]))
        else:
            phrase = _("chiffres des communes")
        return _("Calculé automatiquement : %(phrase)s") % {"phrase": phrase}
    if origin == MeasurementOrigin.COMPUTED:
        match = _COMPUTED.match(raw)
        module = measurement.indicator.module if measurement.indicator_id else ""
        if module:
            return _("Calculé automatiquement par le module « %(module)s » (méthode v%(version)s)") % {
                "module": module_name(module),
                "version": match["version"] if match else measurement.indicator.method_version,
            }
        return _("Calculé automatiquement")
    if origin == MeasurementOrigin.IMPORT:
        name = raw.removeprefix("import:").strip()
        if name and name != "CSV":
            return _("Importé par un agent (fichier « %(name)s »)") % {"name": name}
        return _("Importé par un agent (fichier CSV)")
    if origin == MeasurementOrigin.API:
        return _("Transmis par une application raccordée (API)")
    if origin == MeasurementOrigin.MANUAL:
        return _("Saisi par un agent")
    if origin == MeasurementOrigin.DEMO:
        return _("Donnée de démonstration")
    return str(measurement.get_origin_display())


def source_summary(current: list[Measurement]) -> list[tuple[str, int]]:
    """Each distinct kind of provenance of the current figures, with how many figures have it.

    The aggregation's coverage (« 4 communes sur 5 ») is left out here: it varies by period
    and is given row by row.
    """
    counts: dict[str, int] = {}
    for m in current:
        if m.origin == MeasurementOrigin.AGGREGATED:
            match = _AGGREGATED.match(m.provenance)
            label = _("Calculé automatiquement : %(phrase)s") % {
                "phrase": aggregate_phrase(match["rule"] if match else m.indicator.aggregate)
            }
        else:
            label = provenance(m)
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])
