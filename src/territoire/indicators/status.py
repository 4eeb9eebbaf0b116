"""Status of a target: reached, on track, at risk or off track.

The rule (documented in docs/indicators.md and shown on every indicator page):

1. Progress follows the public-sector convention (PILOTE, Baromètre de l'action
   publique): ``(current − baseline) / (target − baseline)``, capped to 0–100 %.
2. *Reached* when the latest value meets the target (≥ when higher is better, ≤ when
   lower is better), whatever the date.
3. Otherwise, if the target date has passed: *off track*.
4. Otherwise the recent trend is projected to the target date: the slope is the
   least-squares slope of the last ``n`` values (default 6; the baseline counts as a
   point when there are fewer than two), and the projection is
   ``latest + slope × (target date − latest date)``. The projected progress then gives
   *on track* (≥ 100 %), *at risk* (≥ 80 %) or *off track* (below), up to a rounding
   tolerance so that a figure on a threshold gets the same status in any unit.

Properties (tested with hypothesis): a better latest value never gives a worse status;
an easier target never gives a worse status; the status does not depend on the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

AT_RISK_THRESHOLD = 0.8
# Relative tolerance of the threshold comparisons (see ``assess``).
TOLERANCE = 1e-9


class Status(IntEnum):
    # Ordered from worst to best so that comparisons read naturally.
    NO_DATA = 0
    OFF_TRACK = 1
    AT_RISK = 2
    ON_TRACK = 3
    REACHED = 4

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class Observation:
    when: date
    value: float


@dataclass(frozen=True)
class Assessment:
    status: Status
    progress: float | None  # 0..1
    projected_value: float | None
    latest: Observation | None


def progress(current: float, baseline: float, target: float) -> float:
    if target == baseline:
        return 1.0
    return min(1.0, max(0.0, (current - baseline) / (target - baseline)))


def _slope(points: Sequence[Observation]) -> float:
    xs = [p.when.toordinal() for p in points]
    ys = [p.value for p in points]
    n = len(points)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx


def assess(
    observations: Sequence[Observation],
    *,
    baseline: Observation,
    target: Observation,
    higher_is_better: bool,
    today: date,
    trend_points: int = 6,
) -> Assessment:
    """Assess a target from the observations (any order; one per date)."""
    if not observations:
        return Assessment(Status.NO_DATA, None, None, None)
    ordered = sorted(observations, key=lambda o: o.when)
    latest = ordered[-1]
    sign = 1.0 if higher_is_better else -1.0
    done = progress(latest.value, baseline.value, target.value)
    if sign * (latest.value - target.value) >= 0:
        return Assessment(Status.REACHED, done, latest.value, latest)
    if today > target.when:
        return Assessment(Status.OFF_TRACK, done, latest.value, latest)
    recent = ordered[-trend_points:]
    if len(recent) < 2:
        recent = [baseline, *recent] if baseline.when < latest.when else recent
    slope = _slope(recent) if len(recent) >= 2 else 0.0
    horizon = max(0, target.when.toordinal() - latest.when.toordinal())
    projected = latest.value + slope * horizon
    # Compare values rather than ratios ((projected − baseline) / (target − baseline) ≥ share
    # is sign × projected ≥ sign × (baseline + share × (target − baseline)) for a target in
    # the better direction), with a tolerance relative to the figures' magnitude, so that a
    # figure exactly on a threshold gets the same status whatever its unit: in binary
    # floating point 8 / 10 is 0.8 but 0.08 / 0.1 is 0.7999999999999999.
    magnitude = max(abs(latest.value), abs(baseline.value), abs(target.value), abs(projected))

    def reaches(share: float) -> bool:
        goal = baseline.value + share * (target.value - baseline.value)
        return sign * projected >= sign * goal - TOLERANCE * magnitude

    if sign * (target.value - baseline.value) > 0:
        if reaches(1.0):
            status = Status.ON_TRACK
        elif reaches(AT_RISK_THRESHOLD):
            status = Status.AT_RISK
        else:
            status = Status.OFF_TRACK
    else:
        # A target equal to the baseline, or worse than it (inconsistent with the direction):
        # there is no way to go, so judge the projection against the target alone.
        status = Status.ON_TRACK if reaches(1.0) else Status.OFF_TRACK
    return Assessment(status, done, projected, latest)
