"""Organisations and communes created in the back-office are set up like imported ones."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from territoire.roadmap.models import Axis
from territoire.territory.models import Commune, Organisation, Scope

pytestmark = pytest.mark.django_db


def test_admin_created_organisation_and_commune_get_scopes_and_the_template(client: Client) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "a long enough password")
    client.force_login(admin)
    response = client.post(
        "/admin/territory/organisation/add/",
        {"siren": "200000009", "name": "CC Nouvelle", "kind": "CC", "slug": "cc-nouvelle"},
    )
    assert response.status_code == 302, response.content[:500]
    org = Organisation.objects.get(siren="200000009")
    assert Scope.objects.filter(organisation=org).exists()
    assert Axis.objects.filter(organisation=org).count() == 6
    response = client.post(
        "/admin/territory/commune/add/",
        {
            "insee_code": "99301",
            "name": "Nouvelle",
            "population": 100,
            "postcodes": "[]",
            "organisation": org.pk,
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert Scope.objects.filter(commune=Commune.objects.get(insee_code="99301")).exists()
    assert client.get("/t/99301/").status_code == 200
