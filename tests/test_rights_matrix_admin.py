"""The back-office's walls: every admin model × role × membership, record by record.

The companion of ``test_rights_matrix.py`` and ``test_rights_matrix_modules.py`` for the
admin. Each model has a record in each place it can live: commune Alpha, commune Bêta,
the EPCI itself (no commune of its own), another organisation, and for the indicator
catalogue the shared catalogue. The rule (``territory.access.reach``): an
organisation-wide member sees the records of the organisation and all its communes; a
commune-scoped member sees the records of that commune and nothing of the EPCI's own;
another organisation's member sees none of them. For each member and model the test
checks the list, the change, history and delete views (out of reach: 404, as an unknown
record), and every bulk action (it receives only the records in reach).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from territoire.api.models import ApiToken
from territoire.core import audit
from territoire.core.models import AuditEvent
from territoire.indicators.models import Direction, IndicatorDefinition, Measurement, Target
from territoire.legal.models import SiteNotice
from territoire.participation.models import (
    AbuseReport,
    Answer,
    Ballot,
    BallotMethod,
    ParticipatoryBudget,
    Question,
    ReferencePopulation,
    Response,
    Result,
)
from territoire.participation.services import consultations as consultation_services
from territoire.participation.tests.factories import make_budget, make_participant, make_zone
from territoire.reports import services as reports_services
from territoire.reports.models import Crew, Report, ReportStatus, Round, ServiceCategory
from territoire.reports.tests.conftest import Territory, territory  # noqa: F401 (fixture)
from territoire.roadmap.models import Axis, Committee, Decision, FundingLine, Objective, Partner, Risk
from territoire.roadmap.tests.helpers import make_project, record
from territoire.territory.models import Commune, Membership, Organisation, Role, Scope

pytestmark = pytest.mark.django_db

ROLES = [role.value for role in Role]
MEMBERSHIPS = ["organisation_wide", "commune_alpha", "commune_beta", "other_organisation"]
AUDIT_ROLES = frozenset({Role.ADMINISTRATEUR, Role.DPO, Role.RSSI})
ALPHA, BETA, DELTA = "99101", "99102", "99201"
# The roles whose change and history pages of records in reach are opened (the cost of the
# matrix is there): the read-only élu and the administrator, the narrowest and the widest.
FULL_PAGE_ROLES = frozenset({Role.ELU, Role.ADMINISTRATEUR})


def sees(membership: str, place: str) -> bool:
    """The expected rule for a record's place."""
    if place == "shared":
        return True
    return {
        "organisation_wide": place in {"alpha", "beta", "epci"},
        "commune_alpha": place == "alpha",
        "commune_beta": place == "beta",
        "other_organisation": place == "other",
    }[membership]


@dataclass
class World:
    org: Organisation
    other: Organisation
    alpha: Commune
    beta: Commune
    delta: Commune
    territory: Territory

    def commune(self, place: str) -> Commune:
        return {"alpha": self.alpha, "beta": self.beta, "other": self.delta}[place]

    def organisation(self, place: str) -> Organisation:
        return self.other if place == "other" else self.org


COMMUNES = ("alpha", "beta", "other")  # a record that always has a commune
EVERYWHERE = ("alpha", "beta", "epci", "other")  # a record whose commune may be empty
OWN = ("epci", "other")  # a record of the organisation itself


def _user(name: str) -> Any:
    return get_user_model().objects.create_user(username=name, password="x" * 12)


def _commune_or_none(w: World, place: str) -> Commune | None:
    return None if place == "epci" else w.commune(place)


def _scope(w: World, place: str) -> Scope:
    return Scope.objects.get(code={"alpha": ALPHA, "beta": BETA, "other": DELTA, "epci": w.org.siren}[place])


def _budget(w: World, place: str) -> ParticipatoryBudget:
    budget = make_budget(w.organisation(place))
    ParticipatoryBudget.objects.filter(pk=budget.pk).update(commune=_commune_or_none(w, place))
    budget.refresh_from_db()
    return budget


