"""Demo territory: the community of communes "Rives & Vallons" (from the source document)."""

from __future__ import annotations

import math
import random
from typing import Any

import shapely
import shapely.affinity
from django.contrib.auth import get_user_model
from shapely.geometry import MultiPoint, Polygon, mapping

from territoire.core.demo import DEMO_SIREN, DemoContext
from territoire.territory.demo_addresses import populate_addresses
from territoire.territory.models import Membership, OrganisationKind, Role
from territoire.territory.services import add_commune, create_organisation, save_zones

NAMED = [
    ("Valmont-sur-Mer", 18_420, "44950", (47.27, -2.21)),
    ("Rives-sur-Aulne", 6_310, "44951", (47.30, -2.10)),
    ("Vallon-le-Haut", 2_875, "44952", (47.35, -2.05)),
    ("Saint-Aubin-des-Prés", 4_140, "44953", (47.22, -2.02)),
    ("Combe-Verte", 1_265, "44954", (47.33, -2.16)),
]
PREFIXES = ["Saint-Martin", "Le Plessis", "La Chapelle", "Bourg", "Les Essarts", "Villeneuve", "Mont", "Val"]
SUFFIXES = ["-des-Landes", "-sur-Aulne", "-le-Bas", "-en-Vallon", "-des-Bois", "-la-Rivière", "-sur-Mer"]
DISTRICTS = ["Centre-ville", "Port", "Les Dunes", "Haut-Valmont"]


def _commune_name(index: int) -> str:
    return f"{PREFIXES[index % len(PREFIXES)]}{SUFFIXES[(index // len(PREFIXES)) % len(SUFFIXES)]}" + (
        f" {index // (len(PREFIXES) * len(SUFFIXES)) + 1}" if index >= len(PREFIXES) * len(SUFFIXES) else ""
    )


# The communes tile the territory as real ones do: each is the Voronoi cell of its centre
# (the five named ones where the source document puts them, the others on a sunflower
# spiral around them, so that any number of communes spreads evenly without overlap),
# within an outline around all the centres. Valmont's cell is cut the same way into its
# four districts. No randomness: the same communes always get the same outlines.
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
# Degrees of longitude are shorter than degrees of latitude at 47° N.
LON_SCALE = 1 / math.cos(math.radians(47.3))
SPACING = 0.045  # degrees of latitude between neighbouring centres
MARGIN = 0.025  # degrees between the outermost centres and the territory's edge
# Where the seeds of Valmont's districts lie from its centre (north, east), as a share of
# the radius of a disc as large as the commune.
DISTRICT_OFFSETS = [(0.0, 0.0), (0.0, -0.55), (-0.5, 0.0), (0.4, 0.4)]


def _centres(count: int) -> list[tuple[float, float]]:
    """(lon, lat) of each commune's centre, the named ones first."""
    centres = [(lon, lat) for _name, _population, _postcode, (lat, lon) in NAMED[:count]]
    mid_lat = sum(lat for *_rest, (lat, _lon) in NAMED) / len(NAMED)
    mid_lon = sum(lon for *_rest, (_lat, lon) in NAMED) / len(NAMED)
    inner = 0.12  # beyond the named communes
    for k in range(count - len(centres)):
        radius = math.sqrt(inner**2 + k * SPACING**2 / math.pi * 1.1)
        angle = k * GOLDEN_ANGLE
        centres.append((mid_lon + radius * math.cos(angle) * LON_SCALE, mid_lat + radius * math.sin(angle)))
    return centres


def _outline(centres: list[tuple[float, float]]) -> Polygon:
    """The territory: the hull of the centres with MARGIN all round (in kilometres alike)."""
    hull = MultiPoint(centres).convex_hull
    # Buffered where a degree of longitude is as long as one of latitude, then stretched back.
    flat = shapely.affinity.scale(hull, xfact=1 / LON_SCALE, origin=(0, 0))
    rounded = flat.buffer(MARGIN, quad_segs=4)
    return shapely.affinity.scale(rounded, xfact=LON_SCALE, origin=(0, 0))


