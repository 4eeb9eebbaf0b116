"""Address search as one types and the nearest address to a point (territory.addresses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from territoire.territory import addresses
from territoire.territory.ban import import_addresses
from territoire.territory.bantext import BanAddress, ban_csv
from territoire.territory.models import Commune, Organisation

ROWS = [
    BanAddress("99101", "Alpha", "Rue des Écoles", 12, 47.0051, 2.0051, suffix="bis", postcode="10000"),
    BanAddress(
        "99101", "Alpha", "Rue des Écoles", 12, 47.00505, 2.00505, postcode="10000", street_code="0010"
    ),
    BanAddress("99101", "Alpha", "Rue des Écoles", 14, 47.0052, 2.0052, postcode="10000"),
    BanAddress("99101", "Alpha", "Rue des Écoles", 16, 47.0053, 2.0053, postcode="10000"),
    BanAddress(
        "99101", "Alpha", "Place de l'Église", 1, 47.0150, 2.0050, postcode="10000", street_code="0020"
    ),
    BanAddress("99101", "Alpha", "Allée Zéphyr", 3, 47.0100, 2.0100, postcode="10000", street_code="0030"),
    BanAddress("99102", "Bêta", "Rue des Écoles", 12, 47.0050, 2.0250, postcode="10001"),
    BanAddress("99201", "Delta", "Rue des Écoles", 12, 45.0, 3.0, postcode="20000"),
]


@pytest.fixture
def loaded(organisation: Organisation, other_organisation: Organisation, tmp_path: Path) -> list[Commune]:
    path = tmp_path / "adresses-99.csv"
    path.write_text(ban_csv(ROWS), encoding="utf-8")
    import_addresses(path)
    return list(Commune.objects.filter(organisation=organisation).order_by("insee_code"))


def labels(found: list[addresses.Found]) -> list[str]:
    return [f.label for f in found]


def test_prefix_accents_and_case_do_not_matter(loaded: list[Commune]) -> None:
    for typed in ("rue des eco", "RUE DES ÉCOLES", "ecol", "Écoles Alpha", "des ecoles bêta"):
        found = addresses.search(typed, loaded)
        assert found, typed
        assert all("Écoles" in f.label for f in found)
    assert labels(addresses.search("ecoles bet", loaded)) == ["Rue des Écoles, 10001 Bêta"]


def test_a_number_picks_the_address_and_its_suffix(loaded: list[Commune]) -> None:
    assert labels(addresses.search("12 bis rue des écoles alpha", loaded)) == [
        "12 bis Rue des Écoles, 10000 Alpha"
    ]
    assert labels(addresses.search("14 ecoles", loaded)) == ["14 Rue des Écoles, 10000 Alpha"]
    found = addresses.search("12 rue des ecoles", loaded)
    assert "12 Rue des Écoles, 10001 Bêta" in labels(found)
    assert addresses.search("99 rue des ecoles", loaded) == []


def test_only_the_given_communes(loaded: list[Commune]) -> None:
    alpha = [c for c in loaded if c.insee_code == "99101"]
    assert {f.commune_insee for f in addresses.search("rue des ecoles", alpha)} == {"99101"}
    assert all("Delta" not in f.label for f in addresses.search("ecoles", loaded))


def test_words_ending_in_z_and_nothing_typed(loaded: list[Commune]) -> None:
    assert labels(addresses.search("zephyr", loaded)) == ["Allée Zéphyr, 10000 Alpha"]
    assert labels(addresses.search("allee z", loaded)) == ["Allée Zéphyr, 10000 Alpha"]
    for typed in ("", " ", "1", "a", "%", "_", "'; drop table", "x" * 5000):
        assert addresses.search(typed, loaded) == []


def test_best_match_only_without_doubt(loaded: list[Commune]) -> None:
    alpha = [c for c in loaded if c.insee_code == "99101"]
    found = addresses.best_match("14 rue des Ecoles", alpha)
    assert found is not None
    assert (found.ban_id, found.lat) == ("99101_0010_00014", 47.0052)
    assert addresses.best_match("12 rue des écoles", loaded) is None  # Alpha or Bêta?
    assert addresses.best_match("rue des écoles", alpha) is None  # no number
    assert addresses.best_match("devant la mairie", alpha) is None


def test_nearest(loaded: list[Commune]) -> None:
    found = addresses.nearest(47.00531, 2.00531, loaded)
    assert found is not None
    assert found.label == "16 Rue des Écoles, 10000 Alpha"
    assert found.distance_m is not None
    assert found.distance_m < 5
    assert addresses.nearest(47.2, 2.2, loaded) is None  # 25 km from any address
    assert addresses.nearest(45.0, 3.0, loaded) is None  # Delta's, not the territory's


def test_search_queries_do_not_grow_with_results(
    loaded: list[Commune], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        addresses.search("rue des ecoles", loaded)
    with django_assert_max_num_queries(4):
        addresses.nearest(47.0053, 2.0053, loaded)


def test_nearest_of_an_impossible_point_is_none(loaded: list[Commune]) -> None:
    for lat, lon in (
        (float("inf"), 2.0),
        (float("nan"), 2.0),
        (47.0, float("-inf")),
        (91.0, 2.0),
        (1e308, 1e308),
    ):
        assert addresses.nearest(lat, lon, loaded) is None


def test_a_superscript_number_is_not_a_house_number() -> None:
    """A superscript passes isdigit() and int() refuses it: the query is read as words."""
    from territoire.territory.addresses import parse_query

    assert parse_query("¹ rue des écoles").number in (None, 1)
