"""The risk register: staff of the organisation only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from territoire.roadmap.models import Risk, RiskStatus
from territoire.territory.models import Commune, Organisation, Role

pytestmark = pytest.mark.django_db

URL = "/t/200000001/risques/"


def test_anonymous_visitor_is_sent_to_the_login_page(client: Client, organisation: Organisation) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={URL}"
    assert b"Ransomware" not in response.content


def test_staff_of_another_organisation_gets_404(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    client.force_login(make_staff(other_organisation, Role.ADMINISTRATEUR))
    response = client.get(URL)
    assert response.status_code == 404
    assert b"Ransomware" not in response.content


def test_logged_in_user_without_membership_gets_404(client: Client, organisation: Organisation) -> None:
    user = get_user_model().objects.create_user(username="visitor", password="x" * 20)
    client.force_login(user)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("role", [Role.ELU, Role.RSSI, Role.AGENT])
def test_staff_sees_the_register_by_criticality(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], role: str
) -> None:
    Risk.objects.filter(organisation=organisation, title="Fatigue participative").update(
        owner="Direction de la communication", status=RiskStatus.MITIGATING
    )
    client.force_login(make_staff(organisation, role))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    titles = [r.title for r in Risk.objects.filter(organisation=organisation)]
    assert len(titles) == 6
    for title in titles:
        assert title.replace("'", "&#x27;") in page
    # Most critical first: ransomware (4 × 5) before fatigue (3 × 3).
    assert page.index("Ransomware et fuites de données") < page.index("Fatigue participative")
    assert ">20<" in page
    assert "Direction de la communication" in page
    assert "en cours de traitement" in page
    assert "MFA, sauvegardes déconnectées" in page


def test_commune_staff_do_not_see_the_organisations_register(
    client: Client, organisation: Organisation, commune: Commune, make_staff: Callable[..., Any]
) -> None:
    # The register is the organisation's own: organisation-wide members only.
    client.force_login(make_staff(organisation, Role.AGENT, commune=commune))
    assert client.get(URL).status_code == 404


def test_only_the_organisations_risks(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    Risk.objects.create(
        organisation=other_organisation, title="Risque du voisin", likelihood=5, impact=5, owner="RSSI"
    )
    client.force_login(make_staff(organisation))
    assert b"Risque du voisin" not in client.get(URL).content


def test_risks_link_in_the_navigation_for_staff_only(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    assert URL.encode() not in client.get("/t/200000001/").content
    client.force_login(make_staff(organisation))
    assert URL.encode() in client.get("/t/200000001/").content


def test_english_version_and_commune_scope(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation))
    response = client.get(f"/en{URL}")
    assert response.status_code == 200
    assert b'<html lang="en">' in response.content
    assert client.get("/t/99101/risques/").status_code == 404


def test_unknown_scope_is_404_even_when_anonymous(client: Client, organisation: Organisation) -> None:
    assert client.get("/t/999999999/risques/").status_code == 404


def test_ordered_by_criticality_not_by_probability(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    # 5 × 1 = 5 is less critical than 2 × 4 = 8, though more probable.
    Risk.objects.filter(organisation=organisation).delete()
    Risk.objects.create(
        organisation=organisation, title="Probable bénin", likelihood=5, impact=1, owner="DSI"
    )
    Risk.objects.create(organisation=organisation, title="Rare grave", likelihood=2, impact=4, owner="DSI")
    Risk.objects.create(organisation=organisation, title="Moyen", likelihood=3, impact=2, owner="DSI")
    client.force_login(make_staff(organisation, Role.ELU))
    page = client.get(URL).content.decode()
    assert page.index("Rare grave") < page.index("Moyen") < page.index("Probable bénin")
    assert [r.title for r in Risk.objects.filter(organisation=organisation)] == [
        "Rare grave",
        "Moyen",
        "Probable bénin",
    ]


def test_a_risk_has_an_owner_shown_on_the_register(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    from django.db import IntegrityError, transaction

    # The template's risks are kept by the project lead / DSI until someone is named.
    assert set(Risk.objects.filter(organisation=organisation).values_list("owner", flat=True)) == {
        "Chef de projet / DSI"
    }
    owner = make_staff(organisation, Role.RSSI)
    Risk.objects.filter(organisation=organisation, title__startswith="Ransomware").update(
        owner_user=owner, owner="RSSI"
    )
    client.force_login(make_staff(organisation, Role.ELU))
    page = client.get(URL).content.decode()
    assert f"{owner.get_full_name()} (RSSI)" in page
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(organisation=organisation, title="Sans responsable", likelihood=1, impact=1)


@pytest.mark.parametrize(
    ("role", "edits"), [(Role.CHEF_PROJET, True), (Role.ELU, False), (Role.AGENT, False)]
)
def test_editors_are_offered_to_edit_a_risk_others_are_not(
    client: Client, organisation: Organisation, make_staff: Callable[..., Any], role: str, edits: bool
) -> None:
    client.force_login(make_staff(organisation, role))
    page = client.get(URL).content.decode()
    risk = Risk.objects.filter(organisation=organisation).first()
    assert risk is not None
    assert (f"/admin/roadmap/risk/{risk.pk}/change/" in page) is edits
    assert ("/admin/roadmap/risk/add/" in page) is edits


def test_the_owner_is_chosen_among_the_organisations_staff_in_the_back_office(
    client: Client,
    organisation: Organisation,
    other_organisation: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    lead = make_staff(organisation, Role.CHEF_PROJET)
    colleague = make_staff(organisation, Role.RSSI)
    stranger = make_staff(other_organisation, Role.RSSI)
    client.force_login(lead)
    risk = Risk.objects.filter(organisation=organisation).first()
    assert risk is not None
    url = f"/admin/roadmap/risk/{risk.pk}/change/"
    form = client.get(url).context["adminform"].form
    choices = {int(value.value) for value, _label in form.fields["owner_user"].choices if value}
    assert colleague.pk in choices
    assert lead.pk in choices
    assert stranger.pk not in choices
    data = {
        "organisation": organisation.pk,
        "axis": risk.axis_id or "",
        "title_fr": risk.title,
        "description_fr": "",
        "likelihood": 4,
        "impact": 5,
        "mitigation_fr": risk.mitigation,
        "owner_user": colleague.pk,
        "owner": "RSSI",
        "status": "identified",
    }
    assert client.post(url, data).status_code == 302
    risk.refresh_from_db()
    assert risk.owner_user == colleague
    # A person outside the organisation cannot be named (not offered, and refused if posted).
    response = client.post(url, {**data, "owner_user": stranger.pk})
    assert response.status_code == 200
    assert "owner_user" in response.context["adminform"].form.errors
    # Neither person nor role: refused in words.
    response = client.post(url, {**data, "owner_user": "", "owner": ""})
    assert response.status_code == 200
    assert "Un risque a un responsable" in str(response.context["adminform"].form.errors)