def _question(w: World, place: str) -> Question:
    opens = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    consultation = consultation_services.create_consultation(
        w.organisation(place),
        title=f"Consultation {place}",
        opens_at=opens,
        closes_at=opens + dt.timedelta(days=30),
        commune=_commune_or_none(w, place),
    )
    return Question.objects.create(consultation=consultation, kind="text", text="Votre avis ?")


def _answer(w: World, place: str) -> Answer:
    question = _question(w, place)
    response = Response.objects.create(consultation=question.consultation, participant=make_participant())
    return Answer.objects.create(response=response, question=question, text=f"Texte en attente {place}")


def _crew(w: World, place: str) -> Crew:
    if place == "epci":
        return w.territory.crew
    return reports_services.save_crew(organisation=w.other, name="Ailleurs", depot_lat=47.0, depot_lon=2.0)


def _category(w: World, place: str) -> ServiceCategory:
    if place != "other":
        return w.territory.voirie
    return reports_services.save_category(organisation=w.other, service_code="ailleurs", name="Ailleurs")


def _measurement(w: World, place: str) -> Measurement:
    record("cyber.incidents", _scope(w, place).code, [3])
    return Measurement.objects.filter(scope=_scope(w, place)).latest("pk")


def _report(w: World, place: str) -> Report:
    organisation = w.organisation(place)
    return Report.objects.create(
        organisation=organisation,
        commune=w.commune(place),
        category=_category(w, place),
        status=reports_services.initial_status(organisation),
        description=f"Signalement {place}",
    )


def _audit(w: World, place: str) -> AuditEvent:
    return audit.record("test.event", organisation_id=w.organisation(place).pk, actor_label=place)


@dataclass(frozen=True)
class Row:
    places: tuple[str, ...]
    make: Callable[[World, str], Model]
    roles: frozenset[str] = frozenset(ROLES)  # the roles that open the model at all


