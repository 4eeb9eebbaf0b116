"""A new territory starts from the source document's roadmap, and may edit all of it."""

from __future__ import annotations

from typing import Any

import pytest

from territoire.indicators import registry
from territoire.indicators.models import Visibility
from territoire.roadmap.models import Axis, Objective, Partner, PartnerKind, Risk
from territoire.roadmap.services import apply_template
from territoire.roadmap.template import AXES, OBJECTIVE_DEADLINE
from territoire.territory.models import Organisation, OrganisationKind
from territoire.territory.services import create_organisation

pytestmark = pytest.mark.django_db

AXIS_NAMES = [
    "Connectivité et réseaux",
    "Inclusion numérique",
    "Cybersécurité",
    "Services publics digitaux",
    "Développement durable",
    "Participation citoyenne",
]


def snapshot(org: Organisation) -> dict[str, Any]:
    return {
        "axes": sorted(Axis.objects.filter(organisation=org).values_list("code", "name", "position")),
        "objectives": sorted(
            (o.axis.code, o.title, tuple(sorted(i.code for i in o.indicators.all())))
            for o in Objective.objects.filter(organisation=org).select_related("axis")
        ),
        "risks": sorted(Risk.objects.filter(organisation=org).values_list("title", "likelihood", "impact")),
        "partners": sorted(
            (p.name, p.kind, tuple(sorted(a.code for a in p.axes.all())))
            for p in Partner.objects.filter(organisation=org)
        ),
    }


def test_a_new_organisation_gets_the_six_axes_in_order(organisation: Organisation) -> None:
    axes = list(Axis.objects.filter(organisation=organisation).order_by("position"))
    assert [a.name for a in axes] == AXIS_NAMES
    assert [a.position for a in axes] == [1, 2, 3, 4, 5, 6]


def test_one_objective_per_axis_with_its_indicators(organisation: Organisation) -> None:
    objectives = Objective.objects.filter(organisation=organisation).select_related("axis")
    assert objectives.count() == 6
    by_axis = {o.axis.code: o for o in objectives}
    for spec in AXES:
        objective = by_axis[spec.code]
        assert objective.title == str(spec.objective)
        assert objective.deadline == OBJECTIVE_DEADLINE
        # The template's own indicators, and those modules compute for the axis.
        expected = [i.code for i in spec.indicators] + [
            code for code, computed in registry.registered().items() if computed.axis == spec.code
        ]
        assert sorted(i.code for i in objective.indicators.all()) == sorted(expected)
        assert objective.indicators.count() >= 2
    assert "Plan SOC mutualisé et PRA testés" in {o.title for o in objectives}


def test_template_indicators_keep_their_declared_properties(organisation: Organisation) -> None:
    cyber = Objective.objects.get(organisation=organisation, axis__code="cybersecurite")
    incidents = cyber.indicators.get(code="cyber.incidents")
    assert incidents.visibility == Visibility.INTERNAL
    mfa = cyber.indicators.get(code="cyber.taux_mfa")
    assert mfa.visibility == Visibility.PUBLIC
    assert mfa.unit == "%"
    assert mfa.method  # the method is shown publicly: never empty


def test_six_risks_rated_and_attached_to_their_axis(organisation: Organisation) -> None:
    risks = list(Risk.objects.filter(organisation=organisation).select_related("axis"))
    assert len(risks) == 6
    by_title = {r.title: r for r in risks}
    ransomware = by_title["Ransomware et fuites de données"]
    assert (ransomware.likelihood, ransomware.impact) == (4, 5)
    assert ransomware.axis is not None
    assert ransomware.axis.code == "cybersecurite"
    assert "MFA" in ransomware.mitigation
    assert {r.axis.code for r in risks if r.axis} == {spec.code for spec in AXES}


