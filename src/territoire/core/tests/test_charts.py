"""The bar chart shared by the modules' statistics pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from territoire.core.charts import Bar, bar_chart

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
