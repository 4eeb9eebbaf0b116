"""Rights matrix of the address endpoints and of rounds by place (issue 18, §3).

- The address search and nearest-address endpoints are public (open data of the BAN):
  the same answer, 200, for an anonymous visitor and for every role × membership, and
  nothing in it about a report or a person.
- A round shows only to a member who may see every report in it, and a commune's round
  only at that commune's pages: 404 otherwise (another commune's workload is not leaked).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from territoire.reports import permissions as reports_permissions
from territoire.reports import services as reports_services
from territoire.reports.models import Report, Round, RoundStop
from territoire.reports.tests.ban import ban  # noqa: F401 (fixture)
from territoire.reports.tests.conftest import (  # noqa: F401 (fixtures)
    ALPHA_SUD,
    BETA,
    Territory,
    make_report,
    territory,
)
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

ORG = "200000001"
ALPHA, BETA_CODE = "99101", "99102"
ROLES = [role.value for role in Role]
MEMBERSHIPS = ["organisation_wide", "commune_alpha", "other_organisation"]
staff_matrix = pytest.mark.parametrize(("role", "membership"), [(r, m) for r in ROLES for m in MEMBERSHIPS])


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
    role, membership = request.node.callspec.params["role"], request.node.callspec.params["membership"]
    if membership == "other_organisation":
        user = make_staff(other_organisation, role)
    else:
        commune = Commune.objects.get(insee_code=ALPHA) if membership == "commune_alpha" else None
        user = make_staff(territory.organisation, role, commune)
    client.force_login(user)
    return client


ADDRESS_URLS = [
    (reverse("reports-address-search", args=[scope]) + "?q=14+rue+des+ecoles", scope)
    for scope in (ORG, ALPHA)
] + [
    (reverse("reports-address-nearest", args=[scope]) + "?lat=47.0052&lon=2.0052", scope)
    for scope in (ORG, ALPHA)
]


@staff_matrix
def test_address_endpoints_are_public_and_the_same_for_everyone(
    member: Client,
    ban: Territory,  # noqa: F811 (fixture)
    make_report: Callable[..., Report],  # noqa: F811 (fixture)
    role: str,
    membership: str,
) -> None:
    make_report(
        ALPHA_SUD, email="habitant@example.org", address_string="14 rue des Écoles", phone="0600000000"
    )
    for url, _scope in ADDRESS_URLS:
        anonymous = Client().get(url)
        response = member.get(url)
        assert anonymous.status_code == response.status_code == 200, url
        assert response.json() == anonymous.json(), url
        body = response.content.decode()
        for personal in ("habitant@example.org", "0600000000", "Un trou"):
            assert personal not in body


def _round_with(territory: Territory, reports: list[Report], commune: Commune | None) -> Round:  # noqa: F811
    planned = Round.objects.create(
        crew=territory.crew,
        commune=commune,
        date="2026-05-04",
        shift_minutes=420,
        distance_m=1000,
        baseline_distance_m=1200,
    )
    RoundStop.objects.bulk_create(
        [RoundStop(round=planned, report=r, position=i, leg_m=100) for i, r in enumerate(reports, start=1)]
    )
    return planned


def triage(role: str) -> bool:
    return role in reports_permissions.TRIAGE_ROLES


@staff_matrix
def test_rounds_by_place(
    member: Client,
    territory: Territory,  # noqa: F811 (fixture)
    make_report: Callable[..., Report],  # noqa: F811 (fixture)
    role: str,
    membership: str,
) -> None:
    alpha_report, beta_report = make_report(ALPHA_SUD), make_report(BETA)
    wide = _round_with(territory, [alpha_report, beta_report], None)
    alpha_round = _round_with(territory, [alpha_report], territory.alpha)
    beta_round = _round_with(territory, [beta_report], territory.beta)
    in_org = membership != "other_organisation"
    organisation_wide = membership == "organisation_wide"

    def status(scope: str, planned: Round) -> int:
        covered = in_org and (organisation_wide or scope in (ORG, ALPHA))
        if not covered:
            return 404
        if not triage(role):
            return 403
        if scope == ORG:
            visible = organisation_wide or planned == alpha_round
        else:
            visible = planned.commune is not None and planned.commune.insee_code == scope
        return 200 if visible else 404

    for scope in (ORG, ALPHA, BETA_CODE):
        for planned in (wide, alpha_round, beta_round):
            for name in ("reports-round", "reports-round-geojson"):
                url = reverse(name, args=[scope, planned.public_id])
                assert member.get(url).status_code == status(scope, planned), (url, scope, planned.commune)


@staff_matrix
def test_planning_at_a_commune_page(
    member: Client,
    territory: Territory,  # noqa: F811 (fixture)
    make_report: Callable[..., Report],  # noqa: F811 (fixture)
    role: str,
    membership: str,
) -> None:
    admin = get_admin(territory)
    for point in (ALPHA_SUD, BETA):
        reports_services.assign_crew(make_report(point), territory.crew, actor=admin)
    response = member.post(
        reverse("reports-rounds", args=[ALPHA]), {"crew": str(territory.crew.pk), "date": "2026-05-04"}
    )
    if membership == "other_organisation":
        assert response.status_code == 404
    elif not triage(role):
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        planned = Round.objects.get()
        assert planned.commune == territory.alpha
        assert {s.report.commune.insee_code for s in planned.stops.select_related("report__commune")} == {
            ALPHA
        }


def get_admin(territory: Territory) -> Any:  # noqa: F811
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root-ban", "root@example.org", "x")
