"""The status rule of a target: hand-computed cases and properties (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from territoire.indicators.status import Observation, Status, assess, progress

D0 = date(2024, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def obs(*points: tuple[int, float]) -> list[Observation]:
    return [Observation(day(n), v) for n, v in points]


def run(
    points: list[Observation],
    *,
    baseline: float = 0.0,
    target: float = 100.0,
    higher: bool = True,
    today: int = 400,
    deadline: int = 1000,
    trend_points: int = 6,
) -> tuple[Status, float | None, float | None]:
    result = assess(
        points,
        baseline=Observation(D0, baseline),
        target=Observation(day(deadline), target),
        higher_is_better=higher,
        today=day(today),
        trend_points=trend_points,
    )
    return result.status, result.progress, result.projected_value


# --- Hand-computed cases ---------------------------------------------------------------
# Baseline 0 on day 0; observations every 100 days; target date on day 1000.
# With 10, 20, 30 on days 100, 200, 300 the slope is 0.1 a day: projected 30 + 0.1 × 700 = 100.


def test_no_data() -> None:
    assert run([]) == (Status.NO_DATA, None, None)


def test_reached_when_the_latest_value_meets_the_target() -> None:
    status, done, _ = run(obs((100, 50), (200, 101)))
    assert status is Status.REACHED
    assert done == 1.0


def test_reached_even_after_the_deadline() -> None:
    status, _, _ = run(obs((900, 80), (1100, 100)), today=1200)
    assert status is Status.REACHED


def test_on_track_when_the_projection_passes_the_target() -> None:
    status, done, projected = run(obs((100, 10), (200, 20), (300, 30)), target=90)
    assert status is Status.ON_TRACK
    assert projected == pytest.approx(100)
    assert done == pytest.approx(30 / 90)


def test_at_risk_when_the_projection_covers_80_percent_of_the_way() -> None:
    # Projected 100 for a target of 110: 91 % of the way.
    status, _, projected = run(obs((100, 10), (200, 20), (300, 30)), target=110)
    assert status is Status.AT_RISK
    assert projected == pytest.approx(100)


def test_off_track_when_the_projection_falls_short() -> None:
    # Projected 100 for a target of 200: 50 % of the way.
    assert run(obs((100, 10), (200, 20), (300, 30)), target=200)[0] is Status.OFF_TRACK


def test_off_track_on_a_flat_trend() -> None:
    status, _, projected = run(obs((100, 30), (200, 30), (300, 30)))
    assert status is Status.OFF_TRACK
    assert projected == pytest.approx(30)


def test_deadline_passed_without_reaching_the_target_is_off_track() -> None:
    # A steep trend that would pass the target does not count once the date has passed.
    status, done, _ = run(obs((800, 80), (900, 95)), today=1001)
    assert status is Status.OFF_TRACK
    assert done == pytest.approx(0.95)


def test_deadline_day_itself_still_projects() -> None:
    assert run(obs((800, 80), (900, 95)), today=1000)[0] is Status.ON_TRACK


@pytest.mark.parametrize(
    ("points", "expected", "projection"),
    [
        # Baseline 20, target 10 (a delay in days, say). 19 then 17: −0.02 a day → 1.
        (((100, 19), (200, 17)), Status.ON_TRACK, 1.0),
        # 18 then 17.2: −0.008 a day → 17.2 − 6.4 = 10.8, i.e. 92 % of the way.
        (((100, 18), (200, 17.2)), Status.AT_RISK, 10.8),
        # Flat at 18: 20 % of the way.
        (((100, 18), (200, 18)), Status.OFF_TRACK, 18.0),
        # Getting worse: off track.
        (((100, 18), (200, 19)), Status.OFF_TRACK, 27.0),
        # At or under the target: reached.
        (((100, 12), (200, 10)), Status.REACHED, 10.0),
        (((100, 12), (200, 9)), Status.REACHED, 9.0),
    ],
)
def test_lower_is_better(points: tuple[tuple[int, float], ...], expected: Status, projection: float) -> None:
    status, _, projected = run(obs(*points), baseline=20, target=10, higher=False, today=300)
    assert status is expected
    assert projected == pytest.approx(projection)


def test_lower_is_better_progress() -> None:
    # From 20 towards 10, now at 17: 30 % of the way.
    assert run(obs((100, 19), (200, 17)), baseline=20, target=10, higher=False)[1] == pytest.approx(0.3)


def test_one_point_uses_the_baseline_for_the_trend() -> None:
    # Baseline 0 on day 0, 45 on day 500: 0.09 a day → 45 + 45 = 90 on day 1000: at risk.
    # Without the baseline there would be no slope at all (projection 45: off track).
    status, done, projected = run(obs((500, 45)), today=600)
    assert status is Status.AT_RISK
    assert projected == pytest.approx(90)
    assert done == pytest.approx(0.45)
    # 60 on day 500: 0.12 a day → 120: on track.
    assert run(obs((500, 60)), today=600)[0] is Status.ON_TRACK


def test_one_point_on_the_baseline_date_has_no_trend() -> None:
    status, _, projected = run([Observation(D0, 40.0)], today=10)
    assert status is Status.OFF_TRACK
    assert projected == pytest.approx(40)


def test_only_the_recent_points_make_the_trend() -> None:
    # A fast start then a stall: with the last 2 points only, the trend is flat.
    points = obs((100, 10), (200, 40), (300, 70), (400, 71))
    assert run(points, trend_points=6, target=130, today=450)[0] is Status.ON_TRACK
    assert run(points, trend_points=2, target=130, today=450)[0] is Status.OFF_TRACK


def test_observations_in_any_order() -> None:
    points = obs((100, 10), (200, 20), (300, 30))
    assert run(points[::-1], target=110) == run(points, target=110)


def test_target_below_baseline_when_higher_is_better_is_judged_against_the_target() -> None:
    # An inconsistent target (lower than the baseline although higher is better).
    # 35 then 38: +0.03 a day → 38 + 24 = 62 ≥ 40.
    assert run(obs((100, 35), (200, 38)), baseline=50, target=40, today=300)[0] is Status.ON_TRACK
    # 39 then 35: falling further below the target.
    assert run(obs((100, 39), (200, 35)), baseline=50, target=40, today=300)[0] is Status.OFF_TRACK
    assert run(obs((100, 35), (200, 41)), baseline=50, target=40, today=300)[0] is Status.REACHED


def test_target_equal_to_baseline() -> None:
    assert run(obs((100, 48), (200, 49)), baseline=50, target=50, today=300)[0] is Status.ON_TRACK
    assert run(obs((100, 48), (200, 47)), baseline=50, target=50, today=300)[0] is Status.OFF_TRACK


@pytest.mark.parametrize("factor", [1.0, 0.001, 0.01, 0.07, 0.1, 1 / 3, 3.0, 100.0])
def test_a_figure_exactly_on_a_threshold_gets_the_same_status_in_any_unit(factor: float) -> None:
    # Regression: 0.08 / 0.1 is 0.7999999999999999 in floating point, which used to turn an
    # "at risk" at 80 % into "off track" when the figures were fractions instead of percents;
    # 0.07 × 100 projected exactly on the target used to fall short of "on track".
    def scaled(*points: tuple[int, float]) -> list[Observation]:
        return obs(*((n, v * factor) for n, v in points))

    # Flat at 8 for a target of 10 from 0: exactly 80 % of the way.
    at_risk = run(scaled((100, 8), (200, 8)), target=10 * factor, today=300)
    assert at_risk[0] is Status.AT_RISK
    # 10, 20, 30: projected exactly on a target of 100.
    on_track = run(scaled((100, 10), (200, 20), (300, 30)), target=100 * factor)
    assert on_track[0] is Status.ON_TRACK
    # Lower is better, from 50 to 10: 50 then 45 → 45 − 0.05 × 800 = 5.
    lower = run(scaled((100, 50), (200, 45)), baseline=50 * factor, target=10 * factor, higher=False)
    assert lower[0] is Status.ON_TRACK
    # Target equal to the baseline (30): 28 then 29 on days 600 and 800 → exactly 30 on day 1000.
    level = run(scaled((600, 28), (800, 29)), baseline=30 * factor, target=30 * factor, today=850)
    assert level[0] is Status.ON_TRACK


def test_progress_function() -> None:
    assert progress(5, 0, 10) == 0.5
    assert progress(-5, 0, 10) == 0.0
    assert progress(15, 0, 10) == 1.0
    assert progress(15, 20, 10) == 0.5
    assert progress(3, 3, 3) == 1.0


def test_status_order_and_slug() -> None:
    assert Status.NO_DATA < Status.OFF_TRACK < Status.AT_RISK < Status.ON_TRACK < Status.REACHED
    assert Status.ON_TRACK.slug == "on-track"


# --- Properties ------------------------------------------------------------------------
# Values are whole numbers in a realistic range (figures of a dashboard), so that the
# properties speak about the rule and not about the last bit of a float.

values = st.integers(min_value=-1_000, max_value=1_000).map(float)
offsets = st.integers(min_value=1, max_value=1_500)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    days = sorted(draw(st.sets(st.integers(min_value=0, max_value=1_200), min_size=1, max_size=8)))
    points = [Observation(day(d), draw(values)) for d in days]
    baseline_day = draw(st.integers(min_value=-400, max_value=days[0]))
    deadline = baseline_day + draw(offsets)
    return {
        "points": points,
        "baseline": Observation(day(baseline_day), draw(values)),
        "target": Observation(day(deadline), draw(values)),
        "higher_is_better": draw(st.booleans()),
        "today": day(draw(st.integers(min_value=days[-1], max_value=days[-1] + 800))),
        "trend_points": draw(st.integers(min_value=2, max_value=8)),
    }


def assess_scenario(s: dict[str, object], **changes: object) -> Status:
    merged = {**s, **changes}
    points = merged.pop("points")
    return assess(points, **merged).status  # type: ignore[arg-type]


def with_latest(points: list[Observation], value: float) -> list[Observation]:
    return [*points[:-1], Observation(points[-1].when, value)]


@settings(max_examples=200, deadline=None)
@given(s=scenarios(), gain=st.integers(min_value=1, max_value=500))
def test_a_better_latest_value_never_gives_a_worse_status(s: dict[str, object], gain: int) -> None:
    points: list[Observation] = s["points"]  # type: ignore[assignment]
    sign = 1 if s["higher_is_better"] else -1
    better = with_latest(points, points[-1].value + sign * gain)
    assert assess_scenario(s, points=better) >= assess_scenario(s)


@settings(max_examples=200, deadline=None)
@given(s=scenarios(), gain=st.integers(min_value=1, max_value=500))
def test_a_worse_latest_value_never_gives_a_better_status(s: dict[str, object], gain: int) -> None:
    points: list[Observation] = s["points"]  # type: ignore[assignment]
    sign = 1 if s["higher_is_better"] else -1
    worse = with_latest(points, points[-1].value - sign * gain)
    assert assess_scenario(s, points=worse) <= assess_scenario(s)


@settings(max_examples=200, deadline=None)
@given(s=scenarios(), ease=st.integers(min_value=1, max_value=500))
def test_an_easier_target_never_gives_a_worse_status(s: dict[str, object], ease: int) -> None:
    target: Observation = s["target"]  # type: ignore[assignment]
    sign = 1 if s["higher_is_better"] else -1
    easier = Observation(target.when, target.value - sign * ease)
    assert assess_scenario(s, target=easier) >= assess_scenario(s)


# The hand-found tie: 80 % of the way exactly (flat at 8 for a target of 10 from 0).
ON_THE_THRESHOLD = {
    "points": obs((100, 8.0), (200, 8.0)),
    "baseline": Observation(D0, 0.0),
    "target": Observation(day(1000), 10.0),
    "higher_is_better": True,
    "today": day(300),
    "trend_points": 6,
}


@settings(max_examples=200, deadline=None)
@example(s=ON_THE_THRESHOLD, factor=0.01)
@given(s=scenarios(), factor=st.sampled_from([0.001, 0.01, 0.1, 0.25, 3.0, 7.0, 100.0, 1000.0]))
def test_the_status_does_not_depend_on_the_unit(s: dict[str, object], factor: float) -> None:
    points: list[Observation] = s["points"]  # type: ignore[assignment]
    baseline: Observation = s["baseline"]  # type: ignore[assignment]
    target: Observation = s["target"]  # type: ignore[assignment]
    scaled = assess_scenario(
        s,
        points=[Observation(p.when, p.value * factor) for p in points],
        baseline=Observation(baseline.when, baseline.value * factor),
        target=Observation(target.when, target.value * factor),
    )
    assert scaled == assess_scenario(s)


@settings(max_examples=200, deadline=None)
@given(s=scenarios())
def test_progress_is_between_0_and_1(s: dict[str, object]) -> None:
    merged = dict(s)
    result = assess(merged.pop("points"), **merged)  # type: ignore[arg-type]
    assert result.progress is not None
    assert 0.0 <= result.progress <= 1.0
    assert result.status is not Status.NO_DATA


@settings(max_examples=200, deadline=None)
@given(current=values, baseline=values, target=values)
def test_progress_function_is_bounded(current: float, baseline: float, target: float) -> None:
    assert 0.0 <= progress(current, baseline, target) <= 1.0