def test_key_partners_with_their_kind_and_axes(organisation: Organisation) -> None:
    partners = {p.name: p for p in Partner.objects.filter(organisation=organisation)}
    assert {"ANSSI", "ADEME", "Banque des Territoires"} <= set(partners)
    assert partners["ANSSI"].kind == PartnerKind.ETAT
    assert [a.code for a in partners["ANSSI"].axes.all()] == ["cybersecurite"]
    assert [a.code for a in partners["ADEME"].axes.all()] == ["durable"]
    assert partners["Banque des Territoires"].kind == PartnerKind.FINANCEUR
    assert len(partners) == sum(len(spec.partners) for spec in AXES)


def test_each_organisation_gets_its_own_copy(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    Axis.objects.filter(organisation=organisation, code="inclusion").update(name="Inclusion et médiation")
    other = Axis.objects.get(organisation=other_organisation, code="inclusion")
    assert other.name == "Inclusion numérique"
    assert Risk.objects.filter(organisation=other_organisation).count() == 6


def test_everything_is_editable(organisation: Organisation) -> None:
    axis = Axis.objects.get(organisation=organisation, code="durable")
    axis.name = "Sobriété numérique"
    axis.save()
    objective = axis.objectives.get()
    objective.title = "Réduire de 20 % l'énergie des services en ligne"
    objective.indicators.remove(*objective.indicators.filter(code="durable.pue"))
    objective.save()
    risk = Risk.objects.get(organisation=organisation, title="Surconsommation énergétique")
    risk.likelihood = 2
    risk.owner = "Direction des services techniques"
    risk.save()
    Partner.objects.filter(organisation=organisation, name="ADEME").delete()
    objective.refresh_from_db()
    assert objective.title.startswith("Réduire")
    assert list(objective.indicators.filter(code__startswith="durable.").values_list("code", flat=True)) == [
        "durable.wh_par_transaction"
    ]
    assert Risk.objects.get(pk=risk.pk).likelihood == 2
    assert not Partner.objects.filter(organisation=organisation, name="ADEME").exists()


def test_apply_template_is_idempotent(organisation: Organisation) -> None:
    before = snapshot(organisation)
    apply_template(organisation)
    apply_template(organisation)
    assert snapshot(organisation) == before


def test_apply_template_never_overwrites_edits(organisation: Organisation) -> None:
    Axis.objects.filter(organisation=organisation, code="connectivite").update(name="Réseaux et fibre")
    Risk.objects.filter(organisation=organisation, title="Fatigue participative").update(likelihood=1)
    apply_template(organisation)
    assert Axis.objects.get(organisation=organisation, code="connectivite").name == "Réseaux et fibre"
    assert Axis.objects.filter(organisation=organisation).count() == 6
    assert Risk.objects.get(organisation=organisation, title="Fatigue participative").likelihood == 1


def test_apply_template_does_not_bring_back_edited_records(organisation: Organisation) -> None:
    """Renamed objectives, risks and partners stay renamed: no template copy reappears."""
    objective = Objective.objects.get(organisation=organisation, axis__code="participation")
    objective.title = "Deux consultations par an"
    objective.save()
    Risk.objects.filter(organisation=organisation, title="Fatigue participative").update(
        title="Lassitude des habitants"
    )
    Partner.objects.filter(organisation=organisation, name="ANSSI").update(name="ANSSI (CSIRT régional)")
    before = snapshot(organisation)
    apply_template(organisation)
    assert snapshot(organisation) == before


def test_a_deleted_axis_comes_back_when_the_template_is_applied_again(organisation: Organisation) -> None:
    Axis.objects.filter(organisation=organisation, code="participation").delete()
    apply_template(organisation)
    axis = Axis.objects.get(organisation=organisation, code="participation")
    assert axis.name == "Participation citoyenne"
    assert axis.objectives.count() == 1
    # The risk and partners survived the deletion; they are reused, not duplicated.
    assert Risk.objects.filter(organisation=organisation).count() == 6
    assert list(Partner.objects.get(organisation=organisation, name="Startups civiques").axes.all()) == [axis]


def test_a_commune_on_its_own_also_starts_from_the_template(db: Any) -> None:
    org = create_organisation(siren="219900001", name="Ville Seule", kind=OrganisationKind.COMMUNE)
    assert Axis.objects.filter(organisation=org).count() == 6
