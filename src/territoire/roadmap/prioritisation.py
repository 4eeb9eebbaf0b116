"""Proposed order of the project portfolio on the value × complexity matrix.

The rule (shown on the projects page, tested in tests/test_prioritisation.py):

1. Each active project falls in a quadrant of the matrix (scores 1 to 5):
   *quick win* (value ≥ 3, complexity ≤ 2), then *major project* (value ≥ 3,
   complexity ≥ 3), then *filler* (value ≤ 2, complexity ≤ 2), then *to reconsider*
   (value ≤ 2, complexity ≥ 3). Quadrants are taken in that order: "quick wins first",
   as Rives & Vallons did with school enrolment online.
2. Within a quadrant: higher value ÷ complexity first, then higher value, then lower
   cost, then title (so the order is total and stable).

Delivered, cancelled projects are not ordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from django.utils.translation import gettext_lazy as _

HIGH_VALUE = 3
LOW_COMPLEXITY = 2


class Quadrant(IntEnum):
    QUICK_WIN = 1
    MAJOR_PROJECT = 2
    FILLER = 3
    RECONSIDER = 4

    @property
    def label(self) -> str:
        return str(QUADRANT_LABELS[self])


QUADRANT_LABELS = {
    Quadrant.QUICK_WIN: _("Gains rapides"),
    Quadrant.MAJOR_PROJECT: _("Projets structurants"),
    Quadrant.FILLER: _("Compléments"),
    Quadrant.RECONSIDER: _("À reconsidérer"),
}


def quadrant(value: int, complexity: int) -> Quadrant:
    if value >= HIGH_VALUE:
        return Quadrant.QUICK_WIN if complexity <= LOW_COMPLEXITY else Quadrant.MAJOR_PROJECT
    return Quadrant.FILLER if complexity <= LOW_COMPLEXITY else Quadrant.RECONSIDER


@dataclass(frozen=True)
class Candidate:
    key: object
    title: str
    value: int
    complexity: int
    cost: Decimal

    @property
    def quadrant(self) -> Quadrant:
        return quadrant(self.value, self.complexity)


def sort_key(c: Candidate) -> tuple[int, float, int, Decimal, str]:
    return (int(c.quadrant), -c.value / c.complexity, -c.value, c.cost, c.title)


def proposed_order(candidates: Iterable[Candidate]) -> Sequence[Candidate]:
    return sorted(candidates, key=sort_key)
