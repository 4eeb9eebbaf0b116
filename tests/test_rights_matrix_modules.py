"""The rights matrix of the modules' staff pages and API: every role × membership × action.

The companion of ``test_rights_matrix.py`` (indicators, roadmap, admin, measurement API),
with the same rules: a member sees what their membership covers (organisation-wide: the
organisation and all its communes; a commune membership: that commune), and what is out of
reach answers 404, never 403 — 403 is kept for an object the member sees but whose action
their role does not allow. Each module adds its rows to the tables below (``REPORT_ACTIONS``,
``PLACE_ACTIONS``, ``API_READS``, ``ELSEWHERE``); the tests and the expected status come
from the row, so a new page is covered by one line.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from territoire.api.models import ApiToken
from territoire.core.uploads import sanitise_image
from territoire.indicators.models import Direction, IndicatorDefinition, Visibility
from territoire.legal.models import SiteNotice
from territoire.participation import permissions as participation_permissions
from territoire.participation.models import ParticipatoryBudget
from territoire.participation.services import consultations as consultation_services
from territoire.participation.tests.factories import make_budget
from territoire.reports import permissions as reports_permissions
from territoire.reports import services as reports_services
from territoire.reports.models import Report, ReportEvent, ReportPhoto, Round
from territoire.reports.tests.conftest import (  # noqa: F401 (fixtures)
    ALPHA_SUD,
    BETA,
    Territory,
    jpeg_bytes,
    make_report,
    territory,
)
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

ORG, OTHER_ORG = "200000001", "200000002"
ALPHA, BETA_CODE = "99101", "99102"
ROLES = [role.value for role in Role]
# A member of the organisation (organisation-wide or of Alpha), or of the other organisation.
MEMBERSHIPS = ["organisation_wide", "commune_alpha", "other_organisation"]
POINTS = {ALPHA: ALPHA_SUD, BETA_CODE: BETA}


def sees(membership: str, commune_code: str) -> bool:
    """The expected rule: does the membership cover this commune of the organisation?"""
    if membership == "organisation_wide":
        return True
    return membership == "commune_alpha" and commune_code == ALPHA


def in_organisation(membership: str) -> bool:
    return membership != "other_organisation"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def member(
    client: Client,
    territory: Territory,  # noqa: F811 (fixture)
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> Client:
    """The client signed in with the test's role and membership."""
    role, membership = request.node.callspec.params["role"], request.node.callspec.params["membership"]
    if membership == "other_organisation":
        user = make_staff(other_organisation, role)
    else:
        commune = Commune.objects.get(insee_code=ALPHA) if membership == "commune_alpha" else None
        user = make_staff(territory.organisation, role, commune)
    client.force_login(user)
    return client


staff_matrix = pytest.mark.parametrize(("role", "membership"), [(r, m) for r in ROLES for m in MEMBERSHIPS])


# --- Reports: a report's file and its actions --------------------------------------------------


@dataclass(frozen=True)
class ReportAction:
    """One staff action on a report: its URL, what it posts, the roles it needs, its effect."""

    name: str
    url: Callable[[Report], str]
    roles: frozenset[str] | None  # None: any member who sees the report
    data: Callable[[Territory, Report], dict[str, Any]] | None = None  # None: a GET
    prepare: Callable[[Territory, Report], None] = lambda t, report: None
    done: Callable[[Territory, Report], bool] = lambda t, report: True


def manage(report: Report, tail: str = "") -> str:
    return reverse("reports-manage", args=[ORG, report.public_id]) + tail


def photo_of(report: Report) -> ReportPhoto:
    return ReportPhoto.objects.get(report=report)


