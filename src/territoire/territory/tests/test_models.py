"""Database constraints of the territory: the database refuses what the code must never write."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from territoire.territory.models import (
    Commune,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Scope,
    ScopeKind,
    Zone,
)

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.0]]]}


@pytest.fixture
def org() -> Organisation:
    return Organisation.objects.create(
        siren="200000001", name="CC des Essais", kind=OrganisationKind.COMMUNAUTE_COMMUNES, slug="essais"
    )


@pytest.fixture
def alpha(org: Organisation) -> Commune:
    return Commune.objects.create(insee_code="99101", name="Alpha", organisation=org)


@pytest.fixture
def beta(org: Organisation) -> Commune:
    return Commune.objects.create(insee_code="99102", name="Bêta", organisation=org)


@pytest.fixture
def user() -> Any:
    return get_user_model().objects.create_user(username="agent", password=None)


def refused(**fields: Any) -> None:
    model = fields.pop("model")
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_scope_valid_rows(org: Organisation, alpha: Commune) -> None:
    Scope.objects.create(kind=ScopeKind.ORGANISATION, code=org.siren, organisation=org)
    Scope.objects.create(kind=ScopeKind.COMMUNE, code=alpha.insee_code, commune=alpha)
    assert Scope.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "with_org", "with_commune"),
    [
        (ScopeKind.ORGANISATION, False, False),
        (ScopeKind.ORGANISATION, False, True),
        (ScopeKind.ORGANISATION, True, True),
        (ScopeKind.COMMUNE, False, False),
        (ScopeKind.COMMUNE, True, False),
        (ScopeKind.COMMUNE, True, True),
        ("region", True, False),
        ("region", False, True),
    ],
)
def test_scope_points_to_exactly_one_target_of_its_kind(
    org: Organisation, alpha: Commune, kind: str, with_org: bool, with_commune: bool
) -> None:
    refused(
        model=Scope,
        kind=kind,
        code="X",
        organisation=org if with_org else None,
        commune=alpha if with_commune else None,
    )
    assert not Scope.objects.exists()


def test_scope_code_and_targets_are_unique(org: Organisation, alpha: Commune, beta: Commune) -> None:
    Scope.objects.create(kind=ScopeKind.COMMUNE, code="99101", commune=alpha)
    refused(model=Scope, kind=ScopeKind.COMMUNE, code="99101", commune=beta)
    refused(model=Scope, kind=ScopeKind.COMMUNE, code="99999", commune=alpha)
    Scope.objects.create(kind=ScopeKind.ORGANISATION, code="200000001", organisation=org)
    refused(model=Scope, kind=ScopeKind.ORGANISATION, code="200000009", organisation=org)
    assert Scope.objects.count() == 2


def test_zone_code_unique_per_commune(alpha: Commune, beta: Commune) -> None:
    Zone.objects.create(commune=alpha, code="centre", name="Centre", geometry=SQUARE)
    refused(model=Zone, commune=alpha, code="centre", name="Centre bis", geometry=SQUARE)
    Zone.objects.create(commune=beta, code="centre", name="Centre", geometry=SQUARE)
    Zone.objects.create(commune=alpha, code="port", name="Port", geometry=SQUARE)
    assert Zone.objects.count() == 3


def test_membership_unique_for_a_commune(user: Any, org: Organisation, alpha: Commune, beta: Commune) -> None:
    Membership.objects.create(user=user, organisation=org, commune=alpha, role=Role.AGENT)
    refused(model=Membership, user=user, organisation=org, commune=alpha, role=Role.AGENT)
    # Another role, or another commune, is another membership.
    Membership.objects.create(user=user, organisation=org, commune=alpha, role=Role.ELU)
    Membership.objects.create(user=user, organisation=org, commune=beta, role=Role.AGENT)
    assert Membership.objects.count() == 3


def test_membership_unique_org_wide(user: Any, org: Organisation, alpha: Commune) -> None:
    """NULL commune: only the partial unique constraint catches the duplicate."""
    Membership.objects.create(user=user, organisation=org, commune=None, role=Role.CHEF_PROJET)
    refused(model=Membership, user=user, organisation=org, commune=None, role=Role.CHEF_PROJET)
    Membership.objects.create(user=user, organisation=org, commune=None, role=Role.ELU)
    Membership.objects.create(user=user, organisation=org, commune=alpha, role=Role.CHEF_PROJET)
    other_user = get_user_model().objects.create_user(username="autre", password=None)
    Membership.objects.create(user=other_user, organisation=org, commune=None, role=Role.CHEF_PROJET)
    assert Membership.objects.count() == 4


def test_siren_and_insee_code_unique(org: Organisation, alpha: Commune) -> None:
    refused(model=Organisation, siren="200000001", name="Doublon", kind=OrganisationKind.COMMUNE, slug="x")
    refused(
        model=Organisation, siren="200000009", name="Doublon", kind=OrganisationKind.COMMUNE, slug="essais"
    )
    refused(model=Commune, insee_code="99101", name="Alpha bis")


def test_deleting_an_organisation_detaches_its_communes(org: Organisation, alpha: Commune) -> None:
    Scope.objects.create(kind=ScopeKind.ORGANISATION, code=org.siren, organisation=org)
    Scope.objects.create(kind=ScopeKind.COMMUNE, code=alpha.insee_code, commune=alpha)
    org.delete()
    alpha.refresh_from_db()
    assert alpha.organisation is None
    assert list(Scope.objects.values_list("code", flat=True)) == ["99101"]
