"""Server-rendered SVG charts: light, readable without JavaScript, no third party.

Every chart is paired in its template with a table holding the same data; the SVG
carries a title and a description for assistive technologies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """History of an indicator, with its baseline and target when known."""
    if not points:
        return mark_safe("")
    left, right, top, bottom = 56.0, 16.0, 16.0, 36.0
    all_points = list(points) + [p for p in (target, baseline) if p is not None]
    t_lo = min(p.when for p in all_points).toordinal()
    t_hi = max(p.when for p in all_points).toordinal()
    v_lo = min(p.value for p in all_points)
    v_hi = max(p.value for p in all_points)
    if v_lo > 0 and v_lo < (v_hi - v_lo):
        v_lo = 0.0
    ticks = _nice_ticks(v_lo, v_hi)
    v_lo, v_hi = min([v_lo, *ticks]), max([v_hi, *ticks])

    def x(d: date) -> float:
        return _scale(d.toordinal(), t_lo, t_hi, left, width - right)

    def y(v: float) -> float:
        return _scale(v, v_lo, v_hi, height - bottom, top)

    parts: list[str] = [
        format_html(
            '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title chart-desc" '
            'focusable="false"><title id="chart-title">{t}</title><desc id="chart-desc">{d}</desc>',
            w=width,
            h=height,
            t=title,
            d=description,
        )
    ]
    for tick in ticks:
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#d0d4da" stroke-width="1"/>'
                '<text x="{tx}" y="{ty}" text-anchor="end" font-size="11" fill="#3a3f47">{label}</text>',
                x1=_fmt(left),
                x2=_fmt(width - right),
                y=_fmt(y(tick)),
                tx=_fmt(left - 6),
                ty=_fmt(y(tick) + 4),
                label=f"{tick:g}",
            )
        )
    first, last = points[0].when, points[-1].when
    for d, anchor in ((first, "start"), (last, "end")):
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="{a}" font-size="11" fill="#3a3f47">{label}</text>',
                x=_fmt(x(d)),
                y=_fmt(height - bottom + 18),
                a=anchor,
                label=d.strftime("%m/%Y"),
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
        format_html('<text x="{x}" y="12" font-size="11" fill="#3a3f47">{u}</text>', x=_fmt(left), u=unit)
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
                '<text x="{x}" y="{y}" text-anchor="middle" font-size="11" fill="#3a3f47">{n}</text>'
                '<text x="{lx}" y="{ly}" text-anchor="end" font-size="11" fill="#3a3f47">{n}</text>',
                x=_fmt(cx(score)),
                y=_fmt(size - pad + 14),
                lx=_fmt(pad - 6),
                ly=_fmt(cy(score) + 4),
                n=score,
            )
        )
    corners = [
        (pad + 4, pad - 6, "start"),
        (pad + inner - 4, pad - 6, "end"),
        (pad + 4, size - pad + 28, "start"),
        (pad + inner - 4, size - pad + 28, "end"),
    ]
    for (tx, ty, anchor), text in zip(corners, quadrant_labels, strict=False):
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="{a}" font-size="11" font-weight="600" fill="#1b1f24">{t}</text>',
                x=_fmt(tx),
                y=_fmt(ty),
                a=anchor,
                t=text,
            )
        )
    parts.append(
        format_html(
            '<text x="{x}" y="{y}" text-anchor="middle" font-size="12" fill="#1b1f24">{t}</text>',
            x=_fmt(size / 2),
            y=_fmt(size - 4),
            t=x_label,
        )
    )
    parts.append(
        format_html(
            '<text x="14" y="{y}" text-anchor="middle" font-size="12" fill="#1b1f24" '
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
        radius = 11.0 if per_row < 3 else 8.0
        rows = (len(members) + per_row - 1) // per_row
        for k, item in enumerate(members):
            col, row = k % per_row, k // per_row
            x = cx(complexity) + (col - (per_row - 1) / 2) * (2 * radius + 2)
            y = cy(value) + (row - (rows - 1) / 2) * (2 * radius + 2)
            parts.append(
                format_html(
                    '<g><circle cx="{x}" cy="{y}" r="{r}" fill="#1d4f91"/><text x="{x}" y="{ty}" text-anchor="middle" '
                    'font-size="{fs}" fill="#ffffff">{n}</text><title>{label}</title></g>',
                    x=_fmt(x),
                    y=_fmt(y),
                    ty=_fmt(y + 4),
                    r=_fmt(radius),
                    fs=11 if radius > 9 else 9,
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
    bars: Sequence[Bar], *, title: str, description: str, chart_id: str, width: int = 640
) -> SafeString:
    if not bars:
        return mark_safe("")
    row, label_width, value_width, top = 26, 190, 80, 6
    height = top * 2 + row * len(bars)
    top_value = max((b.value for b in bars if b.value is not None), default=0.0) or 1.0
    plot = width - label_width - value_width
    parts: list[str] = [
        format_html(
            '<svg class="barchart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{i}-title {i}-desc" '
            'focusable="false"><title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>',
            w=width,
            h=height,
            i=chart_id,
            t=title,
            d=description,
        )
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        length = 0.0 if bar.value is None else max(bar.value, 0.0) / top_value * plot
        label = bar.label if len(bar.label) <= 28 else bar.label[:27] + "…"
        parts.append(
            format_html(
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="12" fill="#1b1f24">{label}</text>'
                '<rect class="{cls}" x="{x}" y="{y}" width="{bw}" height="{bh}" fill="{fill}"/>'
                '<text x="{vx}" y="{ty}" font-size="12" fill="#1b1f24">{shown}</text>',
                lx=label_width - 6,
                ty=y + 16,
                label=label,
                cls="bar bar-flagged" if bar.flagged else "bar",
                fill="#8a5300" if bar.flagged else "#1d4f91",
                x=label_width,
                y=y + 3,
                bw=f"{length:.1f}",
                bh=row - 8,
                vx=f"{label_width + length + 6:.1f}",
                shown=bar.shown,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every part built with format_html)
