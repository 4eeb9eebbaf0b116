"""Demo participation: residents (fake, never shown publicly), consultations (one closed
with published results and an argued answer, one open), budgets (one voting, one closed
with published Equal Shares results and its winners in the roadmap), reference
population figures and a census list (hashed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from territoire.core.demo import DemoContext
from territoire.participation import demo_english, services
from territoire.participation.census import digest, key_for
from territoire.participation.models import (
    Answer,
    Ballot,
    BallotItem,
    BallotKind,
    BallotMethod,
    CensusEntry,
    Gender,
    Participant,
    PhaseKind,
    Proposal,
    ProposalStatus,
    QuestionKind,
    ReferenceAttribute,
    Response,
    ResultRule,
)
from territoire.roadmap.models import Project
from territoire.territory.models import Zone

RESIDENTS = 160
# Shares of the INSEE age bands in a typical French commune (%).
AGE_SHARES = {"0-14": 17, "15-29": 16, "30-44": 18, "45-59": 20, "60-74": 18, "75+": 11}
# Participants skew older, as they usually do.
PARTICIPANT_BANDS = ["15-29"] * 2 + ["30-44"] * 4 + ["45-59"] * 6 + ["60-74"] * 7 + ["75+"] * 2
FIRST = ["Marie", "Jean", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Paul", "Zoé", "Nathan"]
LAST = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent"]
PROPOSALS = [
    ("Bancs et ombrage sur la place du marché", "cadre-de-vie", 18_000),
    ("Jardin partagé derrière l'école", "environnement", 25_000),
    ("Boîtes à livres dans chaque quartier", "culture", 6_000),
    ("Piste cyclable vers la gare", "mobilite", 60_000),
    ("Éclairage solaire du chemin du port", "environnement", 32_000),
    ("Aire de jeux inclusive", "cadre-de-vie", 45_000),
    ("Fontaines à eau dans le parc", "cadre-de-vie", 12_000),
    ("Atelier de réparation de vélos", "mobilite", 9_000),
    ("Fresque participative du centre-ville", "culture", 15_000),
    ("Composteurs collectifs", "environnement", 8_000),
    ("Ateliers numériques pour les seniors", "inclusion-numerique", 14_000),
    ("Wifi public à la médiathèque", "inclusion-numerique", 20_000),
]
CATEGORIES = {
    "cadre-de-vie": "Cadre de vie",
    "environnement": "Environnement",
    "culture": "Culture",
    "mobilite": "Mobilités",
    "inclusion-numerique": "Inclusion numérique",
}


def _residents(ctx: DemoContext, zones: list[Zone]) -> list[Participant]:
    User = get_user_model()  # noqa: N806
    # A previous demo's residents (their territory was deleted with the organisation).
    User.objects.filter(username__regex=r"^habitant\d+@example\.org$", is_staff=False).delete()
    communes = ctx.commune_objects
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"habitant{i}@example.org", email=f"habitant{i}@example.org", password=unusable)
            for i in range(1, RESIDENTS + 1)
        ]
    )
    if any(u.pk is None for u in users):
        users = list(User.objects.filter(username__regex=r"^habitant\d+@example\.org$").order_by("pk"))
    now = timezone.now()
    rng = ctx.rng
    participants = []
    for i, user in enumerate(users):
        zone = zones[i % len(zones)] if zones and i % 3 else None
        commune = zone.commune if zone else communes[rng.randrange(len(communes))]
        declared = rng.random() < 0.8
        participants.append(
            Participant(
                user=user,
                commune=commune,
                zone=zone,
                age_band=rng.choice(PARTICIPANT_BANDS) if declared else "",
                birth_year=None if declared else ctx.today.year - rng.randint(18, 80),
                gender=rng.choice([Gender.FEMALE, Gender.MALE]) if rng.random() < 0.7 else "",
                email_verified_at=now - dt.timedelta(days=rng.randint(40, 400)),
            )
        )
    return Participant.objects.bulk_create(participants)


def _reference(ctx: DemoContext, zones: list[Zone]) -> int:
    rows = 0
    for commune in ctx.commune_objects[:5]:
        counts = {band: commune.population * share // 100 for band, share in AGE_SHARES.items()}
        services.set_reference_population(
            commune, ReferenceAttribute.AGE_BAND, counts, year=ctx.today.year - 2
        )
        rows += len(counts)
    for zone in zones:
        population = zone.population or 0
        counts = {band: population * share // 100 for band, share in AGE_SHARES.items()}
        services.set_reference_population(
            zone.commune, ReferenceAttribute.AGE_BAND, counts, zone=zone, year=ctx.today.year - 2
        )
        rows += len(counts)
    return rows


def _census(ctx: DemoContext, zones: list[Zone]) -> int:
    commune = ctx.commune_objects[0]
    key = key_for(commune)
    entries = {}
    for i in range(60):
        born = dt.date(1940 + ctx.rng.randrange(65), 1 + ctx.rng.randrange(12), 1 + ctx.rng.randrange(28))
        value = digest(key.salt, LAST[i % len(LAST)], f"{FIRST[i % len(FIRST)]} {i}", born)
        entries[value] = CensusEntry(
            commune=commune, digest=value, birth_year=born.year, zone=zones[i % len(zones)] if zones else None
        )
    CensusEntry.objects.bulk_create(entries.values())
    return len(entries)


def _consultations(ctx: DemoContext, participants: list[Participant]) -> int:
    org = ctx.organisation
    assert org is not None
    now = timezone.now()
    rng = ctx.rng
    closed = services.create_consultation(
        org,
        title="Quelles priorités pour les services en ligne ?",
        description="Aidez-nous à choisir les démarches à mettre en ligne en priorité.",
        theme="Services en ligne",
        opens_at=now - dt.timedelta(days=75),
        closes_at=now - dt.timedelta(days=30),
        min_age=15,
    )
    q1 = services.add_question(
        closed,
        kind=QuestionKind.SINGLE,
        text="Quelle démarche voulez-vous d'abord faire en ligne ?",
        options=[
            "Inscriptions scolaires",
            "Réservation de salles",
            "Demandes d'urbanisme",
            "Rendez-vous en mairie",
        ],
        required=True,
    )
    q2 = services.add_question(
        closed,
        kind=QuestionKind.SCALE,
        text="Êtes-vous à l'aise avec les démarches en ligne ?",
        scale_min=1,
        scale_max=5,
        scale_min_label="Pas du tout",
        scale_max_label="Tout à fait",
    )
    q3 = services.add_question(closed, kind=QuestionKind.TEXT, text="Une idée, une remarque ?")
    options = list(q1.options.all())
    weights = [5, 2, 3, 4]
    sample = rng.sample(participants, 90)
    ideas = [
        "Un accompagnement en mairie pour ceux qui n'ont pas d'ordinateur.",
        "Pouvoir payer la cantine en ligne.",
        "Des formulaires plus courts, s'il vous plaît.",
    ]
    past = now - dt.timedelta(days=50)
    # The first responses go through the service (as a resident would); the rest are
    # written in bulk to keep the demo fast.
    for n, participant in enumerate(sample[: len(ideas)]):
        services.submit_response(
            participant,
            closed,
            {q1.pk: rng.choices(options, weights)[0].pk, q2.pk: rng.choice([3, 4, 5]), q3.pk: ideas[n]},
            now=past,
        )
    responses = Response.objects.bulk_create(
        [Response(consultation=closed, participant=p) for p in sample[len(ideas) :]]
    )
    if any(r.pk is None for r in responses):
        responses = list(Response.objects.filter(consultation=closed).order_by("pk")[len(ideas) :])
    Answer.objects.bulk_create(
        [Answer(response=r, question=q1, option=rng.choices(options, weights)[0]) for r in responses]
        + [Answer(response=r, question=q2, value=rng.choice([2, 3, 3, 4, 4, 4, 5, 5])) for r in responses]
    )
    texts = list(Answer.objects.filter(question=q3).order_by("pk"))
    for answer in texts[:-1]:
        services.moderate_answer(answer, publish=True)
    if texts:
        services.moderate_answer(answer=texts[-1], publish=False, reason="Message publicitaire.")
    project = Project.objects.filter(organisation=org).order_by("pk").first()
    services.publish_consultation_answer(
        closed,
        answer_text=(
            "Merci pour vos 90 réponses. Les inscriptions scolaires arrivent en tête : elles seront en ligne "
            "à la rentrée, avec un accompagnement en mairie pour les personnes qui le souhaitent."
        ),
        decision_text="Le bureau a inscrit les inscriptions scolaires en ligne à la feuille de route.",
        projects=[project] if project else [],
    )
    opened = services.create_consultation(
        org,
        title="Réaménagement de la place du marché",
        description="Donnez votre avis avant les travaux.",
        theme="Cadre de vie",
        opens_at=now - dt.timedelta(days=5),
        closes_at=now + dt.timedelta(days=25),
    )
    q = services.add_question(
        opened,
        kind=QuestionKind.MULTIPLE,
        text="Que souhaitez-vous sur la place ?",
        options=["Des arbres", "Des bancs", "Un marché couvert", "Du stationnement vélo"],
        max_choices=2,
    )
    r = services.add_question(
        opened,
        kind=QuestionKind.RANKING,
        text="Classez ces usages de la place",
        options=["Marché", "Fêtes", "Stationnement"],
    )
    q_opts = list(q.options.all())
    r_opts = [o.pk for o in r.options.all()]
    for participant in rng.sample(participants, 24):
        rng.shuffle(r_opts)
        services.submit_response(
            participant, opened, {q.pk: [o.pk for o in rng.sample(q_opts, 2)], r.pk: list(r_opts)}
        )
    return 2


def _budget(
    ctx: DemoContext,
    participants: list[Participant],
    zones: list[Zone],
    *,
    title: str,
    year: int,
    voting_start: dt.datetime,
    closed: bool,
) -> Any:
    org = ctx.organisation
    assert org is not None
    rng = ctx.rng
    budget = services.create_budget(
        org,
        title=title,
        year=year,
        description="Proposez, puis votez pour les projets de votre territoire.",
        ballot_kind=BallotKind.APPROVAL,
        min_choices=1,
        max_choices=4,
        rule=ResultRule.MES if closed else ResultRule.MES_COMPLETE,
        min_age=16,
        unspent_destination="Le montant non attribué est reporté sur le budget participatif de l'année suivante.",
    )
    day = dt.timedelta(days=1)
    starts = {
        PhaseKind.SUBMISSION: (voting_start - 90 * day, voting_start - 60 * day),
        PhaseKind.REVIEW: (voting_start - 60 * day, voting_start - 40 * day),
        PhaseKind.ESTIMATE: (voting_start - 40 * day, voting_start),
        PhaseKind.VOTING: (voting_start, voting_start + 21 * day),
        PhaseKind.RESULTS: (voting_start + 21 * day, voting_start + 35 * day),
        PhaseKind.IMPLEMENTATION: (voting_start + 35 * day, None),
    }
    for kind, (start, end) in starts.items():
        services.set_phase(budget, kind, starts_at=start, ends_at=end)
    for code, name in CATEGORIES.items():
        services.add_category(budget, code=code, name=name)
    categories = {c.code: c for c in budget.categories.all()}
    envelope = services.add_envelope(budget, code="global", name="Enveloppe intercommunale", amount=120_000)
    zone_envelopes = [
        services.add_envelope(budget, code=z.code, name=f"Quartier {z.name}", amount=30_000, zone=z)
        for z in zones[:2]
    ]
    proposals = []
    for i, (text, category, cost) in enumerate(PROPOSALS):
        target = envelope if i < 9 or not zone_envelopes else zone_envelopes[i % len(zone_envelopes)]
        proposals.append(
            Proposal(
                budget=budget,
                envelope=target,
                external_id=f"{year}-{i + 1}",
                author=participants[i * 7 % len(participants)],
                zone=target.zone,
                category=categories[category],
                title=text,
                description=f"{text}. Proposition d'un habitant, chiffrée par les services.",
                status=ProposalStatus.ELIGIBLE,
                reviewed_at=voting_start - 45 * day,
                estimated_cost=min(cost, target.amount),
                estimated_at=voting_start - 10 * day,
            )
        )
    proposals.append(
        Proposal(
            budget=budget,
            envelope=envelope,
            external_id=f"{year}-{len(PROPOSALS) + 1}",
            author=participants[3],
            title="Parking souterrain sous la mairie",
            description="Un parking de 300 places.",
            status=ProposalStatus.REJECTED,
            public_reason="Le coût dépasse très largement l'enveloppe et relève d'un autre programme.",
            reviewed_at=voting_start - 45 * day,
        )
    )
    Proposal.objects.bulk_create(proposals)
    # Dates as they would have been (creation times are set to "now" on insert).
    Proposal.objects.filter(budget=budget).update(created_at=voting_start - 75 * day)
    eligible_by_env: dict[int, list[Proposal]] = {}
    for p in Proposal.objects.filter(budget=budget, status=ProposalStatus.ELIGIBLE).order_by("pk"):
        eligible_by_env.setdefault(p.envelope_id, []).append(p)
    popularity = {p.pk: rng.random() for ps in eligible_by_env.values() for p in ps}
    voters = rng.sample(participants, 110 if closed else 45)
    ballots: list[Ballot] = []
    choices: list[list[Proposal]] = []
    for voter in voters:
        for env in [envelope, *[e for e in zone_envelopes if e.zone_id == voter.zone_id]]:
            pool = eligible_by_env.get(env.pk, [])
            picked = [p for p in pool if rng.random() < popularity[p.pk]][:4] or pool[:1]
            ballots.append(
                Ballot(
                    envelope=env, participant=voter, method=BallotMethod.ONLINE, voter_zone_id=voter.zone_id
                )
            )
            choices.append(picked)
    for _ in range(6 if closed else 2):  # paper ballots, entered by staff
        pool = eligible_by_env[envelope.pk]
        ballots.append(
            Ballot(envelope=envelope, method=BallotMethod.PAPER, entered_by=ctx.users.get("agent.valmont"))
        )
        choices.append(rng.sample(pool, 2))
    created = Ballot.objects.bulk_create(ballots)
    if any(b.pk is None for b in created):
        created = list(Ballot.objects.filter(envelope__budget=budget).order_by("pk"))
    BallotItem.objects.bulk_create(
        [BallotItem(ballot=b, proposal=p) for b, picked in zip(created, choices, strict=True) for p in picked]
    )
    Ballot.objects.filter(envelope__budget=budget).update(
        created_at=min(voting_start + 3 * day, timezone.now())
    )
    if closed:
        for env in [envelope, *zone_envelopes]:
            result = services.compute_results(env)
            services.publish_results(result)
            services.implement_winners(env)
    return budget


def populate(ctx: DemoContext) -> str:
    org = ctx.organisation
    if org is None or not ctx.commune_objects:
        return "no territory: skipped"
    zones = list(Zone.objects.filter(commune=ctx.commune_objects[0]).order_by("code"))
    participants = _residents(ctx, zones)
    reference_rows = _reference(ctx, zones)
    census = _census(ctx, zones)
    consultations = _consultations(ctx, participants)
    now = timezone.now()
    _budget(
        ctx,
        participants,
        zones,
        title=f"Budget participatif {ctx.today.year - 1}",
        year=ctx.today.year - 1,
        voting_start=now - dt.timedelta(days=200),
        closed=True,
    )
    _budget(
        ctx,
        participants,
        zones,
        title=f"Budget participatif {ctx.today.year}",
        year=ctx.today.year,
        voting_start=now - dt.timedelta(days=7),
        closed=False,
    )
    demo_english.translate(org)
    return (
        f"{len(participants)} demo residents (@example.org, never shown), {consultations} consultations, "
        f"2 participatory budgets (one voting, one with published results), {reference_rows} reference "
        f"figures, {census} census entries (hashed)"
    )