def _cells(seeds: list[tuple[float, float]], outline: Polygon) -> list[Polygon]:
    """The Voronoi cell of each seed (lon, lat) within ``outline``, in the seeds' order."""
    if len(seeds) == 1:
        return [outline]
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline, ordered=True)
    cells = []
    for region in regions.geoms:
        # Not rounded: neighbours share their border exactly, a district its commune's.
        cell = region.intersection(outline)
        cells.append(cell if isinstance(cell, Polygon) else max(cell.geoms, key=lambda g: g.area))
    return cells


def _feature(name: str, population: int, cell: Polygon) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": name, "population": population},
        "geometry": mapping(cell),
    }


def populate(ctx: DemoContext) -> str:
    org = create_organisation(
        siren=DEMO_SIREN,
        name="Rives & Vallons",
        kind=OrganisationKind.COMMUNAUTE_COMMUNES,
        slug="rives-et-vallons",
    )
    ctx.organisation = org
    for i in range(ctx.communes):
        if i < len(NAMED):
            name, population, postcode, _center = NAMED[i]
        else:
            name = _commune_name(i - len(NAMED))
            population = int(ctx.rng.lognormvariate(7.5, 0.8)) + 150
            postcode = f"449{55 + i % 45:02d}"
        # 99xxx are the COG codes of foreign countries, never of a commune: the demo
        # cannot collide with an imported real territory.
        ctx.commune_objects.append(
            add_commune(
                organisation=org,
                insee_code=f"99{i + 1:03d}",
                name=name,
                population=population,
                postcodes=[postcode],
            )
        )
    valmont = ctx.commune_objects[0]
    centres = _centres(len(ctx.commune_objects))
    outline = _outline(centres)
    cells = _cells(centres, outline)
    (lon, lat), valmont_cell = centres[0], cells[0]
    radius = math.sqrt(valmont_cell.area / LON_SCALE / math.pi)  # in degrees of latitude
    seeds = [(lon + east * radius * LON_SCALE, lat + north * radius) for north, east in DISTRICT_OFFSETS]
    features = [
        _feature(district, NAMED[0][1] // 4 + k * 10, cell)
        for k, (district, cell) in enumerate(zip(DISTRICTS, _cells(seeds, valmont_cell), strict=True))
    ]
    save_zones(features={"type": "FeatureCollection", "features": features}, commune=valmont, source="demo")
    # Every other commune is one zone, its "Bourg": each place of the territory is in a zone.
    for other, cell in zip(ctx.commune_objects[1:], cells[1:], strict=True):
        bourg = _feature("Bourg", other.population, cell)
        save_zones(features={"type": "FeatureCollection", "features": [bourg]}, commune=other, source="demo")
    # Addresses in the BAN's format, generated (no network in the demo): territory.demo_addresses.
    # Their own random stream: the other demo steps draw the same numbers as before.
    addresses = populate_addresses(ctx.commune_objects, centres, cells, random.Random(ctx.seed + 1))

    User = get_user_model()  # noqa: N806
    people = [
        ("admin", "Administrateur", "Démo", Role.ADMINISTRATEUR, None, True),
        ("dsi", "Camille", "Durand", Role.CHEF_PROJET, None, False),
        ("elu", "Jeanne", "Moreau", Role.ELU, None, False),
        ("agent.valmont", "Karim", "Benali", Role.AGENT, valmont, False),
    ]
    for username, first, last, role, commune, superuser in people:
        password = f"demo-{username}-{ctx.rng.randrange(10**6, 10**7)}"
        user = User.objects.filter(username=username).first() or User(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@rives-et-vallons.example"
        user.is_staff, user.is_superuser = True, superuser
        user.set_password(password)
        user.save()
        Membership.objects.get_or_create(user=user, organisation=org, commune=commune, role=role)
        ctx.users[username] = user
        ctx.credentials.append((username, password, str(Role(role).label)))
    return (
        f"{org.name}: {ctx.communes} communes, {len(DISTRICTS)} zones in {valmont.name} and one in each"
        f" other commune, {sum(addresses.by_commune.values())} addresses (BAN format),"
        f" {len(people)} staff accounts"
    )