ROWS: dict[str, Row] = {
    "core.auditevent": Row(OWN, _audit, AUDIT_ROLES),
    "api.apitoken": Row(
        EVERYWHERE,
        lambda w, p: ApiToken.issue(
            name=f"Jeton {p}", organisation=w.organisation(p), commune=_commune_or_none(w, p)
        )[0],
    ),
    "territory.organisation": Row(OWN, lambda w, p: w.organisation(p)),
    "legal.sitenotice": Row(OWN, lambda w, p: SiteNotice.objects.create(organisation=w.organisation(p))),
    "territory.commune": Row(COMMUNES, lambda w, p: w.commune(p)),
    "territory.zone": Row(COMMUNES, lambda w, p: make_zone(w.commune(p), f"zone-{p}")),
    "territory.membership": Row(
        EVERYWHERE,
        lambda w, p: Membership.objects.create(
            user=_user(f"membre-{p}"),
            organisation=w.organisation(p),
            commune=_commune_or_none(w, p),
            role=Role.ELU,
        ),
    ),
    "indicators.indicatordefinition": Row(
        ("epci", "other", "shared"),
        lambda w, p: IndicatorDefinition.objects.create(
            code=f"essai.{p}",
            name=f"Indicateur {p}",
            direction=Direction.HIGHER_IS_BETTER,
            method="Compté.",
            organisation=None if p == "shared" else w.organisation(p),
        ),
    ),
    "indicators.target": Row(
        EVERYWHERE,
        lambda w, p: Target.objects.create(
            indicator=IndicatorDefinition.objects.get(code="cyber.incidents"),
            scope=_scope(w, p),
            baseline_value=Decimal(1),
            baseline_date=dt.date(2025, 1, 1),
            target_value=Decimal(0),
            target_date=dt.date(2026, 12, 31),
        ),
    ),
    "indicators.measurement": Row(EVERYWHERE, _measurement),
    "roadmap.axis": Row(OWN, lambda w, p: Axis.objects.filter(organisation=w.organisation(p)).first()),
    "roadmap.objective": Row(
        OWN,
        lambda w, p: Objective.objects.create(
            organisation=w.organisation(p),
            axis=Axis.objects.filter(organisation=w.organisation(p)).first(),
            title=f"Objectif {p}",
            deadline=dt.date(2027, 1, 1),
        ),
    ),
    "roadmap.risk": Row(
        OWN,
        lambda w, p: Risk.objects.create(
            organisation=w.organisation(p), title=f"Risque interne {p}", likelihood=2, impact=3, owner="RSSI"
        ),
    ),
    "roadmap.partner": Row(
        OWN, lambda w, p: Partner.objects.create(organisation=w.organisation(p), name=f"P {p}", kind="etat")
    ),
    "roadmap.decision": Row(
        OWN,
        lambda w, p: Decision.objects.create(
            organisation=w.organisation(p), committee=Committee.BUREAU, date=dt.date(2026, 1, 1), title=p
        ),
    ),
    "roadmap.project": Row(
        EVERYWHERE,
        lambda w, p: make_project(w.organisation(p), f"Projet {p}", commune=_commune_or_none(w, p)),
    ),
    "roadmap.fundingline": Row(
        EVERYWHERE,
        lambda w, p: FundingLine.objects.create(
            project=make_project(w.organisation(p), f"Financé {p}", commune=_commune_or_none(w, p)),
            kind="subvention",
            amount=Decimal(1000),
        ),
    ),
    "reports.servicecategory": Row(OWN, _category),
    "reports.reportstatus": Row(
        OWN, lambda w, p: ReportStatus.objects.filter(organisation=w.organisation(p)).first()
    ),
    "reports.crew": Row(OWN, _crew),
    "reports.report": Row(COMMUNES, _report),
    "reports.round": Row(
        OWN,
        lambda w, p: Round.objects.create(
            crew=_crew(w, p),
            date=dt.date(2026, 1, 5),
            shift_minutes=420,
            distance_m=1.0,
            baseline_distance_m=2.0,
        ),
    ),
    "participation.referencepopulation": Row(
        COMMUNES,
        lambda w, p: ReferencePopulation.objects.create(
            commune=w.commune(p), attribute="age_band", category="18_24", count=100
        ),
    ),
    "participation.consultation": Row(EVERYWHERE, lambda w, p: _question(w, p).consultation),
    "participation.question": Row(EVERYWHERE, _question),
    "participation.answer": Row(EVERYWHERE, _answer),
    "participation.participatorybudget": Row(EVERYWHERE, _budget),
    "participation.proposal": Row(EVERYWHERE, lambda w, p: _budget(w, p).proposals.order_by("pk")[0]),
    "participation.ballot": Row(
        EVERYWHERE,
        lambda w, p: Ballot.objects.create(
            envelope=_budget(w, p).envelopes.order_by("pk")[0], method=BallotMethod.PAPER
        ),
    ),
    "participation.result": Row(
        EVERYWHERE,
        lambda w, p: Result.objects.create(
            envelope=_budget(w, p).envelopes.order_by("pk")[0],
            rule="greedy",
            satisfaction="cost",
            inputs_digest="0" * 64,
        ),
    ),
    "participation.abusereport": Row(
        EVERYWHERE,
        lambda w, p: AbuseReport.objects.create(
            reporter=make_participant(), reason="Injurieux", answer=_answer(w, p)
        ),
    ),
}


@pytest.fixture
def world(territory: Territory, other_organisation: Organisation) -> World:  # noqa: F811 (fixture)
    return World(
        org=territory.organisation,
        other=other_organisation,
        alpha=Commune.objects.get(insee_code=ALPHA),
        beta=Commune.objects.get(insee_code=BETA),
        delta=Commune.objects.get(insee_code=DELTA),
        territory=territory,
    )


def _sign_in(client: Client, w: World, make_staff: Callable[..., Any], role: str, membership: str) -> None:
    organisation = w.other if membership == "other_organisation" else w.org
    commune = {"commune_alpha": w.alpha, "commune_beta": w.beta}.get(membership)
    client.force_login(make_staff(organisation, role, commune))


def _records(w: World, label: str) -> dict[str, Model]:
    row = ROWS[label]
    return {place: row.make(w, place) for place in row.places}


