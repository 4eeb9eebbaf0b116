"""The proposed order of projects on the value × complexity matrix (roadmap/prioritisation.py)."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from territoire.roadmap.prioritisation import Candidate, Quadrant, proposed_order, quadrant

scores = st.integers(min_value=1, max_value=5)
costs = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
titles = st.text(alphabet="abcdefghij", min_size=1, max_size=6)


@st.composite
def portfolios(draw: st.DrawFn, min_size: int = 0) -> list[Candidate]:
    size = draw(st.integers(min_value=min_size, max_value=12))
    return [
        Candidate(
            key=index,
            title=draw(titles),
            value=draw(scores),
            complexity=draw(scores),
            cost=draw(costs),
        )
        for index in range(size)
    ]


def c(key: str, value: int, complexity: int, cost: int = 1000, title: str | None = None) -> Candidate:
    return Candidate(key=key, title=title or key, value=value, complexity=complexity, cost=Decimal(cost))


def keys(order: object) -> list[object]:
    return [candidate.key for candidate in order]  # type: ignore[attr-defined]


# --- Hand cases -------------------------------------------------------------------------


def test_quadrant_boundaries() -> None:
    assert quadrant(3, 2) is Quadrant.QUICK_WIN
    assert quadrant(5, 1) is Quadrant.QUICK_WIN
    assert quadrant(3, 3) is Quadrant.MAJOR_PROJECT
    assert quadrant(5, 5) is Quadrant.MAJOR_PROJECT
    assert quadrant(2, 2) is Quadrant.FILLER
    assert quadrant(1, 1) is Quadrant.FILLER
    assert quadrant(2, 3) is Quadrant.RECONSIDER
    assert quadrant(1, 5) is Quadrant.RECONSIDER


def test_quick_wins_first_then_major_then_fillers_then_reconsider() -> None:
    portfolio = [
        c("reconsider", 1, 5),
        c("filler", 2, 1),
        c("major", 5, 5),
        c("quick", 3, 2),
    ]
    assert keys(proposed_order(portfolio)) == ["quick", "major", "filler", "reconsider"]


def test_a_modest_quick_win_comes_before_an_excellent_major_project() -> None:
    # Value ÷ complexity is 1.5 for the quick win and 1.67 for the major project: the
    # quadrant decides first.
    assert keys(proposed_order([c("major", 5, 3), c("quick", 3, 2)])) == ["quick", "major"]


def test_within_a_quadrant_ratio_then_value_then_cost_then_title() -> None:
    portfolio = [
        c("ratio-1.5", 3, 2),
        c("ratio-5", 5, 1),
        c("ratio-2-value-4", 4, 2),
        c("ratio-2-value-4-cheaper", 4, 2, cost=500),
        c("ratio-3", 3, 1),
    ]
    assert keys(proposed_order(portfolio)) == [
        "ratio-5",
        "ratio-3",
        "ratio-2-value-4-cheaper",
        "ratio-2-value-4",
        "ratio-1.5",
    ]
    # Same ratio, different value: the higher value first (4/2 before 2/1 is not
    # possible in one quadrant, so use major projects: 4/4 and 3/3).
    assert keys(proposed_order([c("v3", 3, 3), c("v4", 4, 4)])) == ["v4", "v3"]
    # Everything equal but the title: alphabetical.
    assert keys(proposed_order([c("b", 3, 1, title="Beta"), c("a", 3, 1, title="Alpha")])) == ["a", "b"]


def test_empty_portfolio() -> None:
    assert list(proposed_order([])) == []


def test_rives_et_vallons_example() -> None:
    """The source document's story: school enrolment online was the first quick win."""
    portfolio = [
        c("portail", 5, 3, 180_000),
        c("inscriptions", 5, 1, 45_000),
        c("entrepot", 4, 5, 320_000),
        c("visioguichet", 2, 4, 120_000),
        c("site", 2, 2, 40_000),
        c("mfa", 5, 2, 30_000),
    ]
    assert keys(proposed_order(portfolio)) == [
        "inscriptions",
        "mfa",
        "portail",
        "entrepot",
        "site",
        "visioguichet",
    ]


# --- Properties ---------------------------------------------------------------------------


def rank_of(order: object, key: object) -> int:
    return keys(order).index(key)


@given(portfolios())
def test_quadrants_are_taken_in_order(portfolio: list[Candidate]) -> None:
    quadrants = [int(candidate.quadrant) for candidate in proposed_order(portfolio)]
    assert quadrants == sorted(quadrants)


@given(portfolios())
def test_the_order_is_a_permutation_of_the_input(portfolio: list[Candidate]) -> None:
    assert sorted(keys(proposed_order(portfolio))) == sorted(keys(portfolio))  # type: ignore[type-var]


@given(portfolios(), st.randoms(use_true_random=False))
def test_permuting_the_input_gives_the_same_order(portfolio: list[Candidate], rnd: random.Random) -> None:
    shuffled = list(portfolio)
    rnd.shuffle(shuffled)

    # Candidates that tie on every criterion are indistinguishable: compare what the
    # rule sees, not the keys.
    def seen(order: object) -> list[tuple[object, ...]]:
        return [(x.quadrant, x.value, x.complexity, x.cost, x.title) for x in order]  # type: ignore[attr-defined]

    assert seen(proposed_order(shuffled)) == seen(proposed_order(portfolio))


@given(portfolios(), st.randoms(use_true_random=False))
def test_the_order_is_total_when_titles_differ(portfolio: list[Candidate], rnd: random.Random) -> None:
    distinct = [Candidate(x.key, f"{x.title}-{x.key}", x.value, x.complexity, x.cost) for x in portfolio]
    shuffled = list(distinct)
    rnd.shuffle(shuffled)
    assert keys(proposed_order(shuffled)) == keys(proposed_order(distinct))


@given(portfolios(min_size=1), st.data())
def test_raising_value_never_moves_a_project_later(portfolio: list[Candidate], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(portfolio) - 1))
    project = portfolio[index]
    raised_value = data.draw(st.integers(min_value=project.value, max_value=5))
    raised = Candidate(project.key, project.title, raised_value, project.complexity, project.cost)
    before = rank_of(proposed_order(portfolio), project.key)
    after = rank_of(proposed_order([*portfolio[:index], raised, *portfolio[index + 1 :]]), project.key)
    assert after <= before


@given(portfolios(min_size=1), st.data())
def test_lowering_complexity_never_moves_a_project_later(
    portfolio: list[Candidate], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(portfolio) - 1))
    project = portfolio[index]
    lowered_complexity = data.draw(st.integers(min_value=1, max_value=project.complexity))
    lowered = Candidate(project.key, project.title, project.value, lowered_complexity, project.cost)
    before = rank_of(proposed_order(portfolio), project.key)
    after = rank_of(proposed_order([*portfolio[:index], lowered, *portfolio[index + 1 :]]), project.key)
    assert after <= before
