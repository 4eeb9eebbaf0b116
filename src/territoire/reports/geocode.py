"""Where a report is, from its address (the BAN, ``territory.addresses``), and back.

- ``locate_address``: a report filed with an address and no point is placed on the BAN
  address it names (its BAN id, Open311's ``address_id``, or a typed text that names one
  address without doubt);
- ``nearest_label``: the address nearest to a pin, for a report filed with a point and
  no address (the web form fills it before the services check the submission).
"""

from __future__ import annotations

from collections.abc import Iterable

from territoire.territory import addresses
from territoire.territory.models import Commune, Organisation

# A pin farther than this from any address gets no address: "near 12 rue X" would mislead.
REVERSE_MAX_M = 80.0


def territory_communes(organisation: Organisation | None, jurisdiction_id: str = "") -> list[Commune]:
    communes = Commune.objects.filter(organisation__isnull=False)
    if organisation is not None:
        communes = communes.filter(organisation=organisation)
    if jurisdiction_id:
        communes = communes.filter(insee_code=jurisdiction_id)
    return list(communes)


def locate_address(
    *, organisation: Organisation | None, jurisdiction_id: str, address_id: str, address_string: str
) -> addresses.Found | None:
    """The BAN address a submission without a point names, or None."""
    communes = territory_communes(organisation, jurisdiction_id)
    if not communes:
        return None
    if address_id:
        found = addresses.by_ban_id(address_id, communes)
        if found is not None:
            return found
    if address_string:
        return addresses.best_match(address_string, communes)
    return None


def nearest_label(lat: float, lon: float, communes: Iterable[Commune]) -> addresses.Found | None:
    return addresses.nearest(lat, lon, communes, max_distance_m=REVERSE_MAX_M)