def superuser() -> Any:
    """Someone who may do anything, to set the scene (the services check their actor)."""
    user, _created = get_user_model().objects.get_or_create(
        username="racine", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def _hide(t: Territory, report: Report) -> None:
    reports_services.hide_report(report, "Injurieux", actor=superuser())


def _refreshed(report: Report) -> Report:
    return Report.objects.select_related("status").get(pk=report.pk)


def _duplicate_target(t: Territory, report: Report) -> Report:
    return Report.objects.get(description=f"{report.description}: doublon")


REPORT_ACTIONS = [
    ReportAction("file", manage, None),
    ReportAction("photo", lambda r: manage(r, f"photos/{photo_of(r).public_id}/"), None),
    ReportAction(
        "status",
        lambda r: manage(r, "statut/"),
        reports_permissions.TRIAGE_ROLES,
        data=lambda t, r: {"status-status": "resolu", "status-answer": "Fait."},
        done=lambda t, r: _refreshed(r).status.code == "resolu",
    ),
    ReportAction(
        "answer",
        lambda r: manage(r, "message/"),
        reports_permissions.TRIAGE_ROLES,
        data=lambda t, r: {"answer-text": "Nous passons demain.", "answer-public": "0"},
        done=lambda t, r: ReportEvent.objects.filter(report=r, message="Nous passons demain.").exists(),
    ),
    ReportAction(
        "assign",
        lambda r: manage(r, "equipe/"),
        reports_permissions.TRIAGE_ROLES,
        data=lambda t, r: {"assign-crew": str(t.crew.pk)},
        done=lambda t, r: _refreshed(r).crew_id == t.crew.pk,
    ),
    ReportAction(
        "merge",
        lambda r: manage(r, "fusion/"),
        reports_permissions.TRIAGE_ROLES,
        data=lambda t, r: {"merge-target": str(_duplicate_target(t, r).public_id)},
        done=lambda t, r: _refreshed(r).duplicate_of_id is not None,
    ),
    ReportAction(
        "category",
        lambda r: manage(r, "categorie/"),
        reports_permissions.TRIAGE_ROLES,
        data=lambda t, r: {"category-category": "eclairage"},
        done=lambda t, r: Report.objects.get(pk=r.pk).category_id == t.eclairage.pk,
    ),
    ReportAction(
        "hide",
        lambda r: manage(r, "masquer/"),
        reports_permissions.MODERATE_ROLES,
        data=lambda t, r: {"hide-reason": "Injurieux"},
        done=lambda t, r: _refreshed(r).hidden,
    ),
    ReportAction(
        "unhide",
        lambda r: manage(r, "retablir/"),
        reports_permissions.MODERATE_ROLES,
        data=lambda t, r: {"unhide-reason": "Reformulé"},
        prepare=_hide,
        done=lambda t, r: not _refreshed(r).hidden,
    ),
    ReportAction(
        "redact",
        lambda r: manage(r, f"photos/{photo_of(r).public_id}/retirer/"),
        reports_permissions.MODERATE_ROLES,
        data=lambda t, r: {"redact-reason": "Plaque d'immatriculation"},
        done=lambda t, r: photo_of(r).redacted,
    ),
]


def expected_for_report(action: ReportAction, role: str, membership: str, commune_code: str) -> int:
    if not sees(membership, commune_code):
        return 404
    if action.roles is not None and role not in action.roles:
        return 403
    return 200 if action.data is None else 302


@staff_matrix
@pytest.mark.parametrize("commune_code", [ALPHA, BETA_CODE])
def test_report_actions(
    member: Client,
    territory: Territory,  # noqa: F811 (fixture)
    make_report: Callable[..., Report],  # noqa: F811 (fixture)
    role: str,
    membership: str,
    commune_code: str,
) -> None:
    for action in REPORT_ACTIONS:
        point = POINTS[commune_code]
        report = make_report(
            point, description=f"{action.name}", photo=sanitise_image(io.BytesIO(jpeg_bytes()))
        )
        make_report(point, description=f"{action.name}: doublon")  # a merge target in the same commune
        action.prepare(territory, report)
        expected = expected_for_report(action, role, membership, commune_code)
        url = action.url(report)
        if action.data is None:
            response = member.get(url)
        else:
            response = member.post(url, action.data(territory, report))
        assert response.status_code == expected, (action.name, response.status_code)
        if action.data is not None:
            assert action.done(territory, report) is (expected == 302), action.name
        # The same for a report that does not exist: nothing tells them apart.
        if expected == 404:
            missing = url.replace(str(report.public_id), "00000000-0000-7000-8000-000000000000")
            answer = member.get(missing) if action.data is None else member.post(missing, {})
            assert answer.status_code == 404, action.name


# --- Pages of a place: queues, rounds, a budget's staff page -------------------------------------


@dataclass(frozen=True)
class PlaceAction:
    """A staff page of a place (the organisation or a commune), with its expected status."""

    name: str
    url: Callable[[dict[str, Any]], str]
    expected: Callable[[str, str], int]  # (role, membership) -> status
    data: dict[str, Any] | None = None  # None: a GET
    objects: dict[str, Any] = field(default_factory=dict)


def rounds_expected(role: str, membership: str) -> int:
    # Rounds are the organisation's: any triage role in it, whatever the membership's commune.
    if not in_organisation(membership):
        return 404
    return 200 if role in reports_permissions.TRIAGE_ROLES else 403


def budget_page_expected(commune_code: str | None) -> Callable[[str, str], int]:
    """A budget's staff page: managers whose membership covers the budget; 404 for anyone else."""

    def expected(role: str, membership: str) -> int:
        covered = in_organisation(membership) and (
            membership == "organisation_wide" or (commune_code is not None and sees(membership, commune_code))
        )
        return 200 if covered and role in participation_permissions.MANAGE_ROLES else 404

    return expected


def queue_expected(scope: str) -> Callable[[str, str], int]:
    def expected(role: str, membership: str) -> int:
        if scope == ORG:
            return 200 if in_organisation(membership) else 404
        return 200 if sees(membership, scope) else 404

    return expected


def queue_url(scope: str) -> Callable[[dict[str, Any]], str]:
    return lambda objects: reverse("reports-queue", args=[scope])


PLACE_ACTIONS = [
    *(
        PlaceAction(f"queue {scope}", queue_url(scope), queue_expected(scope))
        for scope in (ORG, ALPHA, BETA_CODE)
    ),
    PlaceAction("rounds", lambda o: reverse("reports-rounds", args=[ORG]), rounds_expected),
    PlaceAction(
        "round", lambda o: reverse("reports-round", args=[ORG, o["round"].public_id]), rounds_expected
    ),
    PlaceAction(
        "round trace",
        lambda o: reverse("reports-round-geojson", args=[ORG, o["round"].public_id]),
        rounds_expected,
    ),
    PlaceAction(
        "budget page",
        lambda o: reverse("participation-staff-budget", args=[ORG, o["budget"].public_id]),
        budget_page_expected(None),
    ),
    PlaceAction(
        "budget page (Alpha)",
        lambda o: reverse("participation-staff-budget", args=[ORG, o["alpha_budget"].public_id]),
        budget_page_expected(ALPHA),
    ),
    # A POST naming no envelope: refused as a bad request by a manager (nothing computed),
    # not found for anyone else.
    PlaceAction(
        "budget page POST",
        lambda o: reverse("participation-staff-budget", args=[ORG, o["budget"].public_id]),
        lambda role, membership: {200: 400, 404: 404}[budget_page_expected(None)(role, membership)],
        data={"envelope": "inconnue"},
    ),
]


@pytest.fixture
def place_objects(territory: Territory, commune: Commune) -> dict[str, Any]:  # noqa: F811 (fixture)
    planned = Round.objects.create(
        crew=territory.crew, date="2026-05-04", shift_minutes=420, distance_m=1000, baseline_distance_m=1200
    )
    budget = make_budget(territory.organisation)
    alpha_budget = make_budget(territory.organisation, commune=commune)
    return {"round": planned, "budget": budget, "alpha_budget": alpha_budget}


@staff_matrix
def test_place_pages(member: Client, place_objects: dict[str, Any], role: str, membership: str) -> None:
    for action in PLACE_ACTIONS:
        url = action.url(place_objects)
        response = member.get(url) if action.data is None else member.post(url, action.data)
        assert response.status_code == action.expected(role, membership), (action.name, response.status_code)


@staff_matrix
def test_planning_a_round(
    member: Client,
    territory: Territory,  # noqa: F811 (fixture)
    make_report: Callable[..., Report],  # noqa: F811 (fixture)
    role: str,
    membership: str,
) -> None:
    reports_services.assign_crew(make_report(ALPHA_SUD), territory.crew, actor=superuser())
    response = member.post(
        reverse("reports-rounds", args=[ORG]), {"crew": str(territory.crew.pk), "date": "2026-05-04"}
    )
    expected = rounds_expected(role, membership)
    assert response.status_code == (302 if expected == 200 else expected)
    assert Round.objects.exists() is (expected == 200)


# --- Another organisation's object at this organisation's address ---------------------------------


@dataclass(frozen=True)
class Elsewhere:
    """An object of the other organisation, asked for at an address of the organisation."""

    name: str
    url: Callable[[dict[str, Any]], str]
    staff: bool = False  # a staff page: an anonymous visitor is sent to the sign-in first


@pytest.fixture
def foreign_objects(territory: Territory, other_organisation: Organisation) -> dict[str, Any]:  # noqa: F811
    delta = Commune.objects.get(insee_code="99201")
    budget = make_budget(other_organisation)
    consultation = consultation_services.create_consultation(
        other_organisation,
        title="Ailleurs",
        opens_at=budget.created_at,
        closes_at=budget.created_at.replace(year=budget.created_at.year + 1),
    )
    report_of_other = Report.objects.create(
        organisation=other_organisation,
        commune=delta,
        category=territory.voirie,
        status=reports_services.initial_status(other_organisation),
        description="Ailleurs",
    )
    return {"budget": budget, "consultation": consultation, "report": report_of_other}


def _proposal(budget: ParticipatoryBudget) -> Any:
    return budget.proposals.order_by("pk")[0].public_id


ELSEWHERE = [
    Elsewhere("budget", lambda o: reverse("participation-budget", args=[ORG, o["budget"].public_id])),
    Elsewhere("proposals", lambda o: reverse("participation-proposals", args=[ORG, o["budget"].public_id])),
    Elsewhere("results", lambda o: reverse("participation-results", args=[ORG, o["budget"].public_id])),
    Elsewhere("proposal", lambda o: reverse("participation-proposal", args=[ORG, _proposal(o["budget"])])),
    Elsewhere(
        "ballot", lambda o: reverse("participation-ballot", args=[ORG, o["budget"].public_id, "global"])
    ),
    Elsewhere(
        "ballot receipt",
        lambda o: reverse("participation-receipt", args=[ORG, o["budget"].public_id, "global"]),
    ),
    Elsewhere(
        "budget staff page",
        lambda o: reverse("participation-staff-budget", args=[ORG, o["budget"].public_id]),
        staff=True,
    ),
    Elsewhere(
        "consultation",
        lambda o: reverse("participation-consultation", args=[ORG, o["consultation"].public_id]),
    ),
    Elsewhere(
        "consultation results",
        lambda o: reverse("participation-consultation-results", args=[ORG, o["consultation"].public_id]),
    ),
    Elsewhere("report", lambda o: reverse("reports-detail", args=[ORG, o["report"].public_id])),
    Elsewhere(
        "report file", lambda o: reverse("reports-manage", args=[ORG, o["report"].public_id]), staff=True
    ),
    Elsewhere("api budget", lambda o: f"/api/v1/organisations/{ORG}/budgets/{o['budget'].public_id}"),
    Elsewhere(
        "api proposals", lambda o: f"/api/v1/organisations/{ORG}/budgets/{o['budget'].public_id}/proposals"
    ),
    Elsewhere(
        "api results", lambda o: f"/api/v1/organisations/{ORG}/budgets/{o['budget'].public_id}/results"
    ),
    Elsewhere(
        "api consultation results",
        lambda o: f"/api/v1/organisations/{ORG}/consultations/{o['consultation'].public_id}/results",
    ),
]


@pytest.mark.parametrize("who", ["anonymous", "organisation_admin", "other_admin"])
def test_another_organisations_objects_are_not_found_here(
    client: Client,
    foreign_objects: dict[str, Any],
    territory: Territory,  # noqa: F811 (fixture)
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
    who: str,
) -> None:
    if who == "organisation_admin":
        client.force_login(make_staff(territory.organisation, Role.ADMINISTRATEUR))
    elif who == "other_admin":
        # Even the other organisation's own administrator: the object is not at this address.
        client.force_login(make_staff(other_organisation, Role.ADMINISTRATEUR))
    for row in ELSEWHERE:
        response = client.get(row.url(foreign_objects))
        if row.staff and who == "anonymous":
            assert response.status_code == 302, row.name
            assert response["Location"].startswith("/admin/login/?next="), row.name
        else:
            assert response.status_code == 404, (row.name, response.status_code)


# --- The modules' API with tokens ------------------------------------------------------------------

TOKENS = [
    "none",
    "organisation_read",
    "organisation_write",
    "commune_alpha",
    "other_organisation",
    "roadmap_only",
]


@dataclass(frozen=True)
class ApiRead:
    """A read of the API and the module its token must open (``TokenAuth``'s label)."""

    name: str
    url: Callable[[dict[str, Any]], str]
    module: str
    # The status for a token of the organisation, of another one and with none (public data: 200).
    expected: Callable[[str], int] = lambda token: 200


def _internal_definition_expected(token: str) -> int:
    # The organisation's own internal indicator: known to its integrations only.
    return 200 if token in {"organisation_read", "organisation_write", "commune_alpha"} else 404


API_READS = [
    ApiRead("organisations", lambda o: "/api/v1/organisations", "territory"),
    ApiRead("organisation", lambda o: f"/api/v1/organisations/{ORG}", "territory"),
    ApiRead("communes", lambda o: "/api/v1/communes", "territory"),
    ApiRead("commune", lambda o: f"/api/v1/communes/{ALPHA}", "territory"),
    ApiRead("zones", lambda o: "/api/v1/zones", "territory"),
    ApiRead("axes", lambda o: f"/api/v1/organisations/{ORG}/axes", "roadmap"),
    ApiRead("objectives", lambda o: f"/api/v1/organisations/{ORG}/objectives", "roadmap"),
    ApiRead("projects", lambda o: f"/api/v1/organisations/{ORG}/projects", "roadmap"),
    ApiRead("indicators", lambda o: "/api/v1/indicators", "indicators"),
    ApiRead(
        "internal indicator",
        lambda o: f"/api/v1/indicators/{o['internal'].code}",
        "indicators",
        _internal_definition_expected,
    ),
    ApiRead("measurements", lambda o: "/api/v1/measurements", "indicators"),
    ApiRead("budgets", lambda o: f"/api/v1/organisations/{ORG}/budgets", "participation"),
    ApiRead(
        "budget", lambda o: f"/api/v1/organisations/{ORG}/budgets/{o['budget'].public_id}", "participation"
    ),
    ApiRead(
        "proposals",
        lambda o: f"/api/v1/organisations/{ORG}/budgets/{o['budget'].public_id}/proposals",
        "participation",
    ),
    ApiRead(
        "results",
        lambda o: f"/api/v1/organisations/{ORG}/budgets/{o['budget'].public_id}/results",
        "participation",
    ),
    ApiRead("consultations", lambda o: f"/api/v1/organisations/{ORG}/consultations", "participation"),
]


@pytest.fixture
def api_objects(organisation: Organisation) -> dict[str, Any]:
    internal = IndicatorDefinition.objects.create(
        code="essais.interne",
        name="Indicateur interne des Essais",
        unit="nombre",
        direction=Direction.HIGHER_IS_BETTER,
        method="Compté à la main.",
        organisation=organisation,
        visibility=Visibility.INTERNAL,
    )
    return {"internal": internal, "budget": make_budget(organisation)}


def bearer(
    token: str, organisation: Organisation, other_organisation: Organisation, make_token: Callable[..., str]
) -> dict[str, Any]:
    if token == "none":
        return {}
    alpha = Commune.objects.get(insee_code=ALPHA)
    raw = {
        "organisation_read": lambda: make_token(organisation, write=False),
        "organisation_write": lambda: make_token(organisation, write=True),
        "commune_alpha": lambda: make_token(organisation, write=False, commune=alpha),
        "other_organisation": lambda: make_token(other_organisation, write=True),
        "roadmap_only": lambda: make_token(organisation, write=False, modules=["roadmap"]),
    }[token]()
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("token", TOKENS)
def test_api_reads(
    client: Client,
    api_objects: dict[str, Any],
    organisation: Organisation,
    other_organisation: Organisation,
    make_token: Callable[..., str],
    token: str,
) -> None:
    headers = bearer(token, organisation, other_organisation, make_token)
    for row in API_READS:
        if token == "roadmap_only" and row.module != "roadmap":
            # A token limited to a module is refused elsewhere, naming the module.
            expected = 403
        elif token == "roadmap_only":
            expected = row.expected("organisation_read")
        else:
            expected = row.expected(token)
        response = client.get(row.url(api_objects), **headers)
        assert response.status_code == expected, (row.name, response.status_code, response.content[:200])


# --- The back-office: every registered model, every role ------------------------------------------

EVERY_ROLE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
AUDIT_ROLES = frozenset({Role.ADMINISTRATEUR, Role.DPO, Role.RSSI})
CONFIGURE_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET})
MANAGE_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET, Role.AGENT})


