"""Demo territory: the community of communes "Rives & Vallons" (from the source document)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from territoire.demo.context import DEMO_SIREN, DemoContext
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


def _square(lat: float, lon: float, size: float) -> dict[str, object]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
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
    lat, lon = NAMED[0][3]
    step = 0.02
    features = [
        {
            "type": "Feature",
            "properties": {"name": district, "population": NAMED[0][1] // 4 + k * 10},
            "geometry": _square(lat + (k // 2) * step, lon + (k % 2) * step, step),
        }
        for k, district in enumerate(DISTRICTS)
    ]
    save_zones(features={"type": "FeatureCollection", "features": features}, commune=valmont, source="demo")
    # Every other commune is one zone, its "Bourg": each place of the territory is in a zone.
    for index, other in enumerate(ctx.commune_objects[1:], start=1):
        if index < len(NAMED):
            lat, lon = NAMED[index][3]
        else:
            lat, lon = 47.1 + (index % 10) * 0.04, -2.4 + (index // 10) * 0.05
        bourg = {
            "type": "Feature",
            "properties": {"name": "Bourg", "population": other.population},
            "geometry": _square(lat - 0.01, lon - 0.015, 0.025),
        }
        save_zones(features={"type": "FeatureCollection", "features": [bourg]}, commune=other, source="demo")

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
        f" other commune, {len(people)} staff accounts"
    )
