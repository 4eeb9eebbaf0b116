"""The staff home: where a member of staff lands after signing in and the second factor,
with their organisations and only the actions their role allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from territoire.accounts.testing import StaffClient, totp_device, totp_now
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HOME = "/espace/"


def test_an_elu_signing_in_lands_on_the_staff_home_after_the_second_factor(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    elu = make_staff(organisation, Role.ELU)
    device = totp_device(elu)
    login = client.get("/admin/login/")
    assert f'name="next" value="{HOME}"' in login.content.decode()
    signed_in = client.post("/admin/login/", {"username": elu.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == HOME
    second_factor = client.get(HOME)
    assert second_factor.status_code == 302
    assert second_factor["Location"] == "/compte/double-authentification/verifier/?next=%2Fespace%2F"
    verified = client.post(second_factor["Location"], {"otp_token": totp_now(device), "next": HOME})
    assert verified["Location"] == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    text = page.content.decode()
    assert "CC des Essais" in text
    assert "Élu — toute l" in text
    assert f'href="/t/{organisation.siren}/"' in text  # the territory's dashboard
    assert f'href="/t/{organisation.siren}/risques/"' in text
    # Not offered what a read-only élu cannot do.
    assert "/importer/" not in text
    assert "Importer des valeurs" not in text


def test_a_commune_agent_is_offered_import_but_not_the_organisations_register(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation, Role.AGENT, Commune.objects.get(insee_code="99101")))
    text = client.get(HOME).content.decode()
    assert "Agent — Alpha" in text
    assert f'href="/t/{organisation.siren}/importer/"' in text
    assert "/risques/" not in text


def test_the_staff_home_lists_only_the_persons_organisations(
    client: StaffClient,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    client.force_login(make_staff(other_organisation, Role.ADMINISTRATEUR))
    text = client.get(HOME).content.decode()
    assert "CA Voisine" in text
    assert "CC des Essais" not in text
    assert f"/t/{organisation.siren}/" not in text


def test_without_any_role_the_page_says_so(client: StaffClient, organisation: Organisation) -> None:
    user = get_user_model().objects.create_user("sans-role", password=PASSWORD)
    client.force_login(user)
    page = client.get(HOME)
    assert page.status_code == 200
    assert "aucun rôle" in page.content.decode()


def test_anonymous_is_sent_to_sign_in(client: StaffClient) -> None:
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/espace/")


def test_in_english(client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    page = client.get("/en" + HOME)
    assert page.status_code == 200
    assert '<html lang="en">' in page.content.decode()
    assert 'href="/en/t/200000001/importer/"' in page.content.decode()


@pytest.mark.parametrize(("role", "rounds"), [(Role.AGENT, True), (Role.ELU, False), (Role.DPO, False)])
def test_the_modules_staff_pages_are_offered_by_role(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any], role: str, rounds: bool
) -> None:
    client.force_login(make_staff(organisation, role))
    text = client.get(HOME).content.decode()
    assert f'href="/t/{organisation.siren}/signalements/gestion/"' in text
    assert (f'href="/t/{organisation.siren}/signalements/gestion/tournees/"' in text) is rounds
    if not rounds:
        assert client.get(f"/t/{organisation.siren}/signalements/gestion/tournees/").status_code in (403, 404)
