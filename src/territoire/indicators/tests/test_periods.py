"""Reporting periods: calendar boundaries, leap years, sequences and alignment."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from territoire.indicators.periods import (
    Period,
    is_aligned,
    last_periods,
    month_of,
    months,
    period_of,
    previous,
    quarter_of,
    year_of,
)


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2025, 1, 1), date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 1, 31), date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 14), date(2025, 2, 1), date(2025, 2, 28)),
        (date(2024, 2, 14), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        (date(2000, 2, 1), date(2000, 2, 1), date(2000, 2, 29)),  # divisible by 400: leap
        (date(1900, 2, 1), date(1900, 2, 1), date(1900, 2, 28)),  # divisible by 100: not leap
        (date(2025, 4, 30), date(2025, 4, 1), date(2025, 4, 30)),
        (date(2025, 12, 31), date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_month_of(day: date, start: date, end: date) -> None:
    assert month_of(day) == Period(start, end)


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2025, 1, 1), date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 3, 31), date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 6, 30), date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 8, 15), date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 10, 1), date(2025, 12, 31)),
        (date(2025, 12, 31), date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_quarter_of(day: date, start: date, end: date) -> None:
    assert quarter_of(day) == Period(start, end)


def test_year_of() -> None:
    assert year_of(date(2024, 2, 29)) == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert year_of(date(2025, 12, 31)) == Period(date(2025, 1, 1), date(2025, 12, 31))


def test_period_of_dispatches_on_periodicity() -> None:
    day = date(2025, 5, 20)
    assert period_of("monthly", day) == month_of(day)
    assert period_of("quarterly", day) == quarter_of(day)
    assert period_of("yearly", day) == year_of(day)
    with pytest.raises(KeyError):
        period_of("weekly", day)


def test_period_refuses_an_end_before_its_start() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2025, 2, 1), date(2025, 1, 31))
    assert Period(date(2025, 2, 1), date(2025, 2, 1)).start == date(2025, 2, 1)


def test_period_text_and_midpoint() -> None:
    january = Period(date(2025, 1, 1), date(2025, 1, 31))
    assert str(january) == "2025-01-01/2025-01-31"
    assert january.midpoint == date(2025, 1, 16)


def test_previous_crosses_year_boundaries() -> None:
    assert previous(month_of(date(2025, 1, 10)), "monthly") == Period(date(2024, 12, 1), date(2024, 12, 31))
    assert previous(month_of(date(2024, 3, 1)), "monthly") == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert previous(quarter_of(date(2025, 2, 1)), "quarterly") == Period(
        date(2024, 10, 1), date(2024, 12, 31)
    )
    assert previous(year_of(date(2025, 6, 1)), "yearly") == Period(date(2024, 1, 1), date(2024, 12, 31))


def test_last_periods_oldest_first_ending_with_the_current_one() -> None:
    periods = last_periods("monthly", date(2025, 2, 10), 4)
    assert [p.start for p in periods] == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert periods[-1].end == date(2025, 2, 28)
    assert periods == sorted(periods)
    # Consecutive: each period starts the day after the previous one ends.
    for before, after in pairwise(periods):
        assert after.start.toordinal() == before.end.toordinal() + 1


def test_last_periods_quarterly_and_yearly() -> None:
    assert last_periods("quarterly", date(2025, 1, 5), 3) == [
        Period(date(2024, 7, 1), date(2024, 9, 30)),
        Period(date(2024, 10, 1), date(2024, 12, 31)),
        Period(date(2025, 1, 1), date(2025, 3, 31)),
    ]
    assert [p.start.year for p in last_periods("yearly", date(2025, 7, 1), 3)] == [2023, 2024, 2025]


def test_last_periods_count_one() -> None:
    assert last_periods("monthly", date(2024, 2, 29), 1) == [Period(date(2024, 2, 1), date(2024, 2, 29))]


def test_months_runs_forward_across_a_year_end() -> None:
    got = list(months(date(2024, 11, 15), 4))
    assert [(p.start, p.end) for p in got] == [
        (date(2024, 11, 1), date(2024, 11, 30)),
        (date(2024, 12, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
    ]
    assert list(months(date(2024, 1, 1), 0)) == []


@pytest.mark.parametrize(
    ("periodicity", "start", "end", "aligned"),
    [
        ("monthly", date(2024, 2, 1), date(2024, 2, 29), True),
        ("monthly", date(2025, 2, 1), date(2025, 2, 28), True),
        ("monthly", date(2025, 2, 1), date(2025, 2, 27), False),
        ("monthly", date(2024, 2, 1), date(2024, 2, 28), False),  # leap year: one day short
        ("monthly", date(2025, 2, 2), date(2025, 2, 28), False),
        ("monthly", date(2025, 1, 1), date(2025, 2, 28), False),  # two months
        ("quarterly", date(2025, 4, 1), date(2025, 6, 30), True),
        ("quarterly", date(2025, 2, 1), date(2025, 4, 30), False),  # three months, not a quarter
        ("quarterly", date(2025, 4, 1), date(2025, 4, 30), False),
        ("yearly", date(2025, 1, 1), date(2025, 12, 31), True),
        ("yearly", date(2025, 1, 1), date(2025, 12, 30), False),
        ("yearly", date(2024, 7, 1), date(2025, 6, 30), False),  # a school year is not a year
    ],
)
def test_is_aligned(periodicity: str, start: date, end: date, aligned: bool) -> None:
    assert is_aligned(periodicity, start, end) is aligned