def _url(label: str, view: str, *args: Any) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def test_every_scoped_admin_model_has_a_row() -> None:
    from territoire.territory.scoped_admin import OrganisationScopedAdmin

    scoped = {
        model._meta.label_lower
        for model in apps.get_models()
        if admin.site.is_registered(model)
        and (isinstance(admin.site.get_model_admin(model), OrganisationScopedAdmin) or model is AuditEvent)
    }
    assert not scoped - set(ROWS), f"add these models to ROWS: {sorted(scoped - set(ROWS))}"


@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("label", list(ROWS))
def test_admin_walls(
    client: Client,
    world: World,
    make_staff: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    label: str,
    membership: str,
) -> None:
    """One model, one kind of membership, every role in turn (the records made once)."""
    records = _records(world, label)
    model_admin = admin.site.get_model_admin(type(next(iter(records.values()))))
    superuser_request = RequestFactory().get("/admin/")
    superuser_request.user = _superuser()
    actions = list(model_admin.get_actions(superuser_request))
    _spy_on_actions(monkeypatch, model_admin)
    for role in ROLES:
        _sign_in(client, world, make_staff, role, membership)
        _check_member(client, label, records, role, membership, actions)


RECEIVED: dict[str, set[Any]] = {}


def _spy_on_actions(monkeypatch: pytest.MonkeyPatch, model_admin: Any) -> None:
    """Replace each bulk action by a spy that notes the records it receives (and does nothing)."""
    real_get_actions = model_admin.get_actions

    def spy(name: str) -> Callable[..., None]:
        def run(modeladmin: Any, request: Any, queryset: Any) -> None:
            RECEIVED[name] = set(queryset.values_list("pk", flat=True))

        return run

    def spying_get_actions(request: Any) -> dict[str, Any]:
        return {name: (spy(name), name, text) for name, (_f, _n, text) in real_get_actions(request).items()}

    monkeypatch.setattr(model_admin, "get_actions", spying_get_actions)


def _check_member(
    client: Client, label: str, records: dict[str, Model], role: str, membership: str, actions: list[str]
) -> None:
    row = ROWS[label]
    opens = role in row.roles
    visible = {place for place in records if opens and sees(membership, place)}
    # The model is shown to a member whose reach may hold some of it: a commune-scoped
    # member is not shown the models of the organisation itself.
    commune_level = bool({"alpha", "shared"} & set(row.places))
    shown = opens and (commune_level or not membership.startswith("commune_"))
    where = (label, role, membership)
    listing = client.get(_url(label, "changelist"))
    assert listing.status_code == (200 if shown else 403), (*where, listing.status_code)
    if shown:
        body = listing.content.decode()
        for place, obj in records.items():
            link = _url(label, "change", obj.pk)
            assert (f'href="{link}"' in body) is (place in visible), (*where, place)

    for place, obj in records.items():
        if place in visible and role not in FULL_PAGE_ROLES:
            continue  # a record in reach renders alike for every role: two roles render it
        views = ("change", "history") if place in visible else ("change", "history", "delete")
        for view in views:
            status = client.get(_url(label, view, obj.pk)).status_code
            # Out of reach: 404, as an unknown record.
            assert status == (200 if place in visible else 404), (*where, place, view, status)

    # Every bulk action (those a superuser is offered) receives the records in reach only,
    # whatever was ticked; an action the member is not offered does not run.
    expected = {records[place].pk for place in visible}
    ticked = [str(o.pk) for o in records.values()]
    for name in actions:
        RECEIVED.pop(name, None)
        response = client.post(
            _url(label, "changelist"), {"action": name, "index": "0", "_selected_action": ticked}
        )
        assert response.status_code in (200, 302, 403), (*where, name, response.status_code)
        if name in RECEIVED:
            assert RECEIVED[name] == expected, (*where, name, RECEIVED[name], expected)


def _superuser() -> Any:
    user = get_user_model().objects.filter(username="root-matrix").first()
    return user or get_user_model().objects.create_superuser("root-matrix", "root@example.org", "x" * 12)
