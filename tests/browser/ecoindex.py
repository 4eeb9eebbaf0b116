"""The EcoIndex of a page (ecoindex.fr, the Collectif numérique responsable's method).

Score = 100 − 5 × (3 q_dom + 2 q_req + q_size) / 6, where each q is the page's position
(0–20, interpolated) among the quantiles of the HTTP Archive that the method publishes;
grade A above 80. Implemented here from the published tables rather than as a dependency.
"""

from __future__ import annotations

from bisect import bisect_right

QUANTILES_DOM = (
    0,
    47,
    75,
    159,
    233,
    298,
    358,
    417,
    476,
    537,
    603,
    674,
    753,
    843,
    949,
    1076,
    1237,
    1459,
    1801,
    2479,
    594601,
)
QUANTILES_REQUESTS = (
    0,
    2,
    15,
    25,
    34,
    42,
    49,
    56,
    63,
    70,
    78,
    86,
    95,
    105,
    117,
    130,
    147,
    170,
    205,
    281,
    3920,
)
QUANTILES_KB = (
    0,
    1.37,
    144.7,
    319.53,
    479.46,
    631.97,
    783.38,
    937.91,
    1098.62,
    1265.47,
    1448.32,
    1648.27,
    1876.08,
    2142.06,
    2465.37,
    2866.31,
    3401.59,
    4155.73,
    5400.08,
    8037.54,
    223212.26,
)
GRADES = ((80, "A"), (70, "B"), (55, "C"), (40, "D"), (25, "E"), (10, "F"))

# Elements of the page, those inside an SVG excepted (as the method's reference counts them).
DOM_ELEMENTS = """() => document.getElementsByTagName("*").length
    - [...document.querySelectorAll("svg")].reduce((n, svg) => n + svg.getElementsByTagName("*").length, 0)"""
REQUESTS = """() => 1 + performance.getEntriesByType("resource").length"""


def position(quantiles: tuple[float, ...], value: float) -> float:
    i = bisect_right(quantiles, value)
    if i >= len(quantiles):
        return len(quantiles) - 1
    return i - 1 + (value - quantiles[i - 1]) / (quantiles[i] - quantiles[i - 1])


def score(dom: int, requests: int, kilobytes: float) -> float:
    q_dom = position(QUANTILES_DOM, dom)
    q_requests = position(QUANTILES_REQUESTS, requests)
    q_size = position(QUANTILES_KB, kilobytes)
    return 100 - 5 * (3 * q_dom + 2 * q_requests + q_size) / 6


def grade(value: float) -> str:
    return next((letter for floor, letter in GRADES if value > floor), "G")
