"""Reporting periods: months, quarters and years, as closed date intervals."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def midpoint(self) -> date:
        return date.fromordinal((self.start.toordinal() + self.end.toordinal()) // 2)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_of(day: date) -> Period:
    return Period(date(day.year, day.month, 1), _month_end(day.year, day.month))


def quarter_of(day: date) -> Period:
    first = 3 * ((day.month - 1) // 3) + 1
    return Period(date(day.year, first, 1), _month_end(day.year, first + 2))


def year_of(day: date) -> Period:
    return Period(date(day.year, 1, 1), date(day.year, 12, 31))


def period_of(periodicity: str, day: date) -> Period:
    return {"monthly": month_of, "quarterly": quarter_of, "yearly": year_of}[periodicity](day)


def previous(period: Period, periodicity: str) -> Period:
    return period_of(periodicity, date.fromordinal(period.start.toordinal() - 1))


def last_periods(periodicity: str, day: date, count: int) -> list[Period]:
    """The ``count`` periods ending with the one that contains ``day``, oldest first."""
    periods = [period_of(periodicity, day)]
    while len(periods) < count:
        periods.append(previous(periods[-1], periodicity))
    return periods[::-1]


def months(start: date, count: int) -> Iterator[Period]:
    year, month = start.year, start.month
    for _ in range(count):
        yield Period(date(year, month, 1), _month_end(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def is_aligned(periodicity: str, start: date, end: date) -> bool:
    """Whether [start, end] is exactly one calendar period of this periodicity."""
    expected = period_of(periodicity, start)
    return expected.start == start and expected.end == end
