"""Engagement statistics for the public participation page (pure functions, no queries).

The selectors count; these functions turn counts into what the page may show. Every
count goes through ``territoire.core.disclosure`` (counts below k hidden, with
complementary suppression), and every derived figure (rate, flag, rank) is computed
from published figures only, so that it cannot give a hidden count back.

- ``participation_rates``: participants per zone, rate per 100 inhabitants, "low
  engagement" flag;
- ``territory_rate``: the same rate for the whole territory (the reference of the flag);
- ``representativeness_index``: the single diversity index of the page;
- ``ranked_themes``: themes by contributions plus votes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from territoire.core.disclosure import suppress_series, suppress_series_and_total, threshold

DEFAULT_LOW_RATIO = Decimal("0.5")


@dataclass(frozen=True)
class ZoneEngagement:
    zone: str
    participants: int | None  # None: fewer than k, or hidden to protect another zone
    population: int | None  # None: population unknown
    rate_percent: Decimal | None  # participants per 100 inhabitants, 1 decimal
    low: bool


def _round(value: Fraction, places: int) -> Decimal:
    """Round half up to ``places`` decimals, exactly."""
    scale = 10**places
    scaled = math.floor(value * scale + Fraction(1, 2))
    return Decimal(scaled).scaleb(-places)


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, not {value!r}")
    return value


def _share(value: object, what: str) -> Fraction:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a non-negative number, not {value!r}")
    if isinstance(value, int):
        fraction = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be a finite number, not {value!r}")
        fraction = Fraction(str(value))  # 0.1 means one tenth, not its binary neighbour
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} must be a finite number, not {value!r}")
        fraction = Fraction(value)
    else:
        raise ValueError(f"{what} must be a number, not {value!r}")
    if fraction < 0:
        raise ValueError(f"{what} must not be negative, not {value!r}")
    return fraction


def _published_series(
    participants: Mapping[str, int], population: Mapping[str, int], k: int | None
) -> tuple[list[str], dict[str, int | None], int | None, dict[str, int]]:
    zones = list(dict.fromkeys([*participants, *population]))
    counts = {zone: _count(participants.get(zone, 0), f"participants of {zone!r}") for zone in zones}
    populations = {zone: _count(population[zone], f"population of {zone!r}") for zone in population}
    cells, total = suppress_series_and_total(counts, k=k)
    return zones, cells, total, populations


def _overall(total: int | None, populations: Mapping[str, int]) -> Fraction | None:
    inhabitants = sum(populations.values())
    if total is None or inhabitants == 0:
        return None
    return Fraction(total * 100, inhabitants)


def territory_rate(
    participants: Mapping[str, int], population: Mapping[str, int], *, k: int | None = None
) -> Decimal | None:
    """Participants per 100 inhabitants over the whole territory (1 decimal).

    All participants over the population of the zones whose population is known; None
    when the total cannot be published (see ``disclosure.series_total``) or no
    population is known.
    """
    _zones, _cells, total, populations = _published_series(participants, population, k)
    overall = _overall(total, populations)
    return None if overall is None else _round(overall, 1)


def participation_rates(
    participants: Mapping[str, int],
    population: Mapping[str, int],
    *,
    k: int | None = None,
    low_ratio: Decimal = DEFAULT_LOW_RATIO,
) -> list[ZoneEngagement]:
    """Participation per zone, safe to publish.

    - Participant counts below k are hidden, with complementary suppression over the
      series whose total (the territory's participants) the page publishes
      (``disclosure.suppress_series``). A hidden count has no rate either: with the
      population public, the rate would give the count back.
    - ``rate_percent`` = participants / population × 100, rounded half up to 1 decimal;
      None when the count is hidden or the population unknown or zero.
    - ``low``: the zone's rate is below ``low_ratio`` × the territory's rate
      (``territory_rate``). The flag is computed from published figures only, so it
      reveals nothing: for a published count, from the count itself; for a hidden one,
      from the **largest value a reader could give it** (the published total minus the
      published counts, minus 1 for each other hidden zone, since zeros are published):
      a hidden zone is flagged only when even that maximum is a low rate. A hidden zone
      that might be low but might not is not flagged. When the territory's total is
      hidden, only zones with a published zero (and inhabitants) are flagged.

    Zones are those of ``participants`` then those only in ``population`` (with 0
    participants), in that order.
    """
    zones, cells, total, populations = _published_series(participants, population, k)
    overall = _overall(total, populations)
    limit = None if overall is None else Fraction(low_ratio) * overall
    hidden = [zone for zone in zones if cells[zone] is None]
    largest_hidden: int | None = None
    if total is not None and hidden:
        published = sum(count for count in cells.values() if count is not None)
        largest_hidden = total - published - (len(hidden) - 1)

    result = []
    for zone in zones:
        count = cells[zone]
        inhabitants = populations.get(zone)
        rate = None
        low = False
        if inhabitants:
            if count is not None:
                exact = Fraction(count * 100, inhabitants)
                rate = _round(exact, 1)
                # With the territory's total hidden, every non-zero count is hidden too
                # (disclosure rule 3); a published zero is still below any positive rate.
                low = exact < limit if limit is not None else count == 0 and total is None
            elif limit is not None and largest_hidden is not None:
                low = Fraction(largest_hidden * 100, inhabitants) < limit
        result.append(
            ZoneEngagement(
                zone=zone,
                participants=count,
                population=inhabitants,
                rate_percent=rate,
                low=low,
            )
        )
    return result


def representativeness_index(
    observed: Mapping[str, int],
    reference: Mapping[str, int | float | Decimal],
    *,
    k: int | None = None,
) -> Decimal | None:
    """How closely the participants mirror the population, from 0 to 1.

    In plain words (the page quotes this): take the participants who declared, say,
    their age band, and the inhabitants of the territory by the same bands. Compare the
    share of each band among participants with its share among inhabitants, add up the
    differences, and halve the sum: that is the proportion of participants who would have
    to belong to another band for the participants to look exactly like the population.
    The index is one minus that proportion: **1** means the participants mirror the
    population, **0.8** means 20 % of them "would have to change band", **0** means the
    two groups have nothing in common.

    Formula: 1 − ½ Σ |pᵢ − qᵢ| over the categories (pᵢ: share of category i among the
    participants who declared the attribute; qᵢ: its share in ``reference``, e.g. census
    age bands; a category missing on one side has share 0 there), rounded half up to 4
    decimals.

    None when nobody declared the attribute, when the reference is empty or sums to
    zero, and when fewer than k participants declared it (``disclosure.threshold()``):
    a figure from a handful of people would say little and could reveal their answers.
    """
    observed_counts = {
        category: _count(value, f"count of {category!r}") for category, value in observed.items()
    }
    reference_sizes = {
        category: _share(value, f"reference of {category!r}") for category, value in reference.items()
    }
    participants = sum(observed_counts.values())
    inhabitants = sum(reference_sizes.values(), Fraction(0))
    if participants == 0 or inhabitants == 0:
        return None
    if participants < (threshold() if k is None else k):
        return None
    categories = dict.fromkeys([*observed_counts, *reference_sizes])
    distance = sum(
        (
            abs(
                Fraction(observed_counts.get(c, 0), participants)
                - reference_sizes.get(c, Fraction(0)) / inhabitants
            )
            for c in categories
        ),
        Fraction(0),
    )
    return _round(1 - distance / 2, 4)


def ranked_themes(
    contributions: Mapping[str, int], votes: Mapping[str, int], *, k: int | None = None
) -> list[tuple[str, int | None, int | None]]:
    """Themes with their contributions and votes, most engaging first.

    Both counts are suppressed below k (complementary suppression within each series,
    whose total the page may publish). The order uses the **published** counts, a hidden
    count weighing 0: ranking by the true counts would let a reader squeeze a hidden
    count between its neighbours. Ties are broken by theme name.
    Themes are those of either mapping; a theme missing from one has 0 there.
    """
    themes = list(dict.fromkeys([*contributions, *votes]))
    contribution_counts = {t: _count(contributions.get(t, 0), f"contributions of {t!r}") for t in themes}
    vote_counts = {t: _count(votes.get(t, 0), f"votes of {t!r}") for t in themes}
    shown_contributions = suppress_series(contribution_counts, k=k)
    shown_votes = suppress_series(vote_counts, k=k)
    rows = [(theme, shown_contributions[theme], shown_votes[theme]) for theme in themes]
    return sorted(rows, key=lambda row: (-((row[1] or 0) + (row[2] or 0)), row[0].casefold(), row[0]))
