"""Demo reports of Rives & Vallons: categories, crews, a year of residents' reports, a round.

Reports are written in bulk (a few hundred rows with their histories, in well under a
second) with the same fields the services would set; the round is planned through the
real service, and the Open311 key through ``services.create_api_key``.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone
from shapely.geometry import Point, shape

from territoire.core.demo import DemoContext
from territoire.core.geo import haversine_m
from territoire.reports import demo_english, services
from territoire.reports.models import (
    EventKind,
    Report,
    ReportEvent,
    ReportSource,
    ReportStatus,
    ServiceCategory,
    ServiceType,
    Support,
)
from territoire.reports.services import AttributeSpec, references
from territoire.territory.models import Commune, Zone

YES_NO = [("oui", "Oui"), ("non", "Non")]
# (code, name, group, team, SLA days, minutes on site, type, weight, attributes)
CATEGORIES: list[tuple[str, str, str, str, int | None, int, str, int, list[AttributeSpec]]] = [
    (
        "voirie-nid-de-poule",
        "Nid-de-poule ou chaussée dégradée",
        "Voirie",
        "Voirie",
        10,
        30,
        ServiceType.REALTIME,
        24,
        [
            AttributeSpec(
                "taille",
                "Quelle est sa taille ?",
                "singlevaluelist",
                required=True,
                values=[("petit", "Moins de 20 cm"), ("moyen", "20 à 50 cm"), ("grand", "Plus de 50 cm")],
            ),
            AttributeSpec(
                "dangereux", "Présente-t-il un danger immédiat ?", "singlevaluelist", values=YES_NO
            ),
        ],
    ),
    (
        "eclairage-public",
        "Éclairage public en panne",
        "Éclairage",
        "Éclairage public",
        5,
        20,
        ServiceType.REALTIME,
        16,
        [
            AttributeSpec("candelabre", "Numéro du candélabre (plaque sur le mât)", "string", public=True),
            AttributeSpec(
                "symptome",
                "Que constatez-vous ?",
                "multivaluelist",
                values=[("eteint", "Éteint"), ("clignote", "Clignote"), ("jour", "Allumé en journée")],
            ),
        ],
    ),
    (
        "depot-sauvage",
        "Dépôt sauvage de déchets",
        "Propreté",
        "Propreté",
        3,
        25,
        ServiceType.REALTIME,
        20,
        [
            AttributeSpec(
                "volume",
                "Quel volume ?",
                "singlevaluelist",
                required=True,
                values=[
                    ("sac", "Quelques sacs"),
                    ("coffre", "Un coffre de voiture"),
                    ("camion", "Un camion"),
                ],
            ),
            AttributeSpec(
                "amiante",
                "Y voyez-vous des plaques pouvant contenir de l'amiante ?",
                "singlevaluelist",
                values=YES_NO,
            ),
        ],
    ),
    (
        "graffiti",
        "Tag ou graffiti",
        "Propreté",
        "Propreté",
        15,
        40,
        ServiceType.REALTIME,
        10,
        [
            AttributeSpec("surface", "Surface approximative (m²)", "number"),
            AttributeSpec("injurieux", "Le contenu est-il injurieux ?", "singlevaluelist", values=YES_NO),
        ],
    ),
    (
        "mobilier-urbain",
        "Mobilier urbain dégradé (banc, abribus, barrière)",
        "Voirie",
        "Voirie",
        20,
        30,
        ServiceType.REALTIME,
        8,
        [],
    ),
    (
        "espaces-verts",
        "Espaces verts (branches, tonte, arbre dangereux)",
        "Espaces verts",
        "Espaces verts",
        15,
        35,
        ServiceType.REALTIME,
        10,
        [AttributeSpec("constat", "Depuis quand ?", "datetime")],
    ),
    (
        "signalisation",
        "Signalisation (panneau, marquage au sol)",
        "Voirie",
        "Voirie",
        10,
        20,
        ServiceType.REALTIME,
        7,
        [],
    ),
    (
        "encombrants",
        "Enlèvement d'encombrants sur rendez-vous",
        "Propreté",
        "Propreté",
        7,
        30,
        ServiceType.BATCH,
        5,
        [AttributeSpec("objets", "Quels objets ?", "text", required=True)],
    ),
]
DESCRIPTIONS = {
    "voirie-nid-de-poule": [
        "Trou profond sur la chaussée",
        "Affaissement devant l'école",
        "Nid-de-poule au carrefour",
    ],
    "eclairage-public": [
        "Lampadaire éteint depuis plusieurs jours",
        "Rue entière dans le noir",
        "Candélabre qui clignote",
    ],
    "depot-sauvage": [
        "Sacs d'ordures au pied des conteneurs",
        "Gravats déposés en bord de chemin",
        "Vieux matelas abandonné",
    ],
    "graffiti": [
        "Tag sur le mur de la salle des fêtes",
        "Graffiti sur l'abribus",
        "Inscriptions sur le panneau",
    ],
    "mobilier-urbain": ["Banc cassé", "Vitre de l'abribus brisée", "Barrière arrachée"],
    "espaces-verts": [
        "Branche tombée sur le trottoir",
        "Herbe haute au rond-point",
        "Arbre penché après la tempête",
    ],
    "signalisation": [
        "Panneau stop tordu",
        "Marquage du passage piéton effacé",
        "Panneau masqué par la végétation",
    ],
    "encombrants": ["Une armoire et un canapé", "Réfrigérateur hors d'usage", "Sommier et chaises"],
}
ANSWERS_RESOLVED = [
    "L'équipe est intervenue : le problème est réglé. Merci pour votre signalement.",
    "Réparation effectuée lors de la tournée du service.",
    "Intervention réalisée ; nous restons attentifs à ce secteur.",
]
ANSWERS_REJECTED = [
    "Ce point relève du domaine privé : nous avons informé le propriétaire.",
    "Après vérification sur place, aucune anomalie n'a été constatée.",
    "Cette voie est départementale : le signalement a été transmis au Département.",
]
DEPOTS = [
    (
        "Équipe voirie",
        "Voirie",
        "Centre technique municipal",
        ["voirie-nid-de-poule", "mobilier-urbain", "signalisation"],
    ),
    (
        "Équipe propreté",
        "Propreté",
        "Dépôt de la propreté urbaine",
        ["depot-sauvage", "graffiti", "encombrants"],
    ),
]
REPORTS_PER_1000_PER_YEAR = 9.0
MAX_REPORTS = 600


def _point_in(zone: Zone, rng: random.Random) -> tuple[float, float]:
    geom: Any = shape(zone.geometry)
    min_x, min_y, max_x, max_y = geom.bounds
    for _ in range(30):
        lon, lat = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if geom.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)
    point = geom.representative_point()
    return round(point.y, 6), round(point.x, 6)


def populate(ctx: DemoContext) -> str:
    org = ctx.organisation
    if org is None:
        return "no organisation: skipped"
    rng = random.Random(ctx.seed * 31 + 7)  # own stream: adding reports does not shift other apps' data
    services.ensure_default_statuses(org)
    statuses = {s.code: s for s in ReportStatus.objects.filter(organisation=org)}
    categories: dict[str, ServiceCategory] = {}
    for position, (code, name, group, team, sla, minutes, kind, _weight, attributes) in enumerate(
        CATEGORIES, 1
    ):
        categories[code] = services.save_category(
            organisation=org,
            service_code=code,
            name=name,
            group=group,
            team=team,
            sla_days=sla,
            service_minutes=minutes,
            type=kind,
            attributes=attributes,
            keywords=group.lower(),
            position=position,
        )
    demo_english.translate(org)
    valmont = ctx.commune_objects[0]
    zones_by_commune: dict[int, list[Zone]] = {}
    for zone in Zone.objects.filter(commune__in=ctx.commune_objects).order_by("commune_id", "code"):
        zones_by_commune.setdefault(zone.commune_id, []).append(zone)
    centre_zone = zones_by_commune[valmont.pk][0]
    depot_lat, depot_lon = _point_in(centre_zone, random.Random(1))
    crews = []
    for offset, (name, team, depot_name, codes) in enumerate(DEPOTS):
        crews.append(
            services.save_crew(
                organisation=org,
                name=name,
                team=team,
                depot_name=depot_name,
                depot_lat=round(depot_lat + offset * 0.002, 6),
                depot_lon=round(depot_lon - offset * 0.003, 6),
                shift_minutes=420,
                categories=[categories[c] for c in codes],
            )
        )

    now = timezone.now()
    months = min(ctx.months, 12)
    start = now - timedelta(days=30 * months)
    total_population = sum(c.population for c in ctx.commune_objects) or 1
    wanted = min(
        MAX_REPORTS, max(150, int(total_population / 1000 * REPORTS_PER_1000_PER_YEAR * months / 12))
    )
    weights = [c.population or 1 for c in ctx.commune_objects]
    category_codes = [c[0] for c in CATEGORIES]
    category_weights = [c[7] for c in CATEGORIES]
    rows: list[Report] = []
    plans: list[list[tuple[str, datetime, str]]] = []
    for n in range(wanted):
        commune: Commune = rng.choices(ctx.commune_objects, weights)[0]
        zone = rng.choice(zones_by_commune[commune.pk])
        lat, lon = _point_in(zone, rng)
        code = rng.choices(category_codes, category_weights)[0]
        category = categories[code]
        # More recent months hold more reports (the service is being adopted).
        age_days = (1 - math.sqrt(rng.random())) * (now - start).days
        requested = now - timedelta(days=age_days, minutes=rng.randrange(0, 600))
        sla = category.sla_days or 7
        history: list[tuple[str, datetime, str]] = [("nouveau", requested, "")]
        moment = requested + timedelta(hours=rng.uniform(2, 30))
        if moment < now:
            history.append(("pris-en-compte", moment, ""))
        # Processing time: most within the target delay, a tail beyond it.
        delay = timedelta(days=rng.lognormvariate(math.log(max(sla * 0.6, 1)), 0.7))
        closing = requested + delay
        if closing < now and rng.random() < 0.93:
            if code in ("voirie-nid-de-poule", "mobilier-urbain", "signalisation") and delay.days > 2:
                history.append(("planifie", requested + delay * 0.5, ""))
            roll = rng.random()
            if roll < 0.86:
                history.append(("resolu", closing, rng.choice(ANSWERS_RESOLVED)))
            else:
                history.append(("non-pertinent", closing, rng.choice(ANSWERS_REJECTED)))
        elif moment < now and rng.random() < 0.5:
            history.append(("en-cours", moment + (now - moment) * rng.random(), ""))
        final_code, _final_at, answer = history[-1]
        status = statuses[final_code]
        is_open = status.open311_state == "open"
        rows.append(
            Report(
                organisation=org,
                commune=commune,
                zone=zone,
                category=category,
                status=status,
                is_open=is_open,
                description=rng.choice(DESCRIPTIONS[code]),
                lat=lat,
                lon=lon,
                zipcode=(commune.postcodes or [""])[0],
                attributes=_answers(code, rng),
                status_notes=answer,
                email=f"habitant{n}@example.org" if rng.random() < 0.4 else "",
                source=rng.choices([ReportSource.WEB, ReportSource.OPEN311, ReportSource.STAFF], [6, 3, 1])[
                    0
                ],
                requested_at=requested,
                closed_at=None if is_open else history[-1][1],
                due_at=requested + timedelta(days=category.sla_days) if category.sla_days else None,
                supporters_count=rng.choices([0, 1, 2, 3, 5], [70, 15, 8, 5, 2])[0],
            )
        )
        plans.append(history)
    references.assign(rows)
    Report.objects.bulk_create(rows, batch_size=500)
    # The demo residents confirmed their addresses: a status change in the demo mails them
    # (through the task queue; the worker prints the message, console backend).
    Report.objects.filter(organisation=org).exclude(email="").update(email_confirmed_at=F("requested_at"))
    created = list(Report.objects.filter(organisation=org).order_by("id"))
    events: list[ReportEvent] = []
    supports: list[Support] = []
    for report, history in zip(created, plans, strict=True):
        previous = None
        for code, at, message in history:
            events.append(
                ReportEvent(
                    report=report,
                    created_at=at,
                    kind=EventKind.SUBMITTED if previous is None else EventKind.STATUS,
                    actor_label="" if previous is None else "agent.valmont",
                    from_status=previous,
                    to_status=statuses[code],
                    message=message,
                    data={"source": report.source} if previous is None else {},
                )
            )
            previous = statuses[code]
        supports.extend(
            Support(report=report, fingerprint=f"demo-{report.pk}-{k}")
            for k in range(report.supporters_count)
        )
    ReportEvent.objects.bulk_create(events, batch_size=1000)
    Support.objects.bulk_create(supports, batch_size=1000)
    # Report.updated_at is auto_now: set it to the last event, as the service would have.
    for report, history in zip(created, plans, strict=True):
        report.updated_at = history[-1][1]
    Report.objects.bulk_update(created, ["updated_at"], batch_size=500)

    hidden = [r for r in created if r.category.service_code == "graffiti"][:2]
    for report in hidden:
        report.hidden, report.hidden_reason = True, "Description contenant des propos injurieux."
    Report.objects.bulk_update(hidden, ["hidden", "hidden_reason"])

    # Open reports of the crews' categories go to the crews; today's round is planned.
    planned_summary = ""
    for crew in crews:
        crew_codes = set(crew.categories.values_list("service_code", flat=True))
        candidates = [
            r for r in created if r.is_open and not r.hidden and r.category.service_code in crew_codes
        ]
        # The dispatcher's pick: the open reports nearest the depot, some in the other communes.
        candidates.sort(key=lambda r: haversine_m(crew.depot_lat, crew.depot_lon, r.lat or 0, r.lon or 0))
        assigned = candidates[:16]
        Report.objects.filter(pk__in=[r.pk for r in assigned]).update(crew=crew)
        ReportEvent.objects.bulk_create(
            [
                ReportEvent(
                    report=r,
                    created_at=now,
                    kind=EventKind.ASSIGNMENT,
                    actor_label="agent.valmont",
                    message=crew.team,
                )
                for r in assigned
            ]
        )
    round_ = services.plan_round(crews[0], ctx.today, actor=None, time_limit_s=0.5, check_rights=False)
    if round_.saving_percent is not None:
        planned_summary = f", a round of {round_.stops.filter(left_over=False).count()} stops ({round_.saving_percent} % shorter than nearest neighbour)"

    key, raw = services.create_api_key("Application de démonstration", organisation=org)
    ctx.credentials.append(("open311", raw, f"clé Open311 : {key.name}"))
    overdue = sum(1 for r in created if r.is_open and r.due_at and r.due_at < now)
    return (
        f"{len(categories)} categories, {len(crews)} crews, {len(created)} reports over {months} months "
        f"({overdue} overdue){planned_summary}, 1 Open311 key"
    )


def _answers(code: str, rng: random.Random) -> dict[str, Any]:
    if code == "voirie-nid-de-poule":
        return {
            "taille": rng.choice(["petit", "moyen", "grand"]),
            "dangereux": rng.choice(["oui", "non", "non"]),
        }
    if code == "depot-sauvage":
        return {"volume": rng.choice(["sac", "coffre", "camion"])}
    if code == "eclairage-public":
        return {"symptome": [rng.choice(["eteint", "clignote", "jour"])]}
    if code == "encombrants":
        return {"objets": rng.choice(DESCRIPTIONS["encombrants"])}
    return {}
