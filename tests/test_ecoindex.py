"""The EcoIndex computation the phone crawl grades every public page with."""

from tests.browser.ecoindex import grade, position, score


def test_the_quantile_position_is_interpolated() -> None:
    assert position((0, 10, 20), 5) == 0.5
    assert position((0, 10, 20), 10) == 1.0
    assert position((0, 10, 20), 99) == 2


def test_an_empty_page_scores_100_and_a_heavy_one_falls() -> None:
    assert score(0, 0, 0) == 100
    assert grade(score(0, 0, 0)) == "A"
    # 240 elements, 4 requests, 40 KB: an A page; 1 500 elements and 100 requests: not one.
    assert grade(score(240, 4, 40)) == "A"
    assert grade(score(1500, 100, 2000)) in {"D", "E"}
