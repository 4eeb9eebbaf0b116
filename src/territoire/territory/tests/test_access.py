"""territory.access: who may see and change what, role × membership scope × target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from territoire.territory import access
from territoire.territory.models import Commune, Membership, Organisation, Role, Scope

ALL_ROLES = [Role.ELU, Role.CHEF_PROJET, Role.AGENT, Role.DPO, Role.RSSI, Role.ADMINISTRATEUR]
WRITERS = {Role.CHEF_PROJET, Role.AGENT, Role.DPO, Role.RSSI, Role.ADMINISTRATEUR}
ROADMAP_EDITORS = {Role.CHEF_PROJET, Role.ADMINISTRATEUR}

# The targets a staff member of the organisation (commune Alpha, 99101) may be asked about.
TARGETS = ["organisation", "own_commune", "other_commune", "other_org_commune", "other_org"]
SCOPE_CODES = {
    "organisation": "200000001",
    "own_commune": "99101",  # Alpha
    "other_commune": "99102",  # Bêta, same organisation
    "other_org_commune": "99201",  # Delta, of the neighbouring organisation
    "other_org": "200000002",
}
ORG_SCOPES = {"200000001", "99101", "99102", "99103"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """make_staff sets a password; the production hasher would cost ~0.3 s a user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def scopes(organisation: Organisation, other_organisation: Organisation) -> dict[str, Scope]:
    by_code = {s.code: s for s in Scope.objects.select_related("organisation", "commune")}
    return {target: by_code[code] for target, code in SCOPE_CODES.items()}


def internal_codes(user: Any, organisation: Organisation) -> set[str]:
    return set(access.internal_scopes(user, organisation).values_list("code", flat=True))


def check_nothing(
    user: Any, organisation: Organisation, other: Organisation, scopes: dict[str, Scope]
) -> None:
    for target, scope in scopes.items():
        assert not access.can_view_internal(user, scope), target
        assert not access.can_write_measurement(user, scope), target
    for org in (organisation, other):
        assert not access.is_staff_of(user, org)
        assert not access.is_staff_of(user, org.pk)
        assert not access.can_edit_roadmap(user, org)
        assert internal_codes(user, org) == set()
        assert not access.organisations_for(user).exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_organisation_wide_member(
    role: str,
    organisation: Organisation,
    other_organisation: Organisation,
    scopes: dict[str, Scope],
    make_staff: Callable[..., Any],
) -> None:
    user = make_staff(organisation, role)
    expected_view = {"organisation", "own_commune", "other_commune"}

    for target, scope in scopes.items():
        assert access.can_view_internal(user, scope) is (target in expected_view), target
        assert access.can_write_measurement(user, scope) is (target in expected_view and role in WRITERS), (
            target
        )
    assert access.can_edit_roadmap(user, organisation) is (role in ROADMAP_EDITORS)
    assert access.can_edit_roadmap(user, organisation.pk) is (role in ROADMAP_EDITORS)
    assert not access.can_edit_roadmap(user, other_organisation)
    assert internal_codes(user, organisation) == ORG_SCOPES
    assert internal_codes(user, other_organisation) == set()
    assert access.is_staff_of(user, organisation)
    assert access.is_staff_of(user, organisation.pk)
    assert not access.is_staff_of(user, other_organisation)
    assert list(access.organisations_for(user)) == [organisation]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_commune_member(
    role: str,
    organisation: Organisation,
    other_organisation: Organisation,
    commune: Commune,
    scopes: dict[str, Scope],
    make_staff: Callable[..., Any],
) -> None:
    user = make_staff(organisation, role, commune=commune)

    for target, scope in scopes.items():
        assert access.can_view_internal(user, scope) is (target == "own_commune"), target
        assert access.can_write_measurement(user, scope) is (target == "own_commune" and role in WRITERS), (
            target
        )
    # The roadmap is the organisation's: a commune's staff do not edit it.
    assert not access.can_edit_roadmap(user, organisation)
    assert not access.can_edit_roadmap(user, other_organisation)
    assert internal_codes(user, organisation) == {"99101"}
    assert internal_codes(user, other_organisation) == set()
    assert access.is_staff_of(user, organisation)
    assert not access.is_staff_of(user, other_organisation)