@dataclass(frozen=True)
class AdminPage:
    """Who lists a model in the back-office and who may add one (organisation-wide members:
    a commune membership never adds; it lists what it lists unless ``list_org_wide_only``)."""

    list_roles: frozenset[str]
    add_roles: frozenset[str] = NOBODY
    list_org_wide_only: bool = False


HIDDEN = AdminPage(NOBODY)  # the superuser's only
READ_ONLY = AdminPage(EVERY_ROLE)  # records written by the services, read in the back-office
CONFIGURED = AdminPage(EVERY_ROLE, CONFIGURE_ROLES)
# Records of the organisation itself (no commune of their own): organisation-wide members only.
OWN_READ_ONLY = AdminPage(EVERY_ROLE, list_org_wide_only=True)
OWN_CONFIGURED = AdminPage(EVERY_ROLE, CONFIGURE_ROLES, list_org_wide_only=True)
MANAGED = AdminPage(EVERY_ROLE, MANAGE_ROLES)

# Every model of the admin site; a module adds its models here (a missing one fails below).
ADMIN_PAGES: dict[str, AdminPage] = {
    "auth.group": HIDDEN,
    "auth.user": HIDDEN,
    "axes.accessattempt": HIDDEN,
    "axes.accessfailurelog": HIDDEN,
    "axes.accesslog": HIDDEN,
    "django_tasks_database.dbtaskresult": HIDDEN,
    "otp_static.staticdevice": HIDDEN,
    "otp_totp.totpdevice": HIDDEN,
    "core.auditevent": AdminPage(AUDIT_ROLES, list_org_wide_only=True),
    "api.apitoken": READ_ONLY,
    "territory.organisation": OWN_READ_ONLY,
    "legal.sitenotice": OWN_CONFIGURED,
    "territory.commune": CONFIGURED,
    "territory.zone": CONFIGURED,
    "territory.membership": AdminPage(EVERY_ROLE, frozenset({Role.ADMINISTRATEUR})),
    "indicators.indicatordefinition": CONFIGURED,
    "indicators.target": CONFIGURED,
    "indicators.measurement": READ_ONLY,
    "roadmap.axis": OWN_CONFIGURED,
    "roadmap.objective": OWN_CONFIGURED,
    "roadmap.risk": OWN_CONFIGURED,
    "roadmap.partner": OWN_CONFIGURED,
    "roadmap.project": CONFIGURED,
    "roadmap.decision": OWN_CONFIGURED,
    "roadmap.fundingline": CONFIGURED,
    "reports.servicecategory": OWN_CONFIGURED,
    "reports.reportstatus": OWN_CONFIGURED,
    "reports.crew": OWN_CONFIGURED,
    "reports.open311apikey": HIDDEN,
    "reports.report": READ_ONLY,
    "reports.round": OWN_READ_ONLY,
    "participation.referencepopulation": MANAGED,
    "participation.consultation": MANAGED,
    "participation.question": MANAGED,
    "participation.answer": READ_ONLY,
    "participation.participatorybudget": MANAGED,
    "participation.proposal": MANAGED,
    "participation.ballot": READ_ONLY,
    "participation.result": READ_ONLY,
    "participation.abusereport": READ_ONLY,
}


