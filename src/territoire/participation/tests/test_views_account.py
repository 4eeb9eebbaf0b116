"""Residents' accounts: sign-up, e-mail confirmation, sign-in and out, profile, census."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from territoire.participation.models import Participant
from territoire.participation.tests.test_views_budgets import PASSWORD, make_resident, make_zone, sign_in, url
from territoire.territory.models import Commune, Organisation

SIGNUP = url("participation-signup", "200000001")
LOGIN = url("participation-login", "200000001")
ACCOUNT = url("participation-account", "200000001")


def test_signup_sends_a_link_that_confirms_the_address(
    client: Client, commune: Commune, django_capture_on_commit_callbacks: Any
) -> None:
    page = client.get(SIGNUP).content.decode()
    assert "facultatif" in page
    assert "statistiques" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SIGNUP,
            {
                "email": "Nouvelle@Example.org",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "commune": commune.pk,
                "birth_year": "1990",
                "gender": "F",
            },
        )
    assert response.status_code == 302
    assert "messagerie" in client.get(response["Location"]).content.decode()
    participant = Participant.objects.get(user__email="nouvelle@example.org")
    assert not participant.is_verified
    assert participant.gender == "F"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/confirmer/\S+/", str(mail.outbox[0].body))
    assert link is not None
    response = client.get(link.group(0))
    assert response.status_code == 200
    assert "est confirmée" in response.content.decode()
    participant.refresh_from_db()
    assert participant.is_verified


def test_bad_confirmation_link_is_refused(client: Client, organisation: Organisation) -> None:
    response = client.get(url("participation-verify", "200000001", "not-a-token"))
    assert response.status_code == 400
    assert "invalide ou expiré" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "pas-une-adresse", "password": PASSWORD, "password_confirm": PASSWORD}, "adresse"),
        ({"email": "a@example.org", "password": "court", "password_confirm": "court"}, "12"),
        (
            {"email": "a@example.org", "password": "123456789012345", "password_confirm": "123456789012345"},
            "numérique",
        ),
        ({"email": "a@example.org", "password": PASSWORD, "password_confirm": PASSWORD + "x"}, "identiques"),
        (
            {
                "email": "a@example.org",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "birth_year": "1800",
            },
            "1900",
        ),
        (
            {"email": "a@example.org", "password": PASSWORD, "password_confirm": PASSWORD, "zone": "999"},
            "choix valide",
        ),
    ],
)
def test_bad_signup_is_refused_and_nothing_is_stored(
    client: Client, organisation: Organisation, data: dict[str, Any], message: str
) -> None:
    response = client.post(SIGNUP, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body, body
    assert 'class="error-summary"' in body
    assert 'aria-invalid="true"' in body
    assert not Participant.objects.exists()
    assert not mail.outbox


def test_signup_with_a_zone_of_another_commune_is_refused(client: Client, commune: Commune) -> None:
    other = Commune.objects.get(insee_code="99102")
    zone = make_zone(commune, "nord")
    response = client.post(
        SIGNUP,
        {
            "email": "a@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "commune": other.pk,
            "zone": zone.pk,
        },
    )
    assert response.status_code == 422
    assert "n&#x27;appartient pas" in response.content.decode()
    assert not Participant.objects.exists()


def test_duplicate_address_is_refused(client: Client, commune: Commune) -> None:
    make_resident("deja@example.org", commune)
    response = client.post(
        SIGNUP, {"email": "DEJA@example.org", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert response.status_code == 400
    assert "existe déjà" in response.content.decode()
    assert Participant.objects.count() == 1


def test_sign_in_and_out(client: Client, commune: Commune) -> None:
    make_resident("moi@example.org", commune)
    response = client.post(LOGIN, {"email": "moi@example.org", "password": "mauvais mot de passe"})
    assert response.status_code == 400
    assert "incorrect" in response.content.decode()
    response = client.post(
        LOGIN, {"email": "Moi@example.org", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == ACCOUNT  # an outside "next" is ignored
    assert "moi@example.org" in client.get(ACCOUNT).content.decode()
    response = client.post(url("participation-logout", "200000001"))
    assert response.status_code == 302
    assert client.get(ACCOUNT).status_code == 302


def test_staff_cannot_sign_in_as_resident(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    staff = make_staff(organisation)
    response = client.post(LOGIN, {"email": staff.email, "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_sign_in_is_rate_limited(client: Client, organisation: Organisation, settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "RATE_LIMITS": {**settings.TERRITOIRE["RATE_LIMITS"], "login": "2/m"},
    }
    for _ in range(2):
        client.post(LOGIN, {"email": "x@example.org", "password": "y"})
    response = client.post(LOGIN, {"email": "x@example.org", "password": "y"})
    assert response.status_code == 429


def test_profile_page_edits_the_declared_profile_and_lists_participation(
    client: Client, commune: Commune
) -> None:
    participant = make_resident("profil@example.org", commune)
    assert client.get(ACCOUNT).status_code == 302  # anonymous: to the sign-in page
    sign_in(client, participant)
    page = client.get(ACCOUNT).content.decode()
    assert "Vous n'avez pas encore participé." in page
    zone = make_zone(commune, "centre")
    response = client.post(
        ACCOUNT, {"commune": commune.pk, "zone": zone.pk, "birth_year": "", "age_band": "30-44"}
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.zone == zone
    assert participant.age_band == "30-44"
    assert participant.birth_year is None
    response = client.post(ACCOUNT, {"birth_year": "3000"})
    assert response.status_code == 400
    participant.refresh_from_db()
    assert participant.age_band == "30-44"


def test_census_verification_refuses_an_unknown_person(client: Client, commune: Commune) -> None:
    participant = make_resident("recense@example.org", commune)
    sign_in(client, participant)
    response = client.post(
        url("participation-census", "200000001"),
        {"commune": commune.pk, "last_name": "Dupont", "first_name": "Marie", "birth_date": "1980-01-01"},
    )
    assert response.status_code == 422
    assert "liste" in response.content.decode()
    assert get_user_model().objects.filter(participant__census_entry__isnull=False).count() == 0


def test_an_invisible_character_makes_no_second_account_through_the_pages(
    client: Client, commune: Commune
) -> None:
    """Issue 17: U+200B at the end of an existing address made a second account (and ballot)."""
    make_resident("deja@example.org", commune)
    response = client.post(
        SIGNUP, {"email": "deja@example.org\u200b", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert response.status_code == 400
    assert "existe déjà" in response.content.decode()
    assert Participant.objects.count() == 1
    # Signing in with the invisible character reaches the one account.
    response = client.post(LOGIN, {"email": "Deja@Example.org\u200b", "password": PASSWORD})
    assert response.status_code == 302


def test_census_page_answers_alike_for_absent_and_claimed(client: Client, commune: Commune) -> None:
    from territoire.participation.census import import_census

    import_census(commune, "nom;prenom;date_naissance\nDupont;Marie;1980-01-01\n")
    owner = make_resident("proprietaire@example.org", commune)
    sign_in(client, owner)
    census = url("participation-census", "200000001")
    claim = {"commune": commune.pk, "last_name": "Dupont", "first_name": "Marie", "birth_date": "1980-01-01"}
    assert client.post(census, claim).status_code == 302
    attacker = make_resident("curieux@example.org", commune)
    other = Client()
    sign_in(other, attacker)
    absent = other.post(census, {**claim, "birth_date": "1980-01-02"})
    claimed = other.post(census, claim)
    assert absent.status_code == claimed.status_code == 422

    def errors(response: Any) -> list[str]:
        return re.findall(r'class="error[^"]*"[^>]*>(.*?)<', response.content.decode())

    assert errors(absent) == errors(claimed) != []
    assert "déjà rattachée" not in claimed.content.decode()


def test_census_page_refuses_checks_once_the_budget_is_spent(
    client: Client, commune: Commune, settings: Any
) -> None:
    from territoire.participation.census import import_census

    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_CENSUS_ACCOUNT_FAILURES": 2}
    import_census(commune, "nom;prenom;date_naissance\nDupont;Marie;1980-01-01\n")
    sign_in(client, make_resident("devine@example.org", commune))
    census = url("participation-census", "200000001")
    guess = {"commune": commune.pk, "last_name": "Dupont", "first_name": "Marie"}
    for day in ("1980-01-02", "1980-01-03"):
        assert client.post(census, {**guess, "birth_date": day}).status_code == 422
    response = client.post(census, {**guess, "birth_date": "1980-01-01"})
    assert response.status_code == 429
    assert "Trop de vérifications" in response.content.decode()
