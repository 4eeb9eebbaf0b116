"""Linking the indicators modules compute to an existing organisation's objectives."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from territoire.core.cache import data_version
from territoire.core.models import AuditEvent
from territoire.roadmap.models import Axis, Objective
from territoire.roadmap.services import link_module_indicators, module_indicators_by_axis
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db


def _computed_codes(axis: str) -> set[str]:
    return {d.code for d in module_indicators_by_axis().get(axis, [])}


def _followed(organisation: Organisation, axis: str) -> set[str]:
    return set(
        Objective.indicators.through.objects.filter(
            objective__organisation=organisation, objective__axis__code=axis
        ).values_list("indicatordefinition__code", flat=True)
    )


def test_an_organisation_made_before_a_module_gets_its_indicators(organisation: Organisation) -> None:
    computed = _computed_codes("participation")
    assert computed  # the participation module computes indicators for its axis
    objective = Objective.objects.get(organisation=organisation, axis__code="participation")
    objective.indicators.remove(*objective.indicators.filter(code__in=computed))  # as before the module
    assert not computed & _followed(organisation, "participation")
    version = data_version()

    preview = link_module_indicators(organisation, dry_run=True)
    assert {link.indicator for link in preview} >= computed
    assert not computed & _followed(organisation, "participation")  # a dry run changes nothing

    links = link_module_indicators(organisation)
    assert {link.indicator for link in links} == {link.indicator for link in preview}
    assert computed <= _followed(organisation, "participation")
    assert data_version() > version
    assert AuditEvent.objects.filter(action="roadmap.link_module_indicators").count() == 1
    assert link_module_indicators(organisation) == []  # idempotent
    assert AuditEvent.objects.filter(action="roadmap.link_module_indicators").count() == 1


def test_an_indicator_followed_by_another_objective_of_the_axis_is_left_there(
    organisation: Organisation,
) -> None:
    computed = sorted(_computed_codes("participation"))
    axis = Axis.objects.get(organisation=organisation, code="participation")
    first = axis.objectives.get()
    second = Objective.objects.create(
        organisation=organisation, axis=axis, title="Budget participatif", position=2, deadline=first.deadline
    )
    moved = first.indicators.get(code=computed[0])
    first.indicators.remove(moved)
    second.indicators.add(moved)
    assert link_module_indicators(organisation) == []
    assert not first.indicators.filter(code=computed[0]).exists()


def test_a_deleted_axis_stays_deleted(organisation: Organisation) -> None:
    Axis.objects.filter(organisation=organisation, code="participation").delete()
    assert link_module_indicators(organisation) == []
    assert not Axis.objects.filter(organisation=organisation, code="participation").exists()


def test_the_command(organisation: Organisation) -> None:
    objective = Objective.objects.get(organisation=organisation, axis__code="participation")
    objective.indicators.clear()
    out = StringIO()
    call_command("roadmap", "link-indicators", "--dry-run", stdout=out)
    assert "would be linked (dry run: nothing changed)" in out.getvalue()
    assert not objective.indicators.exists()
    out = StringIO()
    call_command("roadmap", "link-indicators", "--organisation", organisation.siren, stdout=out)
    assert "participation /" in out.getvalue()
    assert objective.indicators.exists()
    with pytest.raises(CommandError, match="no organisation with this SIREN"):
        call_command("roadmap", "link-indicators", "--organisation", "000000000")