def test_roles_add_up(
    organisation: Organisation,
    commune: Commune,
    scopes: dict[str, Scope],
    make_staff: Callable[..., Any],
) -> None:
    """An élu of the organisation who is also an agent of one commune writes there only."""
    user = make_staff(organisation, Role.ELU)
    Membership.objects.create(user=user, organisation=organisation, commune=commune, role=Role.AGENT)
    assert access.can_view_internal(user, scopes["other_commune"])
    assert not access.can_write_measurement(user, scopes["other_commune"])
    assert not access.can_write_measurement(user, scopes["organisation"])
    assert access.can_write_measurement(user, scopes["own_commune"])
    assert internal_codes(user, organisation) == ORG_SCOPES


def test_member_of_two_organisations(
    organisation: Organisation,
    other_organisation: Organisation,
    scopes: dict[str, Scope],
    make_staff: Callable[..., Any],
) -> None:
    user = make_staff(organisation, Role.AGENT)
    Membership.objects.create(user=user, organisation=other_organisation, role=Role.ELU)
    assert access.can_write_measurement(user, scopes["own_commune"])
    assert access.can_view_internal(user, scopes["other_org_commune"])
    assert not access.can_write_measurement(user, scopes["other_org_commune"])
    assert internal_codes(user, other_organisation) == {"200000002", "99201"}
    assert set(access.organisations_for(user)) == {organisation, other_organisation}


def test_commune_that_left_the_organisation(
    organisation: Organisation,
    other_organisation: Organisation,
    commune: Commune,
    make_staff: Callable[..., Any],
) -> None:
    """A commune-scoped role does not follow the commune into another organisation."""
    user = make_staff(organisation, Role.ADMINISTRATEUR, commune=commune)
    commune.organisation = other_organisation
    commune.save()
    scope = Scope.objects.select_related("commune").get(code="99101")
    assert not access.can_view_internal(user, scope)
    assert not access.can_write_measurement(user, scope)
    assert internal_codes(user, organisation) == set()
    assert internal_codes(user, other_organisation) == set()


def test_inactive_user_has_no_rights(
    organisation: Organisation,
    other_organisation: Organisation,
    scopes: dict[str, Scope],
    make_staff: Callable[..., Any],
) -> None:
    user = make_staff(organisation, Role.ADMINISTRATEUR)
    user.is_active = False
    user.save()
    check_nothing(user, organisation, other_organisation, scopes)


@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_anonymous_has_no_rights(
    user: Any, organisation: Organisation, other_organisation: Organisation, scopes: dict[str, Scope]
) -> None:
    check_nothing(user, organisation, other_organisation, scopes)


def test_user_without_membership_has_no_rights(
    organisation: Organisation, other_organisation: Organisation, scopes: dict[str, Scope]
) -> None:
    user = get_user_model().objects.create_user(username="visiteur", password=None, is_staff=True)
    check_nothing(user, organisation, other_organisation, scopes)


def test_superuser_has_every_right(
    organisation: Organisation, other_organisation: Organisation, scopes: dict[str, Scope]
) -> None:
    user = get_user_model().objects.create_superuser(username="root", password=None, email="root@example.org")
    for target, scope in scopes.items():
        assert access.can_view_internal(user, scope), target
        assert access.can_write_measurement(user, scope), target
    for org in (organisation, other_organisation):
        assert access.is_staff_of(user, org)
        assert access.can_edit_roadmap(user, org)
    assert internal_codes(user, organisation) == ORG_SCOPES
    assert internal_codes(user, other_organisation) == {"200000002", "99201"}
    assert set(access.organisations_for(user)) == {organisation, other_organisation}

    user.is_active = False
    user.save()
    check_nothing(user, organisation, other_organisation, scopes)


def test_memberships_are_read_once_per_user_object(
    organisation: Organisation,
    scopes: dict[str, Scope],
    make_staff: Callable[..., Any],
    django_assert_num_queries: Any,
) -> None:
    user = make_staff(organisation, Role.AGENT)
    with django_assert_num_queries(1):
        for scope in scopes.values():
            access.can_view_internal(user, scope)
            access.can_write_measurement(user, scope)
        access.is_staff_of(user, organisation)
        access.can_edit_roadmap(user, organisation)
