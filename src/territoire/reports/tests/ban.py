"""A few BAN addresses on the reports tests' territory (see conftest): a fixture to import."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoire.reports.tests.conftest import Territory
from territoire.territory.ban import import_addresses
from territoire.territory.bantext import BanAddress, ban_csv

ADDRESSES = [
    # Alpha, district Sud (lat 47.00–47.01, lon 2.00–2.01)
    BanAddress("99101", "Alpha", "Rue des Écoles", 12, 47.0050, 2.0050, postcode="10000"),
    BanAddress("99101", "Alpha", "Rue des Écoles", 14, 47.0052, 2.0052, postcode="10000"),
    BanAddress("99101", "Alpha", "Rue des Écoles", 16, 47.0054, 2.0054, postcode="10000"),
    # Alpha, district Nord
    BanAddress(
        "99101", "Alpha", "Place de l'Église", 1, 47.0150, 2.0050, postcode="10000", street_code="0020"
    ),
    # Alpha, outside any district outline (the BAN knows it; the zones do not cover it)
    BanAddress("99101", "Alpha", "Chemin des Prés", 3, 46.9950, 2.0050, postcode="10000", street_code="0030"),
    # Bêta
    BanAddress("99102", "Bêta", "Grande Rue", 3, 47.0050, 2.0250, postcode="10001"),
]
ECOLES_14 = "99101_0010_00014"
PRES_3 = "99101_0030_00003"
GRANDE_RUE_3 = "99102_0010_00003"


@pytest.fixture
def ban(territory: Territory, tmp_path: Path) -> Territory:
    path = tmp_path / "adresses-99.csv"
    path.write_text(ban_csv(ADDRESSES), encoding="utf-8")
    import_addresses(path)
    return territory
