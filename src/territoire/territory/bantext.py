"""Write files in the BAN's per-département CSV format (tests, demo, benchmark).

The header is the published one (adresse.data.gouv.fr, "Format .csv pour un usage
classique"); values this project does not read (Lambert-93 x/y, FANTOIR, sources) are
filled plausibly so that a file looks like the real one to any reader.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from territoire.territory.addresses import normalise

HEADER = [
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "x",
    "y",
    "lon",
    "lat",
    "type_position",
    "alias",
    "nom_ld",
    "libelle_acheminement",
    "nom_afnor",
    "source_position",
    "source_nom_voie",
    "certification_commune",
    "cad_parcelles",
]


@dataclass(frozen=True)
class BanAddress:
    insee: str
    commune: str
    street: str
    number: int | None
    lat: float
    lon: float
    suffix: str = ""
    postcode: str = ""
    street_code: str = "0010"


def ban_id(address: BanAddress) -> str:
    """The BAN's interoperability key: ``<insee>_<street code>_<number, 5 digits>[_<suffix>]``."""
    number = f"{address.number or 0:05d}"
    suffix = f"_{address.suffix.lower()}" if address.suffix else ""
    return f"{address.insee}_{address.street_code}_{number}{suffix}"


def row(address: BanAddress) -> list[str]:
    return [
        ban_id(address),
        f"{address.insee}_{address.street_code}",
        "" if address.number is None else str(address.number),
        address.suffix,
        address.street,
        address.postcode,
        address.insee,
        address.commune,
        "",
        "",
        f"{700000 + (address.lon - 3) * 76000:.2f}",  # rough Lambert-93, not read
        f"{6600000 + (address.lat - 46.5) * 111000:.2f}",
        f"{address.lon:.6f}",
        f"{address.lat:.6f}",
        "entrée",
        "",
        "",
        normalise(address.commune).upper(),
        normalise(address.street).upper(),
        "commune",
        "commune",
        "1",
        "",
    ]


def ban_csv(addresses: Iterable[BanAddress]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    for address in addresses:
        writer.writerow(row(address))
    return out.getvalue()
