"""Server-rendered SVG charts: light, readable without JavaScript, no third party.

Every chart is paired in its template with a table holding the same data; the SVG
carries a title and a description for assistive technologies.

Sizes are chosen for a phone first. An SVG with a viewBox scales to its box, text
included; a 640-unit chart shown 358 px wide (a 390-px screen less the margins) turns
11-unit labels into 6-px ones. So the charts are drawn about as wide as a phone's
column (``PHONE_WIDTH``) with ``FONT`` units of text, which stays above 11 CSS px there,
and the stylesheet caps their width on wider screens so that text stays moderate.
Numbers and dates on the axes follow the active language (decimal comma in French).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.dateformat import format as format_date
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Point:
    when: date
    value: float


def _scale(value: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi == lo:
        return (out_lo + out_hi) / 2
    return out_lo + (value - lo) * (out_hi - out_lo) / (hi - lo)


def _fmt(x: float) -> str:
    return f"{x:.1f}"


# The width of the text column on a 390-px phone (1 rem of margin on each side), the
# charts' viewBox width, and their text size in viewBox units (12 × 358 / 360 ≈ 11.9 px).
PHONE_COLUMN = 358
PHONE_WIDTH = 360
FONT = 12
# Average advance of a character of the system sans-serif, in ems: to keep labels apart.
_CHAR_EM = 0.6


def _text_width(text: str, size: float = FONT) -> float:
    return len(text) * size * _CHAR_EM


def number_label(value: float, decimals: int) -> str:
    """A tick value as the active language writes it ("2,5" in French, "2.5" in English)."""
    return formats.number_format(round(value, decimals), decimals, use_l10n=True, force_grouping=True)


def _decimals(ticks: Sequence[float]) -> int:
    """The fewest decimals that print every tick exactly (0.5 steps: 1, 0.25: 2)."""
    for decimals in range(5):
        if all(math.isclose(round(t, decimals), t, abs_tol=1e-9) for t in ticks):
            return decimals
    return 4


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def date_ticks(first: date, last: date, *, plot_width: float) -> list[tuple[date, str]]:
    """Ticks on the first day of months or years, as many as fit side by side.

    The step is the smallest of 1, 2, 3 or 6 months (labelled "janv. 2025") or 1, 2, 5,
    10 years (labelled "2025") whose labels fit the plot's width, so a two-year history
    reads "janv. 2025, juil. 2025, janv. 2026…" and a ten-year one "2016, 2018…".
    """
    start, end = _month_index(first), _month_index(last)
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        fmt = "Y" if step >= 12 else "N Y"
        ticks = []
        for index in range(start, end + 1):
            tick = date(index // 12, index % 12 + 1, 1)
            if step >= 12 and (tick.month != 1 or tick.year % (step // 12)):
                continue
            if step < 12 and (index % step or tick < first):
                continue
            if first <= tick <= last:
                ticks.append((tick, format_date(tick, fmt)))
        if not ticks:
            continue
        widest = max(_text_width(label) for _t, label in ticks)
        if len(ticks) * (widest + FONT) <= plot_width:
            return ticks
    # Less than a month apart (or nothing fits): the first and last dates themselves.
    ends = [first] if first == last else [first, last]
    return [(d, format_date(d, "N Y")) for d in ends]


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 28, label: str = "") -> SafeString:
    """A small trend line; decorative next to the figure it accompanies."""
    if len(values) < 2:
        return mark_safe("")
    lo, hi = min(values), max(values)
    pad = 3.0
    step = (width - 2 * pad) / (len(values) - 1)
    coords = " ".join(
        f"{_fmt(pad + i * step)},{_fmt(_scale(v, lo, hi, height - pad, pad))}" for i, v in enumerate(values)
    )
    last_x = pad + (len(values) - 1) * step
    last_y = _scale(values[-1], lo, hi, height - pad, pad)
    return format_html(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="{label}" focusable="false">'
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{coords}"/>'
        '<circle cx="{lx}" cy="{ly}" r="2.5" fill="currentColor"/></svg>',
        w=width,
        h=height,
        label=label,
        coords=coords,
        lx=_fmt(last_x),
        ly=_fmt(last_y),
    )


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi == lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** int(f"{raw:e}".split("e")[1])
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = (lo // step) * step
    ticks = []
    tick = start
    while tick <= hi + step * 0.001:
        if tick >= lo - step * 0.001:
            ticks.append(round(tick, 10))
        tick += step
    return ticks


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    unit: str = "",
    target: Point | None = None,
    baseline: Point | None = None,
    width: int = PHONE_WIDTH,
    height: int = 230,
) -> SafeString:
    """History of an indicator, with its baseline and target when known."""
    if not points:
        return mark_safe("")
    all_points = list(points) + [p for p in (target, baseline) if p is not None]
    t_lo = min(p.when for p in all_points).toordinal()
    t_hi = max(p.when for p in all_points).toordinal()
    v_lo = min(p.value for p in all_points)
    v_hi = max(p.value for p in all_points)
    if v_lo > 0 and v_lo < (v_hi - v_lo):
        v_lo = 0.0
    ticks = _nice_ticks(v_lo, v_hi)
    v_lo, v_hi = min([v_lo, *ticks]), max([v_hi, *ticks])
    decimals = _decimals(ticks)
    labels = [number_label(tick, decimals) for tick in ticks]
    # The left margin holds the widest value label; the bottom one the date labels.
    left = max(28.0, max(_text_width(label) for label in labels) + 10)
    right, top, bottom = 10.0, 22.0, 30.0

    def x(d: date) -> float:
        return _scale(d.toordinal(), t_lo, t_hi, left, width - right)

    def y(v: float) -> float:
        return _scale(v, v_lo, v_hi, height - bottom, top)

    parts: list[str] = [
        format_html(
            '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title chart-desc" '
            'focusable="false" font-size="{f}"><title id="chart-title">{t}</title><desc id="chart-desc">{d}</desc>',
            w=width,
            h=height,
            f=FONT,
            t=title,
            d=description,
        )
    ]
    for tick, label in zip(ticks, labels, strict=True):
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#d0d4da" stroke-width="1"/>'
                '<text class="tick-y" x="{tx}" y="{ty}" text-anchor="end" fill="#3a3f47">{label}</text>',
                x1=_fmt(left),
                x2=_fmt(width - right),
                y=_fmt(y(tick)),
                tx=_fmt(left - 5),
                ty=_fmt(y(tick) + FONT / 3),
                label=label,
            )
        )
    first, last = min(p.when for p in all_points), max(p.when for p in all_points)
    for when, label in date_ticks(first, last, plot_width=width - left - right):
        half = _text_width(label) / 2
        centre = min(max(x(when), half + 1), width - half - 1)
        parts.append(
            format_html(
                '<line x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="#5f6670" stroke-width="1"/>'
                '<text class="tick-x" x="{tx}" y="{ty}" text-anchor="middle" fill="#3a3f47">{label}</text>',
                x=_fmt(x(when)),
                y1=_fmt(height - bottom),
                y2=_fmt(height - bottom + 4),
                tx=_fmt(centre),
                ty=_fmt(height - bottom + 4 + FONT + 2),
                label=label,
            )
        )
    if target is not None:
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#1f6f3f" stroke-width="1.5" '
                'stroke-dasharray="6 4"/><circle cx="{cx}" cy="{y}" r="4" fill="#1f6f3f"/>',
                x1=_fmt(left),
                x2=_fmt(width - right),
                y=_fmt(y(target.value)),
                cx=_fmt(x(target.when)),
            )
        )
    coords = " ".join(f"{_fmt(x(p.when))},{_fmt(y(p.value))}" for p in points)
    parts.append(
        format_html('<polyline fill="none" stroke="#1d4f91" stroke-width="2" points="{c}"/>', c=coords)
    )
    for p in points:
        parts.append(
            format_html(
                '<circle cx="{cx}" cy="{cy}" r="2.5" fill="#1d4f91"/>',
                cx=_fmt(x(p.when)),
                cy=_fmt(y(p.value)),
            )
        )
    parts.append(
        format_html('<text x="{x}" y="{y}" fill="#3a3f47">{u}</text>', x=_fmt(left), y=_fmt(FONT + 2), u=unit)
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every part built with format_html)


@dataclass(frozen=True)
class MatrixItem:
    label: str
    value: float  # socio-economic value, 1..5
    complexity: float  # 1..5
    rank: int
    href: str = ""


def priority_matrix(
    items: Sequence[MatrixItem],
    *,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    quadrant_labels: Sequence[str],
    size: int = 440,
    split: int = 2,
) -> SafeString:
    """Value (vertical) against complexity (horizontal) on a 5 × 5 grid of cells.

    Markers are numbered by proposed order; several projects in one cell are spread
    inside it. The dashed lines separate scores ≤ ``split`` from the others.
    """
    pad = 48.0
    inner = size - 2 * pad
    cell = inner / 5

    def cx(c: float) -> float:
        return pad + (c - 0.5) * cell

    def cy(v: float) -> float:
        return size - pad - (v - 0.5) * cell

    divider_x = pad + split * cell
    divider_y = size - pad - split * cell
    parts: list[str] = [
        format_html(
            '<svg class="matrix" viewBox="0 0 {s} {s}" role="img" aria-labelledby="matrix-title matrix-desc" '
            'focusable="false"><title id="matrix-title">{t}</title><desc id="matrix-desc">{d}</desc>'
            '<rect x="{p}" y="{p}" width="{i}" height="{i}" fill="#f6f7f9" stroke="#8a919c"/>'
            '<line x1="{dx}" x2="{dx}" y1="{p}" y2="{end}" stroke="#5f6670" stroke-dasharray="4 4"/>'
            '<line x1="{p}" x2="{end}" y1="{dy}" y2="{dy}" stroke="#5f6670" stroke-dasharray="4 4"/>',
            s=size,
            t=title,
            d=description,
            p=_fmt(pad),
            i=_fmt(inner),
            dx=_fmt(divider_x),
            dy=_fmt(divider_y),
            end=_fmt(pad + inner),
        )
    ]
    for score in range(1, 6):
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="middle" font-size="14" fill="#3a3f47">{n}</text>'
                '<text x="{lx}" y="{ly}" text-anchor="end" font-size="14" fill="#3a3f47">{n}</text>',
                x=_fmt(cx(score)),
                y=_fmt(size - pad + 16),
                lx=_fmt(pad - 6),
                ly=_fmt(cy(score) + 4),
                n=score,
            )
        )
    corners = [
        (pad + 4, pad - 6, "start"),
        (pad + inner - 4, pad - 6, "end"),
        (pad + 4, size - pad + 32, "start"),
        (pad + inner - 4, size - pad + 32, "end"),
    ]
    for (tx, ty, anchor), text in zip(corners, quadrant_labels, strict=False):
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="{a}" font-size="14" font-weight="600" fill="#1b1f24">{t}</text>',
                x=_fmt(tx),
                y=_fmt(ty),
                a=anchor,
                t=text,
            )
        )
    parts.append(
        format_html(
            '<text x="{x}" y="{y}" text-anchor="middle" font-size="14" fill="#1b1f24">{t}</text>',
            x=_fmt(size / 2),
            y=_fmt(size - 4),
            t=x_label,
        )
    )
    parts.append(
        format_html(
            '<text x="14" y="{y}" text-anchor="middle" font-size="14" fill="#1b1f24" '
            'transform="rotate(-90 14 {y})">{t}</text>',
            y=_fmt(size / 2),
            t=y_label,
        )
    )
    by_cell: dict[tuple[int, int], list[MatrixItem]] = {}
    for item in items:
        by_cell.setdefault((round(item.complexity), round(item.value)), []).append(item)
    for (complexity, value), members in by_cell.items():
        per_row = 1 if len(members) == 1 else 2 if len(members) <= 4 else 3
        radius = 13.0 if per_row < 3 else 11.0
        rows = (len(members) + per_row - 1) // per_row
        for k, item in enumerate(members):
            col, row = k % per_row, k // per_row
            x = cx(complexity) + (col - (per_row - 1) / 2) * (2 * radius + 0.5)
            y = cy(value) + (row - (rows - 1) / 2) * (2 * radius + 0.5)
            parts.append(
                format_html(
                    '<g><circle cx="{x}" cy="{y}" r="{r}" fill="#1d4f91"/><text x="{x}" y="{ty}" text-anchor="middle" '
                    'font-size="{fs}" fill="#ffffff">{n}</text><title>{label}</title></g>',
                    x=_fmt(x),
                    y=_fmt(y),
                    ty=_fmt(y + 5),
                    r=_fmt(radius),
                    fs=14,
                    n=item.rank,
                    label=item.label,
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every part built with format_html)


__all__ = ["MatrixItem", "Point", "escape", "line_chart", "priority_matrix", "sparkline"]

# --------------------------------------------------------------------------- bar chart
# One horizontal bar per row, for rankings and per-zone figures. A suppressed value
# (``None``: a small count, or unknown) draws no bar and prints what ``shown`` says
# ("< 5"); flagged bars (e.g. low engagement) are drawn in the warning colour. As with
# every chart here, the page pairs it with a table holding the same figures.


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: suppressed (small count) or unknown
    shown: str  # the value as printed next to the bar ("12,5 %", "< 5")
    flagged: bool = False


def bar_chart(
    bars: Sequence[Bar], *, title: str, description: str, chart_id: str, width: int = PHONE_WIDTH
) -> SafeString:
    """Each row: the label on its own line, then the bar and its value (fits a phone)."""
    if not bars:
        return mark_safe("")
    label_line, bar_height, gap, top = FONT + 4, 12, 8, 4
    row = label_line + bar_height + gap
    height = top * 2 + row * len(bars)
    value_width = max(_text_width(b.shown) for b in bars) + 8
    top_value = max((b.value for b in bars if b.value is not None), default=0.0) or 1.0
    plot = width - value_width
    longest = int(width / (FONT * _CHAR_EM))
    parts: list[str] = [
        format_html(
            '<svg class="barchart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{i}-title {i}-desc" '
            'focusable="false" font-size="{f}"><title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>',
            w=width,
            h=height,
            f=FONT,
            i=chart_id,
            t=title,
            d=description,
        )
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        length = 0.0 if bar.value is None else max(bar.value, 0.0) / top_value * plot
        label = bar.label if len(bar.label) <= longest else bar.label[: longest - 1] + "…"
        parts.append(
            format_html(
                '<text x="0" y="{ly}" fill="#1b1f24">{label}</text>'
                '<rect class="{cls}" x="0" y="{by}" width="{bw}" height="{bh}" fill="{fill}"/>'
                '<text x="{vx}" y="{vy}" fill="#1b1f24">{shown}</text>',
                ly=y + FONT,
                label=label,
                cls="bar bar-flagged" if bar.flagged else "bar",
                fill="#8a5300" if bar.flagged else "#1d4f91",
                by=y + label_line,
                bw=f"{length:.1f}",
                bh=bar_height,
                vx=f"{length + 6:.1f}",
                vy=y + label_line + bar_height - 1,
                shown=bar.shown,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every part built with format_html)
