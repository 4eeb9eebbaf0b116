"""Small-count suppression for every published statistic (statistical disclosure control).

A public page that says "2 participants in Les Granges" points at two neighbours. Every
count the platform publishes (participation by zone, reports by category, votes by
theme...) goes through this module first.

The rules, in the words the pages can quote
-------------------------------------------

1. **Primary suppression.** A count from 1 to k − 1 is not published (shown as "< k").
   k is ``settings.TERRITOIRE["DISCLOSURE_K"]`` (default 5), read at every call.

2. **Zeros are published.** "Nobody" reveals nobody, and hiding every zero would blank
   most tables. The price: a reader knows that every hidden count is at least 1, which
   rule 3 takes into account.

3. **Complementary suppression.** A published total and the published counts beside it
   must not give a hidden count back by subtraction. For every total that is published
   (a series' total, a row, a column, the grand total), the hidden counts it adds up are
   either none, or at least two whose sum is large enough that each of them could be k or
   more: with m hidden counts summing to S, S − (m − 1) ≥ k. (Two hidden 1s next to a total
   would otherwise be read back as "1 and 1", since zeros are published.) When a total
   fails this rule, the smallest non-zero published count beside it is hidden as well (one
   always suffices, since published counts are ≥ k); when there is none, the total itself
   is hidden. A hidden total is a hidden value like the others: its row, column or series
   must then not give it back either.

4. **No recovery by combining rows and columns.** The rules above look at one total at a
   time. In a table a hidden count can sometimes still be solved from several equations
   together (e.g. a count linking two otherwise protected blocks). After rule 3 is stable,
   the whole system of published totals is solved exactly (exact Gauss-Jordan elimination);
   any hidden count it determines gets one more neighbour hidden, and rules 3-4 run again.
   The hidden set only grows, so this ends (at worst with every non-zero count hidden).

Choices are deterministic: among candidates, inner cells before totals, then the
smallest value, then the order of the input. What this module does not guarantee: the
width of the interval a reader can derive for a hidden count beyond rule 3 (no linear
programming audit), and anything about figures published elsewhere from the same data.

Functions
---------

``suppress_series(counts, total_published=True)``: one dimension (counts by zone...).
When the caller shows the series' total, it must show ``series_total(counts)``, which is
``None`` when the total itself cannot be shown.

``suppress_table(cells, margins=True)``: two dimensions with row, column and grand
totals, returned in a ``SuppressedTable``. With ``margins=False`` no total is published:
only rule 1 applies and the totals are left empty (``{}`` and ``None``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings

DEFAULT_K = 5

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def threshold() -> int:
    """The smallest count that may be published (``settings.TERRITOIRE["DISCLOSURE_K"]``)."""
    return int(settings.TERRITOIRE.get("DISCLOSURE_K", DEFAULT_K))


@dataclass
class SuppressedTable(Generic[R, C]):
    """A published table: ``None`` marks a hidden value."""

    cells: dict[tuple[R, C], int | None]
    row_totals: dict[R, int | None]
    column_totals: dict[C, int | None]
    grand_total: int | None


# --------------------------------------------------------------------------- the engine
#
# Everything is expressed as variables (cells and totals, numbered) and equations
# "total = sum of members". Series and tables only differ in the equations they build.


@dataclass(frozen=True)
class _Equation:
    total: int
    members: tuple[int, ...]


def _check_k(k: int | None) -> int:
    k = threshold() if k is None else k
    if k < 1:
        raise ValueError(f"the disclosure threshold must be at least 1, not {k}")
    return k


def _check_counts(values: Iterable[int]) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"counts must be non-negative integers, not {value!r}")


def _primary(values: list[int], k: int) -> set[int]:
    return {index for index, value in enumerate(values) if 0 < value < k}


def _pick(candidates: Iterable[int], values: list[int], is_total: list[bool]) -> int | None:
    """The complement to hide: inner cells first, then the smallest, then input order."""
    ranked = sorted(candidates, key=lambda index: (is_total[index], values[index], index))
    return ranked[0] if ranked else None


def _local_fix(
    equation: _Equation, values: list[int], hidden: set[int], is_total: list[bool], k: int
) -> int | None:
    """The variable to hide so that this equation gives nothing back (rule 3), or None."""
    hidden_members = [member for member in equation.members if member in hidden]
    published_nonzero = [m for m in equation.members if m not in hidden and values[m] > 0]
    if equation.total in hidden:
        # The total is unknown: it must not be the only unknown of the equation.
        if hidden_members:
            return None
        return _pick(published_nonzero, values, is_total)
    if not hidden_members:
        return None
    count = len(hidden_members)
    hidden_sum = sum(values[member] for member in hidden_members)
    if count >= 2 and hidden_sum - (count - 1) >= k:
        return None
    choice = _pick(published_nonzero, values, is_total)
    return equation.total if choice is None else choice


def _determined(values: list[int], equations: list[_Equation], hidden: set[int]) -> list[int]:
    """Hidden variables whose value the published figures fix (rule 4), in index order.

    Unknowns are the hidden variables; each equation with at least one unknown is a row
    of the matrix. x_j is determined iff e_j lies in the row space, i.e. iff in the
    reduced row echelon form some row has its only non-zero entry in column j.
    """
    unknowns = sorted(hidden)
    position = {variable: column for column, variable in enumerate(unknowns)}
    rows: list[list[int]] = []
    for equation in equations:
        row = [0] * len(unknowns)
        for member in equation.members:
            if member in position:
                row[position[member]] += 1
        if equation.total in position:
            row[position[equation.total]] -= 1
        if any(row):
            rows.append(row)
    # Gauss-Jordan elimination in integers (rows rescaled by their gcd): exact, and much
    # faster than Fraction for these 0/±1 matrices.
    pivot_row = 0
    pivots: list[int] = []
    for column in range(len(unknowns)):
        if pivot_row == len(rows):
            break
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][column]), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        pivot_values = rows[pivot_row]
        pivot = pivot_values[column]
        for r, row in enumerate(rows):
            factor = row[column]
            if r == pivot_row or not factor:
                continue
            reduced = [a * pivot - factor * b for a, b in zip(row, pivot_values, strict=True)]
            divisor = math.gcd(*reduced)
            rows[r] = [value // divisor for value in reduced] if divisor > 1 else reduced
        pivots.append(column)
        pivot_row += 1
    determined = [
        unknowns[column]
        for row_index, column in enumerate(pivots)
        if sum(1 for value in rows[row_index] if value) == 1
    ]
    return sorted(determined)


def _protect(
    values: list[int], equations: list[_Equation], is_total: list[bool], k: int, hidden: set[int]
) -> set[int]:
    """Extend ``hidden`` with primary and complementary suppression until rules 1-4 hold."""
    hidden = set(hidden) | _primary(values, k)
    while True:
        changed = True
        while changed:  # rule 3, one equation at a time, until stable
            changed = False
            for equation in equations:
                choice = _local_fix(equation, values, hidden, is_total, k)
                if choice is not None:
                    hidden.add(choice)
                    changed = True
        determined = _determined(values, equations, hidden) if len(equations) > 1 else []
        if not determined:
            return hidden
        # Rule 4: hide a neighbour of the first determined value, then re-check everything.
        target = determined[0]
        around = [eq for eq in equations if target == eq.total or target in eq.members]
        candidates = {
            variable
            for eq in around
            for variable in (eq.total, *eq.members)
            if variable not in hidden and values[variable] > 0
        }
        if not candidates:
            candidates = {
                variable
                for eq in equations
                for variable in (eq.total, *eq.members)
                if variable not in hidden and values[variable] > 0
            }
        choice = _pick(candidates, values, is_total)
        if choice is None:  # cannot happen: with every non-zero value hidden, none is determined
            return hidden
        hidden.add(choice)


# --------------------------------------------------------------------------- series


def suppress_series_and_total(
    counts: Mapping[K, int], *, k: int | None = None
) -> tuple[dict[K, int | None], int | None]:
    """Suppress a series whose total is published; return the cells and the total to show."""
    k = _check_k(k)
    keys = list(counts)
    values = [counts[key] for key in keys]
    _check_counts(values)
    total_index = len(values)
    values.append(sum(values))
    is_total = [False] * len(keys) + [True]
    equations = [_Equation(total_index, tuple(range(len(keys))))]
    hidden = _protect(values, equations, is_total, k, set())
    cells = {key: (None if index in hidden else counts[key]) for index, key in enumerate(keys)}
    total = None if total_index in hidden else values[total_index]
    return cells, total


def suppress_series(
    counts: Mapping[K, int], *, k: int | None = None, total_published: bool = True
) -> dict[K, int | None]:
    """Hide small counts of a series; ``None`` marks a hidden count.

    ``total_published``: the page also shows the sum of the series. It must then show
    ``series_total(counts)`` (``None`` when even the total cannot be shown). Without a
    published total only counts from 1 to k − 1 are hidden.
    """
    if total_published:
        return suppress_series_and_total(counts, k=k)[0]
    k = _check_k(k)
    _check_counts(counts.values())
    return {key: (None if 0 < value < k else value) for key, value in counts.items()}


def series_total(counts: Mapping[K, int], *, k: int | None = None) -> int | None:
    """The total to publish beside ``suppress_series(counts)``, or None when it can't be."""
    return suppress_series_and_total(counts, k=k)[1]