def registered_models() -> dict[str, type[Any]]:
    return {
        f"{model._meta.app_label}.{model._meta.model_name}": model
        for model in apps.get_models()
        if admin.site.is_registered(model)
    }


def test_every_admin_model_has_a_row() -> None:
    missing = sorted(set(registered_models()) - set(ADMIN_PAGES))
    assert not missing, f"add these models to ADMIN_PAGES: {missing}"


@pytest.mark.parametrize("membership", ["organisation_wide", "commune_alpha"])
@pytest.mark.parametrize("role", ROLES)
def test_admin_pages(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], role: str, membership: str
) -> None:
    commune = Commune.objects.get(insee_code=ALPHA) if membership == "commune_alpha" else None
    client.force_login(make_staff(organisation, role, commune))
    org_wide = membership == "organisation_wide"
    for label, model in registered_models().items():
        page = ADMIN_PAGES[label]
        lists = role in page.list_roles and (org_wide or not page.list_org_wide_only)
        adds = role in page.add_roles and org_wide
        app_label, model_name = model._meta.app_label, model._meta.model_name
        listing = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
        assert listing.status_code == (200 if lists else 403), (label, "list", listing.status_code)
        adding = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
        assert adding.status_code == (200 if adds else 403), (label, "add", adding.status_code)


