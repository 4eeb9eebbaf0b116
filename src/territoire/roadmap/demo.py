"""Demo portfolio: the projects, decisions and funding of Rives & Vallons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from territoire.core.demo import DemoContext
from territoire.core.languages import with_english
from territoire.roadmap import demo_figures
from territoire.roadmap.models import (
    Axis,
    Committee,
    CostShare,
    Decision,
    FundingKind,
    FundingLine,
    Partner,
    Project,
    ProjectStatus,
)

# (title, axis, value, complexity, cost €, status, progress, sponsor, commune index or None)
PROJECTS = [
    (
        "Inscriptions scolaires en ligne",
        "services",
        5,
        1,
        45_000,
        ProjectStatus.DONE,
        100,
        "Jeanne Moreau, vice-présidente",
        None,
    ),
    (
        "Portail famille refondu",
        "services",
        5,
        3,
        180_000,
        ProjectStatus.IN_PROGRESS,
        60,
        "Jeanne Moreau, vice-présidente",
        None,
    ),
    (
        "Rendez-vous de PMI en ligne avec rappel automatique",
        "services",
        4,
        2,
        38_000,
        ProjectStatus.PLANNED,
        10,
        "Paul Girard, maire de Rives-sur-Aulne",
        1,
    ),
    (
        "Entrepôt de données et tableaux de bord",
        "services",
        4,
        5,
        320_000,
        ProjectStatus.IN_PROGRESS,
        25,
        "Jeanne Moreau, vice-présidente",
        None,
    ),
    (
        "SOC mutualisé intercommunal",
        "cybersecurite",
        5,
        4,
        260_000,
        ProjectStatus.IN_PROGRESS,
        45,
        "Luc Bernard, président",
        None,
    ),
    (
        "MFA pour tous les comptes d'agents",
        "cybersecurite",
        5,
        2,
        30_000,
        ProjectStatus.IN_PROGRESS,
        70,
        "Luc Bernard, président",
        None,
    ),
    (
        "Exercice PRA semestriel",
        "cybersecurite",
        4,
        2,
        15_000,
        ProjectStatus.PLANNED,
        0,
        "Luc Bernard, président",
        None,
    ),
    (
        "Fibre des écoles et maisons France Services",
        "connectivite",
        5,
        4,
        540_000,
        ProjectStatus.IN_PROGRESS,
        55,
        "Luc Bernard, président",
        None,
    ),
    (
        "Éclairage public connecté et gradué",
        "durable",
        4,
        3,
        410_000,
        ProjectStatus.IN_PROGRESS,
        35,
        "Anne Leroy, maire de Valmont-sur-Mer",
        0,
    ),
    (
        "Capteurs de fuites sur le réseau d'eau",
        "durable",
        4,
        3,
        150_000,
        ProjectStatus.PLANNED,
        5,
        "Anne Leroy, maire de Valmont-sur-Mer",
        0,
    ),
    (
        "Médiateurs numériques itinérants",
        "inclusion",
        5,
        2,
        95_000,
        ProjectStatus.IN_PROGRESS,
        40,
        "Sophie Petit, conseillère déléguée",
        None,
    ),
    (
        "Kits pédagogiques pour les agents",
        "inclusion",
        3,
        1,
        12_000,
        ProjectStatus.DONE,
        100,
        "Sophie Petit, conseillère déléguée",
        None,
    ),
    (
        "Prêt de clés 4G en bibliothèque",
        "inclusion",
        3,
        1,
        8_000,
        ProjectStatus.IDEA,
        0,
        "Sophie Petit, conseillère déléguée",
        2,
    ),
    (
        "Budget participatif 2026",
        "participation",
        4,
        3,
        60_000,
        ProjectStatus.PLANNED,
        15,
        "Jeanne Moreau, vice-présidente",
        None,
    ),
    (
        "Application de signalement urbain",
        "participation",
        4,
        2,
        55_000,
        ProjectStatus.IN_PROGRESS,
        50,
        "Anne Leroy, maire de Valmont-sur-Mer",
        0,
    ),
    ("Refonte du site vitrine", "services", 2, 2, 40_000, ProjectStatus.IDEA, 0, "", None),
    ("Visioguichet dans chaque mairie", "services", 2, 4, 120_000, ProjectStatus.SUSPENDED, 10, "", None),
]


def populate(ctx: DemoContext) -> str:
    """The template indicators' figures and targets, then the portfolio (in that order: the seed's draws)."""
    figures = demo_figures.populate(ctx)
    return f"{figures}; {portfolio(ctx)}"


# English of the projects' titles (django-modeltranslation's title_en): the demo reads in
# English under /en/.
PROJECT_TITLES_EN = {
    "Inscriptions scolaires en ligne": "Online school enrolment",
    "Portail famille refondu": "Redesigned family portal",
    "Rendez-vous de PMI en ligne avec rappel automatique": "Online maternal and child health appointments with reminders",
    "Entrepôt de données et tableaux de bord": "Data warehouse and dashboards",
    "SOC mutualisé intercommunal": "Shared inter-municipal security operations centre",
    "MFA pour tous les comptes d'agents": "Multi-factor authentication for every staff account",
    "Exercice PRA semestriel": "Disaster recovery drill every six months",
    "Fibre des écoles et maisons France Services": "Fibre for schools and France Services centres",
    "Éclairage public connecté et gradué": "Connected, dimmable street lighting",
    "Capteurs de fuites sur le réseau d'eau": "Leak sensors on the water network",
    "Médiateurs numériques itinérants": "Travelling digital mediators",
    "Kits pédagogiques pour les agents": "Training kits for staff",
    "Prêt de clés 4G en bibliothèque": "4G dongles lent by libraries",
    "Budget participatif 2026": "Participatory budget 2026",
    "Application de signalement urbain": "Street issue reporting app",
    "Refonte du site vitrine": "Redesign of the public website",
    "Visioguichet dans chaque mairie": "Video help desk in every town hall",
}


def portfolio(ctx: DemoContext) -> str:
    org = ctx.organisation
    assert org is not None
    axes = {a.code: a for a in Axis.objects.filter(organisation=org)}
    owner = ctx.users.get("dsi")
    projects: list[Project] = []
    for title, axis, value, complexity, cost, status, progress, sponsor, commune_index in PROJECTS:
        spent = Decimal(cost) * Decimal(progress) / 100 * Decimal(str(round(ctx.rng.uniform(0.8, 1.1), 2)))
        year = ctx.today.year + (0 if status == ProjectStatus.DONE else ctx.rng.choice([0, 1]))
        commune = (
            ctx.commune_objects[commune_index]
            if commune_index is not None and commune_index < len(ctx.commune_objects)
            else None
        )
        project = Project.objects.create(
            organisation=org,
            axis=axes[axis],
            **with_english("title", title, PROJECT_TITLES_EN),
            value_score=value,
            complexity_score=complexity,
            cost=Decimal(cost),
            spent=spent.quantize(Decimal("0.01")),
            target_year=year,
            target_quarter=ctx.rng.randint(1, 4),
            status=status,
            progress=progress,
            sponsor=sponsor,
            product_owner=owner,
            commune=commune,
        )
        project.objectives.set(axes[axis].objectives.all())
        projects.append(project)
    partners = {p.name: p for p in Partner.objects.filter(organisation=org)}
    funding = 0
    for project in projects:
        subsidy = (project.cost * Decimal("0.4")).quantize(Decimal("0.01"))
        FundingLine.objects.create(
            project=project,
            kind=FundingKind.SUBVENTION,
            amount=subsidy,
            funder=partners.get("Banque des Territoires"),
            label="Appel à projets 2025",
        )
        FundingLine.objects.create(
            project=project, kind=FundingKind.AUTOFINANCEMENT, amount=project.cost - subsidy
        )
        funding += 2
    soc = projects[4]
    total = sum(c.population for c in ctx.commune_objects)
    shares = [Decimal(c.population * 100) / total for c in ctx.commune_objects]
    CostShare.objects.bulk_create(
        [
            CostShare(project=soc, commune=c, share_percent=s.quantize(Decimal("0.01")))
            for c, s in zip(ctx.commune_objects, shares, strict=True)
        ]
    )
    decisions = [
        (
            Committee.COMITE_STRATEGIQUE,
            300,
            "Adoption de la feuille de route numérique 2025-2026",
            projects[:8],
        ),
        (
            Committee.BUREAU,
            200,
            "Priorité aux gains rapides : inscriptions scolaires et MFA",
            [projects[0], projects[5]],
        ),
        (
            Committee.CONSEIL,
            120,
            "Création du SOC mutualisé et clé de répartition par population",
            [projects[4]],
        ),
        (
            Committee.COMITE_ETHIQUE,
            60,
            "Avis favorable sur les capteurs de fuites, sans donnée personnelle",
            [projects[9]],
        ),
    ]
    for committee, days_ago, title, concerned in decisions:
        decision = Decision.objects.create(
            organisation=org,
            committee=committee,
            date=ctx.today - timedelta(days=days_ago),
            title=title,
            text=title + ".",
        )
        decision.projects.set(concerned)
    return f"{len(projects)} projects, {funding} funding lines, {len(decisions)} decisions, cost shares for {len(shares)} communes"