# --------------------------------------------------------------------------- tables


def suppress_table(
    cells: Mapping[tuple[R, C], int], *, k: int | None = None, margins: bool = True
) -> SuppressedTable[R, C]:
    """Hide small counts of a two-way table and whatever would give them back.

    Rows and columns are the first and second parts of the keys, in order of first
    appearance; a (row, column) pair absent from ``cells`` is not a cell (it is not a
    zero). With ``margins`` the row totals, column totals and grand total are published
    (or hidden) too.
    """
    k = _check_k(k)
    keys = list(cells)
    values = [cells[key] for key in keys]
    _check_counts(values)
    rows = list(dict.fromkeys(row for row, _ in keys))
    columns = list(dict.fromkeys(column for _, column in keys))

    if not margins:
        hidden = _primary(values, k)
        return SuppressedTable(
            cells={key: (None if index in hidden else cells[key]) for index, key in enumerate(keys)},
            row_totals={},
            column_totals={},
            grand_total=None,
        )

    row_members: dict[R, list[int]] = {row: [] for row in rows}
    column_members: dict[C, list[int]] = {column: [] for column in columns}
    for index, (row, column) in enumerate(keys):
        row_members[row].append(index)
        column_members[column].append(index)
    row_index = {row: len(keys) + offset for offset, row in enumerate(rows)}
    column_index = {column: len(keys) + len(rows) + offset for offset, column in enumerate(columns)}
    grand_index = len(keys) + len(rows) + len(columns)
    values += [sum(values[m] for m in row_members[row]) for row in rows]
    values += [sum(values[m] for m in column_members[column]) for column in columns]
    values.append(sum(cells.values()))
    is_total = [False] * len(keys) + [True] * (len(rows) + len(columns) + 1)

    equations = [_Equation(row_index[row], tuple(row_members[row])) for row in rows]
    equations += [_Equation(column_index[column], tuple(column_members[column])) for column in columns]
    equations.append(_Equation(grand_index, tuple(row_index[row] for row in rows)))
    equations.append(_Equation(grand_index, tuple(column_index[column] for column in columns)))

    hidden = _protect(values, equations, is_total, k, set())

    def shown(index: int) -> int | None:
        return None if index in hidden else values[index]

    return SuppressedTable(
        cells={key: shown(index) for index, key in enumerate(keys)},
        row_totals={row: shown(row_index[row]) for row in rows},
        column_totals={column: shown(column_index[column]) for column in columns},
        grand_total=shown(grand_index),
    )