# Another organisation's record in the back-office: answered exactly as a record that does not
# exist, 404 (``test_rights_matrix_admin.py`` covers every model, commune by commune). One row per model that a
# member lists; ``roadmap.project`` and ``participation.proposal`` have theirs elsewhere.
FOREIGN_RECORDS: dict[str, Callable[[Organisation, Territory], Any]] = {
    "territory.commune": lambda other, t: Commune.objects.get(insee_code="99201"),
    "api.apitoken": lambda other, t: ApiToken.issue(name="Voisine", organisation=other)[0],
    "reports.crew": lambda other, t: reports_services.save_crew(
        organisation=other, name="Ailleurs", depot_lat=47.0, depot_lon=2.0
    ),
    "reports.servicecategory": lambda other, t: reports_services.save_category(
        organisation=other, service_code="ailleurs", name="Ailleurs"
    ),
    "participation.participatorybudget": lambda other, t: make_budget(other),
    "legal.sitenotice": lambda other, t: SiteNotice.objects.create(organisation=other),
    "participation.consultation": lambda other, t: consultation_services.create_consultation(
        other,
        title="Ailleurs",
        opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        closes_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    ),
}


@pytest.mark.parametrize("label", list(FOREIGN_RECORDS))
def test_admin_records_of_another_organisation_are_not_found(
    client: Client,
    territory: Territory,  # noqa: F811 (fixture)
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
    label: str,
) -> None:
    client.force_login(make_staff(territory.organisation, Role.ADMINISTRATEUR))
    record = FOREIGN_RECORDS[label](other_organisation, territory)
    app_label, model_name = label.split(".")
    model = type(record)
    missing_pk = model.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    foreign = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[record.pk]))
    missing = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[missing_pk]))
    assert foreign.status_code == missing.status_code == 404
    listing = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert listing.status_code == 200
    assert f"/{record.pk}/change/" not in listing.content.decode()
