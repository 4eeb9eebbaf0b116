"""Tenant walls outside the admin's matrix: the second factor before any internal figure,
the page cache never holding a staff view, and the shared indicator catalogue kept by
superusers (issue 17, §2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory

from territoire.accounts.testing import StaffClient
from territoire.indicators.models import Direction, IndicatorDefinition
from territoire.indicators.services.definitions import save_definition
from territoire.roadmap.tests.helpers import record
from territoire.territory import access
from territoire.territory.models import Organisation, Role, Scope

pytestmark = pytest.mark.django_db

ORG = "200000001"
INTERNAL = "cyber.incidents"
ROLES = [role.value for role in Role]


@pytest.fixture
def figures(organisation: Organisation) -> None:
    record(INTERNAL, ORG, [3, 2])


def _internal_urls() -> list[str]:
    base = f"/t/{ORG}/indicateurs/{INTERNAL}"
    return [f"{base}/", f"{base}.csv", f"{base}.json"]


@pytest.mark.parametrize("role", ROLES)
def test_password_alone_reads_no_internal_figure(
    client: StaffClient, organisation: Organisation, figures: None, make_staff: Callable[..., Any], role: str
) -> None:
    user = make_staff(organisation, role)
    client.force_login(user, verified=False)
    for url in _internal_urls():
        assert client.get(url).status_code == 404, url
    assert INTERNAL not in client.get(f"/t/{ORG}/").content.decode()  # no internal card
    # The same account once the second factor is passed.
    client.force_login(user)
    for url in _internal_urls():
        assert client.get(url).status_code == 200, url
    assert INTERNAL in client.get(f"/t/{ORG}/").content.decode()


def test_a_superuser_with_the_password_alone_reads_nothing_internal(
    client: StaffClient, organisation: Organisation, figures: None
) -> None:
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(root, verified=False)
    for url in _internal_urls():
        assert client.get(url).status_code == 404, url


def test_the_access_helper_asks_the_session(
    organisation: Organisation, make_staff: Callable[..., Any], rf: RequestFactory
) -> None:
    user = make_staff(organisation, Role.ELU)
    scope = Scope.objects.get(code=ORG)
    user.is_verified = lambda: False
    assert not access.can_view_internal(user, scope)
    assert not access.internal_scopes(user, organisation).exists()
    assert not access.organisations_for(user).exists()
    user = get_user_model().objects.get(pk=user.pk)  # a fresh object, as in a new request
    user.is_verified = lambda: True
    assert access.can_view_internal(user, scope)
    # Outside a request (a command, a task) the account's memberships decide.
    assert access.can_view_internal(get_user_model().objects.get(pk=user.pk), scope)


def test_the_page_cache_never_keeps_or_serves_a_staff_view(
    client: StaffClient, organisation: Organisation, figures: None, make_staff: Callable[..., Any]
) -> None:
    anonymous = Client()
    home = f"/t/{ORG}/"
    assert INTERNAL not in anonymous.get(home).content.decode()  # now in the cache
    client.force_login(make_staff(organisation, Role.ELU))
    assert INTERNAL in client.get(home).content.decode()  # staff are never served the cache
    assert INTERNAL not in anonymous.get(home).content.decode()
    other = Client()
    client.get(f"/t/{ORG}/?fresh=1")  # a staff view first: nothing is kept
    assert INTERNAL not in other.get(f"/t/{ORG}/?fresh=1").content.decode()


# --- The shared catalogue -----------------------------------------------------------------


def _definition(**fields: Any) -> IndicatorDefinition:
    values: dict[str, Any] = {
        "code": "squat.taux_usage",
        "name": "Indicateur squatté",
        "direction": Direction.HIGHER_IS_BETTER,
        "method": "Compté.",
    }
    values.update(fields)
    return IndicatorDefinition(**values)


def _add_form(**fields: Any) -> dict[str, Any]:
    data = {
        "code": "squat.taux_usage",
        # The back-office edits both languages (django-modeltranslation).
        "name_fr": "Indicateur squatté",
        "unit": "%",
        "direction": "higher",
        "method_fr": "Compté.",
        "source": "manual",
        "visibility": "public",
        "periodicity": "monthly",
        "aggregate": "none",
        "decimals": "1",
        "method_version": "1",
        "module": "",
        "organisation": "",
    }
    data.update(fields)
    return data


def test_a_project_lead_cannot_add_to_the_shared_catalogue(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    client.force_login(make_staff(organisation, Role.CHEF_PROJET))
    url = "/admin/indicators/indicatordefinition/add/"
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["adminform"].form.fields["organisation"].required  # empty: the shared catalogue
    response = client.post(url, _add_form())
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["organisation"]
    assert not IndicatorDefinition.objects.filter(code="squat.taux_usage").exists()
    # Their own organisation's definition is theirs to add.
    response = client.post(url, _add_form(organisation=str(organisation.pk)))
    assert response.status_code == 302
    assert IndicatorDefinition.objects.get(code="squat.taux_usage").organisation == organisation


def test_a_project_lead_cannot_move_a_definition_into_the_shared_catalogue(
    organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    lead = make_staff(organisation, Role.CHEF_PROJET)
    with pytest.raises(PermissionDenied):
        save_definition(_definition(), actor=lead)
    assert not IndicatorDefinition.objects.filter(code="squat.taux_usage").exists()
    own = save_definition(_definition(organisation=organisation), actor=lead)
    own.organisation = None
    with pytest.raises(PermissionDenied):
        save_definition(own, actor=lead)
    assert IndicatorDefinition.objects.get(pk=own.pk).organisation == organisation
    shared = IndicatorDefinition.objects.filter(organisation__isnull=True).first()
    assert shared is not None
    shared.organisation = organisation  # nor take one out of it
    with pytest.raises(PermissionDenied):
        save_definition(shared, actor=lead)


def test_a_superuser_and_the_platform_write_the_shared_catalogue(organisation: Organisation) -> None:
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 16)
    assert save_definition(_definition(), actor=root).organisation is None
    assert save_definition(_definition(code="plateforme.autre"), actor=None).organisation is None


def test_another_tenant_cannot_write_a_definition_here(
    organisation: Organisation, other_organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    with pytest.raises(PermissionDenied):
        save_definition(_definition(organisation=organisation), actor=make_staff(other_organisation))


def test_a_tenant_cannot_squat_a_code_of_a_module(
    client: StaffClient, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    lead = make_staff(organisation, Role.CHEF_PROJET)
    # A code a module computes, and any code of a module's namespace.
    for code in ("reports.median_processing_days", "participation.nouveau_taux"):
        with pytest.raises(ValidationError) as refused:
            save_definition(_definition(code=code, organisation=organisation), actor=lead)
        assert "réservé au module" in str(refused.value)
    client.force_login(lead)
    url = "/admin/indicators/indicatordefinition/add/"
    response = client.post(url, _add_form(code="reports.taux_local", organisation=str(organisation.pk)))
    assert response.status_code == 200
    assert "local.taux_local" in str(response.context["adminform"].form.errors["code"])
    assert not IndicatorDefinition.objects.filter(code="reports.taux_local").exists()
    # Outside the modules' namespaces, the code is theirs.
    response = client.post(url, _add_form(code="local.taux_local", organisation=str(organisation.pk)))
    assert response.status_code == 302
