"""Engagement statistics: rates with suppression, the representativeness index, themes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from territoire.participation.statistics import (
    ZoneEngagement,
    participation_rates,
    ranked_themes,
    representativeness_index,
    territory_rate,
)

# --------------------------------------------------------------------------- rates by hand


def test_rates_by_hand() -> None:
    participants = {"Centre": 120, "Gare": 45, "Les Granges": 2, "Vieux Bourg": 30}
    population = {"Centre": 2000, "Gare": 900, "Les Granges": 400, "Vieux Bourg": 1600, "Zone d'activité": 10}
    result = participation_rates(participants, population)
    # Total 197 over 4910 inhabitants: 4.0 %; "low" below 2.0 %.
    assert territory_rate(participants, population) == Decimal("4.0")
    assert result == [
        ZoneEngagement("Centre", 120, 2000, Decimal("6.0"), low=False),
        ZoneEngagement("Gare", 45, 900, Decimal("5.0"), low=False),
        # 2 is hidden; 30 (the smallest other) is hidden with it, so neither has a rate.
        # A reader can give Les Granges at most 197 - 165 - 1 = 31 participants: 7.75 %,
        # not provably low, so no flag (even though the true 0.5 % is low).
        ZoneEngagement("Les Granges", None, 400, None, low=False),
        # Vieux Bourg: at most 31 of 1600 = 1.9 % < 2.0 %: provably low, flagged.
        ZoneEngagement("Vieux Bourg", None, 1600, None, low=True),
        ZoneEngagement("Zone d'activité", 0, 10, Decimal("0.0"), low=True),
    ]


def test_rate_rounding_is_half_up() -> None:
    result = participation_rates({"a": 5, "b": 100}, {"a": 400, "b": 1000})
    assert result[0].rate_percent == Decimal("1.3")  # 1.25 -> 1.3
    assert result[1].rate_percent == Decimal("10.0")


def test_unknown_or_zero_population_gives_no_rate() -> None:
    result = participation_rates({"a": 50, "b": 60, "c": 70}, {"a": 1000, "b": 0})
    assert result[0].rate_percent == Decimal("5.0")
    assert result[1] == ZoneEngagement("b", 60, 0, None, low=False)
    assert result[2] == ZoneEngagement("c", 70, None, None, low=False)


def test_low_flag_for_published_counts() -> None:
    participants = {"a": 10, "b": 100, "c": 100}
    population = {"a": 1000, "b": 1000, "c": 1000}  # territory 7 %; a is 1 % < 3.5 %
    flags = [zone.low for zone in participation_rates(participants, population)]
    assert flags == [True, False, False]
    flags = [zone.low for zone in participation_rates(participants, population, low_ratio=Decimal("0.1"))]
    assert flags == [False, False, False]


def test_hidden_territory_total_flags_only_published_zeros() -> None:
    result = participation_rates({"a": 2, "b": 0, "c": 1}, {"a": 100, "b": 100, "c": 100})
    assert territory_rate({"a": 2, "b": 0, "c": 1}, {"a": 100, "b": 100, "c": 100}) is None
    assert [(zone.participants, zone.rate_percent, zone.low) for zone in result] == [
        (None, None, False),
        (0, Decimal("0.0"), True),
        (None, None, False),
    ]


def test_k_argument_and_settings(settings: Any) -> None:
    participants = {"a": 7, "b": 50, "c": 60}
    population = {"a": 100, "b": 100, "c": 100}
    assert participation_rates(participants, population)[0].participants == 7
    assert participation_rates(participants, population, k=10)[0].participants is None
    settings.TERRITOIRE = {**settings.TERRITOIRE, "DISCLOSURE_K": 10}
    assert participation_rates(participants, population)[0].participants is None


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="participants"):
        participation_rates({"a": -1}, {"a": 10})
    with pytest.raises(ValueError, match="population"):
        participation_rates({"a": 1}, {"a": -10})


# --------------------------------------------------------------------------- rate properties

zone_names = st.sampled_from(["Nord", "Sud", "Est", "Ouest", "Centre", "Gare"])


@st.composite
def territories(draw: Any) -> tuple[dict[str, int], dict[str, int]]:
    zones = draw(st.lists(zone_names, min_size=1, max_size=6, unique=True))
    participants = {zone: draw(st.one_of(st.integers(0, 6), st.integers(0, 200))) for zone in zones}
    population = {zone: draw(st.integers(0, 5000)) for zone in zones if draw(st.integers(0, 4)) > 0}
    return participants, population


@hypothesis_settings(max_examples=200, deadline=None)
@given(territories(), st.integers(2, 7))
def test_rates_never_reveal_a_hidden_count(territory: tuple[dict[str, int], dict[str, int]], k: int) -> None:
    participants, population = territory
    result = participation_rates(participants, population, k=k)
    for zone in result:
        if zone.participants is None:
            assert zone.rate_percent is None
            assert participants[zone.zone] > 0
        else:
            assert zone.participants == participants[zone.zone]
            assert not 0 < zone.participants < k
            if zone.rate_percent is not None:
                assert zone.population
                exact = Fraction(zone.participants * 100, zone.population)
                assert abs(Fraction(zone.rate_percent) - exact) <= Fraction(1, 20)

    # The whole output must be the same for every true data a reader cannot tell apart:
    # move one participant between two hidden zones (keeping each >= 1, the total, and
    # the suppression pattern) and nothing published may change, the low flags included.
    hidden = [zone.zone for zone in result if zone.participants is None]
    for source in hidden:
        for target in hidden:
            if source == target or participants[source] < 2:
                continue
            moved = {**participants, source: participants[source] - 1, target: participants[target] + 1}
            other = participation_rates(moved, population, k=k)
            if [zone.participants is None for zone in other] != [
                zone.participants is None for zone in result
            ]:
                continue
            assert other == result


@hypothesis_settings(max_examples=100, deadline=None)
@given(territories())
def test_territory_rate_matches_the_published_total(territory: tuple[dict[str, int], dict[str, int]]) -> None:
    participants, population = territory
    rate = territory_rate(participants, population)
    inhabitants = sum(population.values())
    if rate is not None:
        assert inhabitants > 0
        exact = Fraction(sum(participants.values()) * 100, inhabitants)
        assert abs(Fraction(rate) - exact) <= Fraction(1, 20)


# --------------------------------------------------------------------------- index by hand


def test_index_by_hand() -> None:
    # Participants 50 % / 30 % / 20 %, population 30 % / 40 % / 30 %:
    # ½ (0.2 + 0.1 + 0.1) = 0.2 -> 0.8.
    observed = {"18-29": 50, "30-59": 30, "60+": 20}
    reference = {"18-29": 3000, "30-59": 4000, "60+": 3000}
    assert representativeness_index(observed, reference) == Decimal("0.8000")


def test_index_accepts_shares_and_missing_categories() -> None:
    observed = {"femme": 30, "homme": 10}
    reference: dict[str, int | float | Decimal] = {"femme": 0.52, "homme": Decimal("0.48")}
    # p = 0.75 / 0.25, q = 0.52 / 0.48: ½ (0.23 + 0.23) = 0.23 -> 0.77
    assert representativeness_index(observed, reference) == Decimal("0.7700")
    # A category only on one side counts with share 0 on the other.
    assert representativeness_index({"a": 10}, {"b": 1}) == Decimal("0.0000")
    assert representativeness_index({"a": 10, "b": 0}, {"a": 1, "b": 1}) == Decimal("0.5000")


def test_index_rounds_to_four_decimals() -> None:
    # p = (1/3, 2/3), q = (1/2, 1/2): 1 - 1/6 = 0.83333...
    assert representativeness_index({"a": 10, "b": 20}, {"a": 1, "b": 1}) == Decimal("0.8333")


def test_index_none_cases() -> None:
    assert representativeness_index({}, {"a": 1}) is None
    assert representativeness_index({"a": 0}, {"a": 1}) is None
    assert representativeness_index({"a": 10}, {}) is None
    assert representativeness_index({"a": 10}, {"a": 0}) is None
    assert representativeness_index({"a": 3, "b": 1}, {"a": 1, "b": 1}) is None  # 4 < k = 5
    assert representativeness_index({"a": 3, "b": 1}, {"a": 1, "b": 1}, k=4) == Decimal("0.7500")


def test_index_refuses_bad_numbers() -> None:
    with pytest.raises(ValueError, match="reference"):
        representativeness_index({"a": 10}, {"a": -1})
    with pytest.raises(ValueError, match="reference"):
        representativeness_index({"a": 10}, {"a": float("nan")})
    with pytest.raises(ValueError, match="count"):
        representativeness_index({"a": -10}, {"a": 1})


# --------------------------------------------------------------------------- index properties

categories = st.lists(
    st.sampled_from(["0-17", "18-29", "30-44", "45-59", "60-74", "75+"]), min_size=1, unique=True
)


@hypothesis_settings(max_examples=100, deadline=None)
@given(categories, st.data())
def test_index_is_between_0_and_1(names: list[str], data: Any) -> None:
    observed = {name: data.draw(st.integers(0, 500)) for name in names}
    reference: dict[str, int | float | Decimal] = {
        name: data.draw(st.one_of(st.integers(0, 10**6), st.floats(0, 1))) for name in names
    }
    index = representativeness_index(observed, reference, k=1)
    if index is not None:
        assert Decimal(0) <= index <= Decimal(1)


@hypothesis_settings(max_examples=100, deadline=None)
@given(categories, st.data(), st.integers(1, 50))
def test_index_is_1_when_proportional(names: list[str], data: Any, factor: int) -> None:
    reference = {name: data.draw(st.integers(0, 1000)) for name in names}
    assume(sum(reference.values()) > 0)
    observed = {name: value * factor for name, value in reference.items()}
    assert representativeness_index(observed, reference, k=1) == Decimal("1.0000")


@hypothesis_settings(max_examples=100, deadline=None)
@given(categories, st.data())
def test_index_is_symmetric_under_relabelling(names: list[str], data: Any) -> None:
    observed = {name: data.draw(st.integers(0, 500)) for name in names}
    reference = {name: data.draw(st.integers(0, 10**5)) for name in names}
    permutation = data.draw(st.permutations(names))
    renamed = dict(zip(names, [f"x{index}" for index in range(len(names))], strict=True))
    relabelled_observed = {renamed[name]: observed[name] for name in permutation}
    relabelled_reference = {renamed[name]: reference[name] for name in reversed(permutation)}
    assert representativeness_index(relabelled_observed, relabelled_reference, k=1) == (
        representativeness_index(observed, reference, k=1)
    )


# --------------------------------------------------------------------------- themes


def test_ranked_themes_by_hand() -> None:
    contributions = {"Mobilité": 40, "Écoles": 12, "Culture": 3, "Sport": 25}
    votes = {"Mobilité": 10, "Écoles": 80, "Sport": 0, "Santé": 30}
    assert ranked_themes(contributions, votes) == [
        # Culture's 3 contributions are hidden, and Écoles' 12 (the smallest other) with
        # them; a hidden count weighs 0 in the ranking.
        ("Écoles", None, 80),  # 80
        ("Mobilité", 40, 10),  # 50
        ("Santé", 0, 30),  # 30
        ("Sport", 25, 0),  # 25
        ("Culture", None, 0),  # 0
    ]


def test_ranked_themes_ties_by_name() -> None:
    assert ranked_themes({"b": 10, "a": 10}, {}) == [("a", 10, 0), ("b", 10, 0)]


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(zone_names, st.one_of(st.integers(0, 6), st.integers(0, 100)), max_size=6),
    st.dictionaries(zone_names, st.one_of(st.integers(0, 6), st.integers(0, 100)), max_size=6),
)
def test_ranked_themes_reveal_no_hidden_count(contributions: dict[str, int], votes: dict[str, int]) -> None:
    ranked = ranked_themes(contributions, votes)
    assert {theme for theme, _, _ in ranked} == set(contributions) | set(votes)
    for theme, shown_contributions, shown_votes in ranked:
        for shown, true in (
            (shown_contributions, contributions.get(theme, 0)),
            (shown_votes, votes.get(theme, 0)),
        ):
            assert shown is None or (shown == true and not 0 < shown < 5)
    # The order depends on published figures only.
    scores = [(c or 0) + (v or 0) for _, c, v in ranked]
    assert scores == sorted(scores, reverse=True)
