"""Small-count suppression: hand cases and properties of series and tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from territoire.core import disclosure
from territoire.core.disclosure import (
    DEFAULT_K,
    SuppressedTable,
    series_total,
    suppress_series,
    suppress_series_and_total,
    suppress_table,
    threshold,
)

# --------------------------------------------------------------------------- threshold


def test_threshold_is_read_from_settings_at_call_time(settings: Any) -> None:
    assert DEFAULT_K == 5
    settings.TERRITOIRE = {key: value for key, value in settings.TERRITOIRE.items() if key != "DISCLOSURE_K"}
    assert threshold() == 5
    settings.TERRITOIRE = {**settings.TERRITOIRE, "DISCLOSURE_K": 11}
    assert threshold() == 11
    assert suppress_series({"a": 10, "b": 100}, total_published=False) == {"a": None, "b": 100}


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        suppress_series({"a": -1})
    with pytest.raises(ValueError, match="non-negative"):
        suppress_table({("r", "c"): 2.5})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="at least 1"):
        suppress_series({"a": 1}, k=0)


# --------------------------------------------------------------------------- series by hand


def test_series_primary_suppression_without_total() -> None:
    counts = {"a": 0, "b": 1, "c": 4, "d": 5, "e": 120}
    assert suppress_series(counts, total_published=False) == {"a": 0, "b": None, "c": None, "d": 5, "e": 120}


def test_series_single_hidden_cell_gets_a_complement() -> None:
    counts = {"a": 3, "b": 60, "c": 40, "d": 50}
    # 3 alone would be total - others: the smallest published non-zero cell (40) goes too.
    assert suppress_series(counts) == {"a": None, "b": 60, "c": None, "d": 50}
    assert series_total(counts) == 153


def test_series_zero_is_never_the_complement() -> None:
    counts = {"a": 3, "b": 0, "c": 40}
    assert suppress_series(counts) == {"a": None, "b": 0, "c": None}


def test_series_two_hidden_ones_are_not_enough() -> None:
    # Zeros are published, so hidden counts are >= 1: "?, ?, 50 = 52" reads as "1, 1".
    counts = {"a": 1, "b": 1, "c": 50}
    assert suppress_series(counts) == {"a": None, "b": None, "c": None}
    assert series_total(counts) == 52


def test_series_two_hidden_cells_with_enough_mass_are_enough() -> None:
    counts = {"a": 3, "b": 4, "c": 50}  # 3 + 4 = 7 >= 5 + 1: each could be 5 or more
    assert suppress_series(counts) == {"a": None, "b": None, "c": 50}
    assert series_total(counts) == 57


def test_series_total_is_hidden_when_nothing_can_protect_it() -> None:
    assert suppress_series_and_total({"a": 3, "b": 0}) == ({"a": None, "b": 0}, None)
    assert suppress_series_and_total({"a": 1, "b": 4}) == ({"a": None, "b": None}, None)
    # Three hidden counts summing to 6 would each be at most 4: provably small.
    assert suppress_series_and_total({"a": 2, "b": 2, "c": 2}) == ({"a": None, "b": None, "c": None}, None)
    assert suppress_series_and_total({"a": 3, "b": 3, "c": 3}) == ({"a": None, "b": None, "c": None}, 9)


def test_series_of_zeros_and_empty_series() -> None:
    assert suppress_series_and_total({"a": 0, "b": 0}) == ({"a": 0, "b": 0}, 0)
    assert suppress_series_and_total({}) == ({}, 0)


def test_series_ties_follow_input_order() -> None:
    assert suppress_series({"a": 2, "b": 9, "c": 9}) == {"a": None, "b": None, "c": 9}
    assert suppress_series({"a": 2, "c": 9, "b": 9}) == {"a": None, "c": None, "b": 9}


def test_series_k_argument_overrides_settings() -> None:
    assert suppress_series({"a": 9, "b": 10, "c": 11}, k=10) == {"a": None, "b": None, "c": 11}


# --------------------------------------------------------------------------- tables by hand


def test_table_single_small_cell_is_protected_in_row_and_column() -> None:
    cells = {("r1", "x"): 3, ("r1", "y"): 20, ("r2", "x"): 30, ("r2", "y"): 40}
    table = suppress_table(cells)
    # 3 hidden; its row needs 20, its column 30; then column y has 20 alone: 40 goes too.
    assert table.cells == {("r1", "x"): None, ("r1", "y"): None, ("r2", "x"): None, ("r2", "y"): None}
    assert table.row_totals == {"r1": 23, "r2": 70}
    assert table.column_totals == {"x": 33, "y": 60}
    assert table.grand_total == 93


def test_table_without_small_counts_is_published_whole() -> None:
    cells = {("r1", "x"): 0, ("r1", "y"): 20, ("r2", "x"): 30, ("r2", "y"): 40}
    assert suppress_table(cells) == SuppressedTable(
        cells=dict[tuple[str, str], int | None](cells),
        row_totals={"r1": 20, "r2": 70},
        column_totals={"x": 30, "y": 60},
        grand_total=90,
    )


def test_table_small_row_total_is_hidden_and_protected() -> None:
    cells = {
        ("r1", "x"): 2,
        ("r1", "y"): 0,
        ("r2", "x"): 50,
        ("r2", "y"): 60,
        ("r3", "x"): 70,
        ("r3", "y"): 80,
    }
    table = suppress_table(cells)
    assert table.row_totals["r1"] is None  # a total of 2 is itself a small count
    assert table.cells[("r1", "x")] is None
    assert table.cells[("r1", "y")] == 0
    # r1's total must not come back as grand total minus the other row totals.
    assert sum(value is None for value in table.row_totals.values()) >= 2 or table.grand_total is None
    check_table(cells, table, 5)


def test_table_without_margins_only_hides_small_counts() -> None:
    cells = {("r1", "x"): 3, ("r1", "y"): 20}
    assert suppress_table(cells, margins=False) == SuppressedTable(
        cells={("r1", "x"): None, ("r1", "y"): 20}, row_totals={}, column_totals={}, grand_total=None
    )


def test_table_absent_cells_are_not_zeros() -> None:
    cells = {("r1", "x"): 10, ("r2", "y"): 3}
    table = suppress_table(cells)
    assert set(table.cells) == set(cells)
    assert table.cells[("r2", "y")] is None
    check_table(cells, table, 5)


def test_bridge_between_two_protected_blocks_is_caught() -> None:
    # Two 2x2 blocks, each protected by rule 3, joined by one hidden cell (r2, c3): the
    # row and column equations together would solve it. Rule 4 must hide more.
    big = 50
    cells = {(r, c): 0 for r in range(4) for c in range(4)}
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)]:
        cells[(r, c)] = 3
    cells[(1, 2)] = 4
    cells[(3, 0)] = big
    cells[(0, 3)] = big
    table = suppress_table(cells)
    check_table(cells, table, 5)


# --------------------------------------------------------------------------- properties


def hidden_determined(equations: list[tuple[Any, list[Any]]], hidden: list[Any]) -> list[Any]:
    """Hidden values fixed by the published equations (numpy rank, independent of the module)."""
    if not hidden or not equations:
        return []
    column = {name: index for index, name in enumerate(hidden)}
    rows = []
    for total, members in equations:
        row = [0] * len(hidden)
        for member in members:
            if member in column:
                row[column[member]] += 1
        if total in column:
            row[column[total]] -= 1
        if any(row):
            rows.append(row)
    if not rows:
        return []
    matrix = np.array(rows, dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    return [
        name
        for index, name in enumerate(hidden)
        if np.linalg.matrix_rank(np.delete(matrix, index, axis=1)) < rank
    ]


def check_equation(
    values: dict[Any, int], shown: dict[Any, int | None], total: Any, members: list[Any], k: int
) -> None:
    hidden = [member for member in members if shown[member] is None]
    if shown[total] is None:
        assert hidden, f"hidden total {total} = sum of published members"
        return
    if hidden:
        assert len(hidden) >= 2, f"{hidden} recoverable from {total}"
        hidden_sum = sum(values[member] for member in hidden)
        assert hidden_sum - (len(hidden) - 1) >= k, f"{hidden} pinned by {total}"


def check_published(values: dict[Any, int], shown: dict[Any, int | None], k: int) -> None:
    for name, value in shown.items():
        if value is not None:
            assert value == values[name], name  # (c) published values are the originals
            assert not 0 < value < k, name  # (a) no small count is published
        else:
            assert values[name] > 0, name  # zeros are always published


def check_table(cells: dict[tuple[Any, Any], int], table: SuppressedTable[Any, Any], k: int) -> None:
    rows = list(dict.fromkeys(row for row, _ in cells))
    columns = list(dict.fromkeys(column for _, column in cells))
    values: dict[Any, int] = {("cell", key): value for key, value in cells.items()}
    shown: dict[Any, int | None] = {("cell", key): value for key, value in table.cells.items()}
    for row in rows:
        values[("row", row)] = sum(v for (r, _), v in cells.items() if r == row)
        shown[("row", row)] = table.row_totals[row]
    for column in columns:
        values[("column", column)] = sum(v for (_, c), v in cells.items() if c == column)
        shown[("column", column)] = table.column_totals[column]
    values["grand"] = sum(cells.values())
    shown["grand"] = table.grand_total
    check_published(values, shown, k)
    equations: list[tuple[Any, list[Any]]] = [
        (("row", row), [("cell", key) for key in cells if key[0] == row]) for row in rows
    ]
    equations += [
        (("column", column), [("cell", key) for key in cells if key[1] == column]) for column in columns
    ]
    equations.append(("grand", [("row", row) for row in rows]))
    equations.append(("grand", [("column", column) for column in columns]))
    for total, members in equations:  # (b) per row, column and margin
        check_equation(values, shown, total, members, k)
    hidden = [name for name, value in shown.items() if value is None]
    assert hidden_determined(equations, hidden) == []  # no hidden value solvable


counts_strategy = st.one_of(st.integers(0, 6), st.integers(0, 80))
keys_strategy = st.sampled_from("abcdefgh")


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys_strategy, counts_strategy, max_size=8), st.integers(1, 7))
def test_series_properties(counts: dict[str, int], k: int) -> None:
    cells, total = suppress_series_and_total(counts, k=k)
    values: dict[Any, int] = {**counts, "total": sum(counts.values())}
    shown: dict[Any, int | None] = {**cells, "total": total}
    check_published(values, shown, k)  # (a) and (c)
    check_equation(values, shown, "total", list(counts), k)  # (b)
    assert suppress_series(counts, k=k) == cells
    # (d) idempotence: the hidden set is a fixed point of the completion, and the
    # function is deterministic.
    assert suppress_series_and_total(dict(counts), k=k) == (cells, total)
    names = list(counts)
    numbers = [counts[name] for name in names] + [sum(counts.values())]
    hidden = {index for index, name in enumerate(names) if cells[name] is None}
    if total is None:
        hidden.add(len(names))
    equations = [disclosure._Equation(len(names), tuple(range(len(names))))]
    is_total = [False] * len(names) + [True]
    assert disclosure._protect(numbers, equations, is_total, k, hidden) == hidden


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys_strategy, counts_strategy, max_size=8), st.integers(1, 7))
def test_series_without_total_properties(counts: dict[str, int], k: int) -> None:
    cells = suppress_series(counts, k=k, total_published=False)
    check_published(counts, dict(cells), k)
    assert all(cells[key] is None for key, value in counts.items() if 0 < value < k)


table_strategy = st.builds(
    lambda rows, columns, values, drop: {
        (r, c): values[(r * 5 + c) % len(values)]
        for r in range(rows)
        for c in range(columns)
        if (r * 5 + c) not in drop
    },
    st.integers(1, 5),
    st.integers(1, 5),
    st.lists(counts_strategy, min_size=1, max_size=25),
    st.sets(st.integers(0, 24), max_size=4),
)


@hypothesis_settings(max_examples=250, deadline=None)
@given(table_strategy, st.integers(1, 7))
def test_table_properties(cells: dict[tuple[int, int], int], k: int) -> None:
    table = suppress_table(cells, k=k)
    check_table(cells, table, k)
    assert suppress_table(dict(cells), k=k) == table  # deterministic
    again = suppress_table(cells, k=k, margins=False)
    check_published(
        {("cell", key): v for key, v in cells.items()},
        {("cell", key): v for key, v in again.cells.items()},
        k,
    )


@hypothesis_settings(max_examples=100, deadline=None)
@given(table_strategy, st.integers(2, 7))
def test_table_completion_is_idempotent(cells: dict[tuple[int, int], int], k: int) -> None:
    # (d) Feeding the result's hidden set back into the completion adds nothing.
    table = suppress_table(cells, k=k)
    keys = list(cells)
    rows = list(dict.fromkeys(r for r, _ in keys))
    columns = list(dict.fromkeys(c for _, c in keys))
    numbers = [cells[key] for key in keys]
    numbers += [sum(v for (r, _), v in cells.items() if r == row) for row in rows]
    numbers += [sum(v for (_, c), v in cells.items() if c == column) for column in columns]
    numbers.append(sum(cells.values()))
    shown = (
        [table.cells[key] for key in keys]
        + [table.row_totals[row] for row in rows]
        + [table.column_totals[column] for column in columns]
        + [table.grand_total]
    )
    hidden = {index for index, value in enumerate(shown) if value is None}
    row_index = {row: len(keys) + i for i, row in enumerate(rows)}
    column_index = {column: len(keys) + len(rows) + i for i, column in enumerate(columns)}
    grand = len(numbers) - 1
    equations = [
        disclosure._Equation(row_index[row], tuple(i for i, key in enumerate(keys) if key[0] == row))
        for row in rows
    ]
    equations += [
        disclosure._Equation(column_index[column], tuple(i for i, key in enumerate(keys) if key[1] == column))
        for column in columns
    ]
    equations.append(disclosure._Equation(grand, tuple(row_index.values())))
    equations.append(disclosure._Equation(grand, tuple(column_index.values())))
    is_total = [False] * len(keys) + [True] * (len(rows) + len(columns) + 1)
    assert disclosure._protect(numbers, equations, is_total, k, hidden) == hidden
