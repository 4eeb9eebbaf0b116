"""A target may not fall after the deadline of the objective its indicator measures, and an
objective's deadline may not move before such a target (roadmap.indicator_links)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from territoire.indicators.models import IndicatorDefinition, Target
from territoire.indicators.services import set_target
from territoire.roadmap.admin import ObjectiveForm
from territoire.roadmap.models import Objective
from territoire.roadmap.template import OBJECTIVE_DEADLINE
from territoire.territory.models import Organisation, Scope

pytestmark = pytest.mark.django_db

FTTH = "connectivite.foyers_raccordables"


def _target(scope_code: str, target_date: date) -> Target:
    return set_target(
        indicator=IndicatorDefinition.objects.get(code=FTTH),
        scope=Scope.objects.get(code=scope_code),
        baseline_value=Decimal(60),
        baseline_date=date(2024, 12, 31),
        target_value=Decimal(100),
        target_date=target_date,
    )


def test_the_template_objectives_are_those_of_the_source_document(organisation: Organisation) -> None:
    assert set(Objective.objects.filter(organisation=organisation).values_list("deadline", flat=True)) == {
        date(2026, 12, 31)
    }


@pytest.mark.parametrize("scope_code", ["200000001", "99101"])
def test_a_target_after_its_objectives_deadline_is_refused(
    organisation: Organisation, scope_code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _target(scope_code, date(2027, 12, 31))
    message = refused.value.messages[0]
    assert "31/12/2027" in message
    assert "Couverture très haut débit" in message
    assert "au plus tard au 31/12/2026" in message
    assert not Target.objects.exists()


def test_a_target_on_the_deadline_is_accepted(organisation: Organisation) -> None:
    assert _target("99101", OBJECTIVE_DEADLINE).target_date == OBJECTIVE_DEADLINE


def test_another_organisations_objectives_do_not_constrain(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    Objective.objects.filter(organisation=organisation).update(deadline=date(2025, 6, 30))
    assert _target("99201", OBJECTIVE_DEADLINE).target_date == OBJECTIVE_DEADLINE


def test_the_admin_refuses_a_target_after_the_deadline(organisation: Organisation) -> None:
    target = Target(
        indicator=IndicatorDefinition.objects.get(code=FTTH),
        scope=Scope.objects.get(code="99101"),
        baseline_value=Decimal(60),
        baseline_date=date(2024, 12, 31),
        target_value=Decimal(100),
        target_date=date(2027, 12, 31),
    )
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert "target_date" in refused.value.message_dict


def _objective_form(objective: Objective, deadline: date) -> ObjectiveForm:
    return ObjectiveForm(
        instance=objective,
        data={
            "organisation": objective.organisation_id,
            "axis": objective.axis_id,
            "title": objective.title,
            "deadline": deadline.isoformat(),
            "position": objective.position,
            "indicators": [d.pk for d in objective.indicators.all()],
        },
    )


def test_an_objectives_deadline_may_not_move_before_a_target(organisation: Organisation) -> None:
    _target("99102", OBJECTIVE_DEADLINE)
    objective = Objective.objects.get(organisation=organisation, indicators__code=FTTH)
    form = _objective_form(objective, date(2026, 6, 30))
    assert not form.is_valid()
    assert "Bêta" in form.errors["deadline"][0]
    assert "avancez d'abord cette cible" in form.errors["deadline"][0]
    assert _objective_form(objective, date(2027, 6, 30)).is_valid()
