"""The SVG charts: bars, history lines and the priority matrix, sized and worded for a phone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from django.utils import translation

from territoire.core.charts import (
    PHONE_COLUMN,
    Bar,
    MatrixItem,
    Point,
    bar_chart,
    date_ticks,
    line_chart,
    priority_matrix,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_proportional_and_a_suppressed_value_draws_nothing() -> None:
    svg = bar_chart(
        [
            Bar("Nord", 50.0, "50 %"),
            Bar("Sud <script>", 25.0, "25 %", flagged=True),
            Bar("Centre", None, "< 5"),
        ],
        title="Taux",
        description="Une barre par quartier",
        chart_id="c",
    )
    root = ET.fromstring(str(svg).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    widths = [float(rect.get("width", "0")) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] > 0
    assert widths[2] == 0
    fills = [rect.get("fill") for rect in root.iter(f"{SVG}rect")]
    assert fills[1] != fills[0]  # the flagged bar stands out
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "< 5" in texts
    # Labels are escaped, never markup.
    assert "<script>" not in str(svg)
    assert re.search(r'aria-labelledby="c-title c-desc"', str(svg))


def test_no_bars_no_chart() -> None:
    assert str(bar_chart([], title="t", description="d", chart_id="x")) == ""


# --------------------------------------------------------------------------- phone-sized charts


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def tick_labels(svg: str, axis: str) -> list[str]:
    return [t.text or "" for t in parse(svg).iter(f"{SVG}text") if t.get("class") == f"tick-{axis}"]


def smallest_text_on_a_phone(svg: str) -> float:
    """The smallest text of the chart in CSS px, drawn at most 358 px wide (a 390-px phone)."""
    root = parse(svg)
    view_width = float(root.get("viewBox", "").split()[2])
    scale = min(PHONE_COLUMN, view_width) / view_width
    default = float(root.get("font-size", "16"))
    sizes = [float(t.get("font-size") or default) for t in root.iter(f"{SVG}text")]
    assert sizes
    return min(sizes) * scale


def monthly(first_year: int, months: int, start: float, step: float) -> list[Point]:
    return [Point(date(first_year + m // 12, m % 12 + 1, 28), start + m * step) for m in range(months)]


def test_value_axis_writes_numbers_the_french_way_on_french_pages() -> None:
    points = monthly(2025, 12, 10.0, 0.2)  # 10 → 12.2: ticks every 0.5
    with translation.override("fr"):
        french = tick_labels(line_chart(points, title="t", description="d"), "y")
    with translation.override("en"):
        english = tick_labels(line_chart(points, title="t", description="d"), "y")
    assert french == ["10,0", "10,5", "11,0", "11,5", "12,0"]
    assert english == ["10.0", "10.5", "11.0", "11.5", "12.0"]


def test_large_values_are_grouped_by_thousands_in_the_language_of_the_page() -> None:
    points = [Point(date(2025, 1, 31), 10_000.0), Point(date(2025, 12, 31), 30_000.0)]
    with translation.override("fr"):
        french = tick_labels(line_chart(points, title="t", description="d"), "y")
    with translation.override("en"):
        english = tick_labels(line_chart(points, title="t", description="d"), "y")
    assert "20\N{NO-BREAK SPACE}000" in french or "20\N{NARROW NO-BREAK SPACE}000" in french, french
    assert "20,000" in english
    assert "." not in "".join(french)


def test_two_years_of_months_get_a_tick_every_six_months_in_words() -> None:
    points = monthly(2025, 24, 10.0, 1.0)  # 28 January 2025 → 28 December 2026
    with translation.override("fr"):
        assert tick_labels(line_chart(points, title="t", description="d"), "x") == [
            "juil. 2025",
            "jan. 2026",
            "juil. 2026",
        ]
    with translation.override("en"):
        assert tick_labels(line_chart(points, title="t", description="d"), "x") == [
            "July 2025",
            "Jan. 2026",
            "July 2026",
        ]
    # A few months: a tick every month or two.
    with translation.override("fr"):
        labels = tick_labels(line_chart(monthly(2025, 5, 1.0, 1.0), title="t", description="d"), "x")
    assert labels == ["fév. 2025", "mars 2025", "avr. 2025", "mai 2025"]


def test_ten_years_are_ticked_by_year_and_the_target_date_widens_the_axis() -> None:
    points = monthly(2015, 120, 10.0, 0.1)
    svg = line_chart(points, title="t", description="d", target=Point(date(2027, 12, 31), 50.0))
    labels = tick_labels(svg, "x")
    assert all(re.fullmatch(r"\d{4}", label) for label in labels), labels
    years = [int(label) for label in labels]
    assert years == sorted(years)
    assert years[0] <= 2016, years
    assert years[-1] >= 2026, years
    assert 4 <= len(years) <= 7


def test_date_ticks_never_overlap() -> None:
    for first, last in [
        (date(2025, 1, 31), date(2025, 3, 31)),
        (date(2024, 12, 31), date(2026, 11, 30)),
        (date(2019, 1, 31), date(2027, 12, 31)),
        (date(1990, 1, 1), date(2026, 1, 1)),
    ]:
        ticks = date_ticks(first, last, plot_width=300)
        assert ticks, (first, last)
        span = (last - first).days or 1
        positions = [(t - first).days / span * 300 for t, _label in ticks]
        widths = [len(label) * 12 * 0.6 for _t, label in ticks]
        for a in range(len(ticks) - 1):
            assert positions[a + 1] - positions[a] >= (widths[a] + widths[a + 1]) / 2, ticks


def test_a_single_month_is_labelled_by_its_date() -> None:
    with translation.override("fr"):
        assert date_ticks(date(2025, 6, 30), date(2025, 6, 30), plot_width=300) == [
            (date(2025, 6, 30), "juin 2025")
        ]


def test_every_chart_keeps_its_text_readable_on_a_phone() -> None:
    line = line_chart(monthly(2024, 24, 60.0, 0.5), title="t", description="d", unit="%")
    bars = bar_chart(
        [Bar("Un quartier au nom vraiment très long pour un téléphone", 12.0, "12,0 %")],
        title="t",
        description="d",
        chart_id="b",
    )
    matrix = priority_matrix(
        [MatrixItem(f"P{n}", 1 + n % 5, 1 + n % 3, n) for n in range(1, 13)],
        title="t",
        description="d",
        x_label="Complexité →",
        y_label="Valeur →",
        quadrant_labels=["Gains rapides", "Projets structurants", "Compléments", "À reconsidérer"],
    )
    for svg in (line, bars, matrix):
        assert smallest_text_on_a_phone(svg) >= 11, svg[:120]
