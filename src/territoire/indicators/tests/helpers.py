"""Helpers of the indicator spine's tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from territoire.indicators.periods import months

# Indicators of the template roadmap (created with every organisation).
PUBLIC_CODE = "connectivite.foyers_raccordables"  # public, %, population-weighted mean
INTERNAL_CODE = "cyber.incidents"  # internal, sum
ORG = "200000001"  # the ``organisation`` fixture's SIREN
OTHER_ORG = "200000002"
ALPHA, BETA, GAMMA, DELTA = "99101", "99102", "99103", "99201"  # populations 10000, 3000, 1000; other org


def monthly(first: date, values: list[Any]) -> dict[date, Any]:
    """``{month start: value}`` for consecutive months from ``first``."""
    return {p.start: v for p, v in zip(months(first, len(values)), values, strict=True)}


def month_end(day: date) -> date:
    return next(months(day, 1)).end
