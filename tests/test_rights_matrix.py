"""The rights matrix: every role × membership scope × target, through pages, exports, admin and API.

The rules under test are those of ``territory.access``: internal data are visible to the members
whose membership covers the scope (organisation-wide covers the organisation scope and all its
communes; a commune membership covers that commune only); the write roles are admin, chef_projet,
agent, dpo and rssi; the roadmap is edited by admin and chef_projet organisation-wide; whatever is
out of reach answers 404, not 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from territoire.indicators.models import Measurement
from territoire.roadmap.models import Project
from territoire.roadmap.tests.helpers import make_project, record
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

ORG, OTHER_ORG = "200000001", "200000002"
ALPHA, BETA, DELTA = "99101", "99102", "99201"
INTERNAL = "cyber.incidents"
WRITABLE = "services.taux_usage"

ROLES = [role.value for role in Role]
WRITE_ROLES = {Role.ADMINISTRATEUR, Role.CHEF_PROJET, Role.AGENT, Role.DPO, Role.RSSI}
EDIT_ROADMAP_ROLES = {Role.ADMINISTRATEUR, Role.CHEF_PROJET}
MEMBERSHIPS = ["organisation_wide", "commune_alpha"]
TARGETS = {
    "own_commune": ALPHA,
    "other_commune": BETA,
    "other_organisation": DELTA,
    "organisation": ORG,
}
ORGANISATION_OF = {ALPHA: ORG, BETA: ORG, ORG: ORG, DELTA: OTHER_ORG}
FIGURE = {"period_start": "2026-01-01", "period_end": "2026-01-31", "value": "42,5", "note": ""}
FORM_FIGURE = {"year": "2026", "month": "1", "value": "42,5", "note": ""}

MakeStaff = Callable[..., Any]
MakeToken = Callable[..., str]


def covers(membership: str, scope_code: str) -> bool:
    """The expected rule: what a membership of the ``organisation`` fixture covers."""
    if membership == "organisation_wide":
        return ORGANISATION_OF[scope_code] == ORG
    return scope_code == ALPHA


@pytest.fixture
def world(organisation: Organisation, other_organisation: Organisation) -> dict[str, Project]:
    """Internal figures on every target scope and one project per organisation."""
    for scope_code in (ALPHA, BETA, DELTA, ORG):
        record(INTERNAL, scope_code, [3, 2])
    return {
        ORG: make_project(organisation, "Projet des Essais"),
        OTHER_ORG: make_project(other_organisation, "Projet de la Voisine"),
    }


@pytest.fixture
def member(
    client: Client, world: dict[str, Project], make_staff: MakeStaff, request: pytest.FixtureRequest
) -> Client:
    """The client signed in as a member of ``organisation`` with the test's role and membership."""
    role, membership = request.node.callspec.params["role"], request.node.callspec.params["membership"]
    organisation = Organisation.objects.get(siren=ORG)
    commune = Commune.objects.get(insee_code=ALPHA) if membership == "commune_alpha" else None
    client.force_login(make_staff(organisation, role, commune))
    return client


