"""GET /api/v1/organisations/{siren}/axes, /objectives, /projects; no personal data."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from territoire.api.tests.helpers import API, add_zones, count_queries, get, make_project
from territoire.roadmap.models import ProjectStatus
from territoire.roadmap.template import AXES
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

ORG = "/organisations/200000001"


def test_axes_in_order(client: Client, organisation: Organisation) -> None:
    status, body = get(client, f"{ORG}/axes")
    assert status == 200
    assert [a["code"] for a in body] == [spec.code for spec in AXES]
    assert body[0] == {
        "code": "connectivite",
        "name": "Connectivité et réseaux",
        "description": "",
        "position": 1,
    }


def test_objectives_with_their_public_indicators(client: Client, organisation: Organisation) -> None:
    status, body = get(client, f"{ORG}/objectives")
    assert status == 200
    assert len(body) == 6
    cyber = next(o for o in body if o["axis"] == "cybersecurite")
    assert cyber["title"] == "Plan SOC mutualisé et PRA testés"
    assert cyber["deadline"] == "2026-12-31"
    assert len(cyber["id"]) == 36  # the public UUID, not the database key
    # The internal indicator of the axis is not named to the public.
    assert cyber["indicators"] == ["cyber.audits_conformes", "cyber.taux_mfa", "cyber.temps_retablissement"]


def test_objectives_name_internal_indicators_to_the_organisations_integration(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_token: Callable[..., str],
) -> None:
    own = make_token(organisation, write=False)
    _, body = get(client, f"{ORG}/objectives?axis=cybersecurite", HTTP_AUTHORIZATION=f"Bearer {own}")
    assert "cyber.incidents" in body[0]["indicators"]
    foreign = make_token(other_organisation, write=False)
    _, body = get(client, f"{ORG}/objectives?axis=cybersecurite", HTTP_AUTHORIZATION=f"Bearer {foreign}")
    assert "cyber.incidents" not in body[0]["indicators"]


def test_objectives_filtered_by_axis(client: Client, organisation: Organisation) -> None:
    _, body = get(client, f"{ORG}/objectives?axis=durable")
    assert [o["axis"] for o in body] == ["durable"]
    assert get(client, f"{ORG}/objectives?axis=nope")[1] == []


def test_projects(client: Client, organisation: Organisation, commune: Commune) -> None:
    make_project(
        organisation,
        "Inscriptions en ligne",
        value_score=5,
        complexity_score=1,
        cost=Decimal("45000.50"),
        spent=Decimal(12_000),
        progress=30,
        status=ProjectStatus.IN_PROGRESS,
        sponsor="Vice-présidente au numérique",
        commune=commune,
        target_year=2026,
        target_quarter=3,
    )
    status, body = get(client, f"{ORG}/projects")
    assert status == 200
    assert body["count"] == 1
    project = body["results"][0]
    assert project["title"] == "Inscriptions en ligne"
    assert project["axis"] == "services"
    assert project["commune"] == "99101"
    assert project["quadrant"] == "quick_win"
    assert Decimal(project["cost"]) == Decimal("45000.50")
    assert Decimal(project["spent"]) == Decimal(12_000)
    assert project["target_quarter"] == "2026-Q3"
    assert project["status"] == "in_progress"
    assert project["progress"] == 30
    assert "product_owner" not in project


def test_projects_filters_and_pagination(client: Client, organisation: Organisation) -> None:
    make_project(organisation, "A", status=ProjectStatus.DONE)
    make_project(organisation, "B", axis_code="durable")
    make_project(organisation, "C")
    _, done = get(client, f"{ORG}/projects?status=done")
    assert [p["title"] for p in done["results"]] == ["A"]
    _, durable = get(client, f"{ORG}/projects?axis=durable")
    assert [p["title"] for p in durable["results"]] == ["B"]
    _, page = get(client, f"{ORG}/projects?page_size=2&page=2")
    assert [p["title"] for p in page["results"]] == ["C"]
    assert page["count"] == 3


def test_unknown_project_status_is_422(client: Client, organisation: Organisation) -> None:
    status, body = get(client, f"{ORG}/projects?status=finished")
    assert status == 422
    assert body["errors"][0]["field"] == "status"


def test_another_organisations_projects_are_not_listed(
    client: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    make_project(other_organisation, "Projet voisin")
    assert get(client, f"{ORG}/projects")[1]["count"] == 0
    assert get(client, "/organisations/200000002/projects")[1]["count"] == 1


@pytest.mark.parametrize("suffix", ["axes", "objectives", "projects"])
def test_unknown_organisation_is_a_json_404(client: Client, organisation: Organisation, suffix: str) -> None:
    status, body = get(client, f"/organisations/999999999/{suffix}")
    assert status == 404
    assert body["errors"][0]["field"] == "siren"


def test_list_queries_do_not_grow_with_projects(client: Client, organisation: Organisation) -> None:
    paths = [f"{ORG}/projects", f"{ORG}/objectives", f"{ORG}/axes"]

    def queries() -> dict[str, int]:
        return {path: count_queries(lambda path=path: client.get(f"{API}{path}")) for path in paths}

    make_project(organisation, "P0")
    few = queries()
    communes = list(organisation.communes.all())
    for i in range(1, 15):
        make_project(organisation, f"P{i}", commune=communes[i % 3], axis_code=AXES[i % 6].code)
    assert get(client, f"{ORG}/projects")[1]["count"] == 15
    assert queries() == few


# --- No personal data --------------------------------------------------------------------


def test_no_personal_data_in_any_list_response(
    client: Client,
    organisation: Organisation,
    commune: Commune,
    make_staff: Callable[..., Any],
    make_token: Callable[..., str],
) -> None:
    staff = [
        make_staff(organisation, Role.CHEF_PROJET),
        make_staff(organisation, Role.ELU),
        make_staff(organisation, Role.AGENT, commune=commune),
    ]
    for person in staff:
        person.first_name = f"Dominique{person.pk}"
        person.save()
    make_project(organisation, "Portail", product_owner=staff[0], sponsor="Élu référent du numérique")
    add_zones(commune, ["Centre"])
    token = make_token(organisation, write=False)
    paths = [
        "/organisations",
        "/organisations/200000001",
        "/communes",
        "/communes/99101",
        "/zones",
        f"{ORG}/axes",
        f"{ORG}/objectives",
        f"{ORG}/projects",
        "/indicators",
        "/measurements",
    ]
    forbidden = [
        needle
        for person in staff
        for needle in (person.username, person.email, person.first_name, person.last_name)
    ]
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {token}"}):
        for path in paths:
            status, body = get(client, path, **headers)
            assert status == 200, path
            text = json.dumps(body, ensure_ascii=False)
            for needle in forbidden:
                assert needle not in text, (path, needle)
            assert "@" not in text, path
            assert "product_owner" not in text, path
