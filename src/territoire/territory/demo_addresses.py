"""Demo addresses: a small BAN-format file generated for the demo communes, then imported.

The demo runs without network, so it cannot download the real BAN (and its communes are
imaginary, codes 99xxx). Each commune gets plausible streets — "Rue de la Mairie",
"Place de l'Église", "Route de <neighbour>"… — leaving its centre in every direction, with
numbers every 15 m or so, odd on one side and even on the other, inside the commune's
outline. The file is written in the BAN's published format and loaded with the same
``import_addresses`` as a real ``adresses-XX.csv``: the demo exercises the real path.
"""

from __future__ import annotations

import math
import random
import tempfile
from pathlib import Path
from typing import Any

from shapely.geometry import Point, Polygon

from territoire.territory.ban import AddressImportSummary, import_addresses
from territoire.territory.bantext import BanAddress, ban_csv

STREETS = [
    "Rue de la Mairie",
    "Rue des Écoles",
    "Place de l'Église",
    "Avenue de la Gare",
    "Rue du Moulin",
    "Chemin des Vignes",
    "Rue Victor Hugo",
    "Allée des Tilleuls",
    "Rue Jean Jaurès",
    "Impasse des Peupliers",
    "Rue du Stade",
    "Rue Pasteur",
]
LON_SCALE = 1 / math.cos(math.radians(47.2))
STEP_DEG = 0.00014  # about 15 m between two numbers on one side


def addresses_for(
    insee: str, name: str, postcode: str, centre: tuple[float, float], cell: Polygon, rng: random.Random
) -> list[BanAddress]:
    """One commune's addresses: streets from the centre (lon, lat) outwards, in ``cell``."""
    lon0, lat0 = centre
    found: list[BanAddress] = []
    for s, street in enumerate(STREETS):
        angle = 2 * math.pi * s / len(STREETS) + rng.uniform(-0.15, 0.15)
        start = 0.0006 + 0.0002 * (s % 3)
        count = rng.randint(12, 30)
        code = f"{(s + 1) * 10:04d}"
        for n in range(1, count + 1):
            along = start + STEP_DEG * ((n + 1) // 2)
            side = 0.00008 if n % 2 else -0.00008  # odd numbers on the left, even on the right
            lat = lat0 + along * math.sin(angle) + side * math.cos(angle)
            lon = lon0 + (along * math.cos(angle) - side * math.sin(angle)) * LON_SCALE
            if not cell.contains(Point(lon, lat)):
                break
            found.append(
                BanAddress(
                    insee=insee,
                    commune=name,
                    street=street,
                    number=n,
                    lat=round(lat, 6),
                    lon=round(lon, 6),
                    suffix="bis" if n == 4 and s % 4 == 0 else "",
                    postcode=postcode,
                    street_code=code,
                )
            )
    return found


def populate_addresses(
    communes: list[Any], centres: list[tuple[float, float]], cells: list[Polygon], rng: random.Random
) -> AddressImportSummary:
    rows: list[BanAddress] = []
    for commune, centre, cell in zip(communes, centres, cells, strict=True):
        postcode = (commune.postcodes or [""])[0]
        rows += addresses_for(commune.insee_code, commune.name, postcode, centre, cell, rng)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "adresses-99.csv"
        path.write_text(ban_csv(rows), encoding="utf-8")
        return import_addresses(path, communes=communes)