def text(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_file(scope_code: str) -> SimpleUploadedFile:
    body = (
        f"indicator,scope,period_start,period_end,value\n{WRITABLE},{scope_code},2026-01-01,2026-01-31,40\n"
    )
    return SimpleUploadedFile("figures.csv", body.encode(), content_type="text/csv")


def written(scope_code: str) -> bool:
    return Measurement.objects.filter(indicator__code=WRITABLE, scope__code=scope_code).exists()


matrix = pytest.mark.parametrize(
    ("role", "membership", "target"),
    [(r, m, t) for r in ROLES for m in MEMBERSHIPS for t in TARGETS],
)


# --- Pages and exports -----------------------------------------------------------------------


@pytest.mark.parametrize("target", list(TARGETS))
def test_anonymous_sees_no_internal_figure(client: Client, world: dict[str, Project], target: str) -> None:
    scope = TARGETS[target]
    assert INTERNAL not in text(client.get(f"/t/{scope}/"))
    base = f"/t/{scope}/indicateurs/{INTERNAL}"
    for url in (f"{base}/", f"{base}.csv", f"{base}.json", f"{base}/tableur.csv"):
        assert client.get(url).status_code == 404, url
    # The bulk files hold public indicators only.
    for url in (f"/t/{scope}/indicateurs.csv", f"/t/{scope}/indicateurs-tableur.csv"):
        bulk = client.get(url)
        assert bulk.status_code == 200, url
        assert INTERNAL not in text(bulk), url
    response = client.get(f"/t/{ORGANISATION_OF[scope]}/risques/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@matrix
def test_internal_pages_and_exports(member: Client, role: str, membership: str, target: str) -> None:
    scope = TARGETS[target]
    visible = covers(membership, scope)
    home = member.get(f"/t/{scope}/")
    assert home.status_code == 200
    assert (INTERNAL in text(home)) is visible
    base = f"/t/{scope}/indicateurs/{INTERNAL}"
    expected = 200 if visible else 404
    page = member.get(f"{base}/")
    assert page.status_code == expected
    export = member.get(f"{base}.csv")
    assert export.status_code == expected
    document = member.get(f"{base}.json")
    assert document.status_code == expected
    spreadsheet = member.get(f"{base}/tableur.csv")
    assert spreadsheet.status_code == expected
    if visible:
        assert scope in text(export)
        assert scope in text(spreadsheet)
        assert json.loads(document.content)
    # The bulk files are public: no internal indicator, whoever asks.
    for url in (f"/t/{scope}/indicateurs.csv", f"/t/{scope}/indicateurs-tableur.csv"):
        bulk = member.get(url)
        assert bulk.status_code == 200, url
        assert INTERNAL not in text(bulk), url
    # The risk register is the organisation's own: organisation-wide members only.
    risks = member.get(f"/t/{ORGANISATION_OF[scope]}/risques/")
    assert risks.status_code == (200 if covers(membership, ORG) and ORGANISATION_OF[scope] == ORG else 404)


# --- Writing figures: by hand and by CSV ------------------------------------------------------


@matrix
def test_record_figure(member: Client, role: str, membership: str, target: str) -> None:
    scope = TARGETS[target]
    url = f"/t/{scope}/indicateurs/{WRITABLE}/saisir/"
    allowed = role in WRITE_ROLES and covers(membership, scope)
    form = member.get(url)
    response = member.post(url, FORM_FIGURE)
    if allowed:
        assert form.status_code == 200
        assert response.status_code == 302
        assert written(scope)
    else:
        # A member of the organisation is told that they may not (403, in words); another
        # tenant's page is unknown (404).
        expected = 403 if ORGANISATION_OF[scope] == ORG else 404
        assert form.status_code == expected
        assert response.status_code == expected
        assert not Measurement.objects.filter(indicator__code=WRITABLE).exists()


@matrix
def test_csv_import(member: Client, role: str, membership: str, target: str) -> None:
    scope = TARGETS[target]
    allowed = role in WRITE_ROLES and covers(membership, scope)
    before = Measurement.objects.count()
    response = member.post(f"/t/{ORG}/importer/", {"file": csv_file(scope)})
    if allowed:
        assert response.status_code == 200
        pending = response.context["pending"]
        assert not written(scope)
        confirmed = member.post(f"/t/{ORG}/importer/{pending.public_id}/confirmer/")
        assert confirmed.status_code == 302
        assert written(scope)
        return
    if role not in WRITE_ROLES:
        # Not offered, and told so in words when asked.
        assert response.status_code == 403
        assert "Action non autorisée" in text(response)
    elif ORGANISATION_OF[scope] == ORG:
        assert response.status_code == 422
        assert "pas le droit d&#x27;enregistrer des valeurs pour" in text(response)
    else:
        assert response.status_code == 422
        assert "périmètre inconnu" in text(response)
    assert Measurement.objects.count() == before


@pytest.mark.parametrize(("role", "membership"), [(r, m) for r in ROLES for m in MEMBERSHIPS])
def test_staff_links_offered_match_the_rights(member: Client, role: str, membership: str) -> None:
    """The menu and the staff home offer an action only to those who may take it."""
    for url in (f"/t/{ORG}/", "/espace/"):
        page = text(member.get(url))
        assert (f'href="/t/{ORG}/importer/"' in page) is (role in WRITE_ROLES), url
        assert (f'href="/t/{ORG}/risques/"' in page) is (membership == "organisation_wide"), url
    assert member.get("/espace/").status_code == 200
    template = member.get(f"/t/{ORG}/importer/modele.csv")
    assert template.status_code == (200 if role in WRITE_ROLES else 403)
    if role in WRITE_ROLES:
        body = text(template)
        assert (ORG in body) is (membership == "organisation_wide")
        assert (BETA in body) is (membership == "organisation_wide")
        assert DELTA not in body


def test_another_tenants_staff_get_404_on_import_pages(
    client: Client, world: dict[str, Project], make_staff: MakeStaff
) -> None:
    client.force_login(make_staff(Organisation.objects.get(siren=OTHER_ORG), Role.ADMINISTRATEUR))
    for url in (f"/t/{ORG}/importer/", f"/t/{ORG}/importer/modele.csv"):
        assert client.get(url).status_code == 404, url


# --- The back-office -------------------------------------------------------------------------


def admin_form_data(response: Any) -> dict[str, Any]:
    """The POST data of an admin change form as it stands (inlines left empty)."""
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        assert not inline.formset.initial_forms
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


@pytest.mark.parametrize(("role", "membership"), [(r, m) for r in ROLES for m in MEMBERSHIPS])
def test_admin_projects(member: Client, world: dict[str, Project], role: str, membership: str) -> None:
    own, foreign = world[ORG], world[OTHER_ORG]  # projects of the organisation itself (no commune)
    org_wide = membership == "organisation_wide"
    listing = member.get("/admin/roadmap/project/")
    assert listing.status_code == 200
    assert (own.title in text(listing)) is org_wide
    assert foreign.title not in text(listing)

    # Another organisation's project is out of reach: the admin answers 404, exactly as for a
    # project that does not exist, on GET and POST alike, and nothing changes.
    url = f"/admin/roadmap/project/{foreign.pk}/change/"
    missing = f"/admin/roadmap/project/{Project.objects.order_by('-pk')[0].pk + 1000}/change/"
    assert member.get(url).status_code == member.get(missing).status_code == 404
    assert member.post(url, {"title": "Détourné"}).status_code == 404
    assert member.post(missing, {"title": "Détourné"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.title == "Projet de la Voisine"

    url = f"/admin/roadmap/project/{own.pk}/change/"
    page = member.get(url)
    assert page.status_code == (200 if org_wide else 404)
    if role in EDIT_ROADMAP_ROLES and org_wide:
        response = member.post(url, {**admin_form_data(page), "title_fr": "Projet renommé"})
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        own.refresh_from_db()
        assert own.title == "Projet renommé"
    else:
        assert member.post(url, {"title": "Projet renommé"}).status_code == (403 if org_wide else 404)
        own.refresh_from_db()
        assert own.title == "Projet des Essais"


# --- The API with tokens ---------------------------------------------------------------------

TOKENS = ["organisation_wide", "commune_alpha"]


def token_for(make_token: MakeToken, token_scope: str, *, write: bool) -> str:
    organisation = Organisation.objects.get(siren=ORG)
    commune = Commune.objects.get(insee_code=ALPHA) if token_scope == "commune_alpha" else None
    return make_token(organisation, write=write, commune=commune)


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("token_scope", TOKENS)
def test_api_reads_internal_figures_of_covered_scopes_only(
    client: Client,
    world: dict[str, Project],
    make_token: MakeToken,
    token_scope: str,
    write: bool,
    target: str,
) -> None:
    raw = token_for(make_token, token_scope, write=write)
    scope = TARGETS[target]
    response = client.get(
        f"/api/v1/measurements?indicator={INTERNAL}&scope={scope}", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200
    scopes = {row["scope"] for row in response.json()["results"]}
    assert scopes == ({scope} if covers(token_scope, scope) else set())


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("token_scope", TOKENS)
def test_api_writes_figures_of_covered_scopes_only(
    client: Client,
    world: dict[str, Project],
    make_token: MakeToken,
    token_scope: str,
    write: bool,
    target: str,
) -> None:
    raw = token_for(make_token, token_scope, write=write)
    scope = TARGETS[target]
    payload = {"measurements": [{"indicator": WRITABLE, "scope": scope, **FIGURE}]}
    response = client.post(
        "/api/v1/measurements",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    if not write:
        assert response.status_code == 403
    elif covers(token_scope, scope):
        assert response.status_code == 201, response.content
        assert written(scope)
        return
    else:
        assert response.status_code == 422
        # Out of the token's reach reads as unknown, whatever the scope (no 403 hint).
        assert [e["field"] for e in response.json()["errors"]] == ["measurements.0.scope"]
    assert not Measurement.objects.filter(indicator__code=WRITABLE).exists()
