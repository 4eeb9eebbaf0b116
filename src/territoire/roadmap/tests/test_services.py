"""roadmap.services.create_project: how another module adds a project to the roadmap."""

from __future__ import annotations

from decimal import Decimal

from territoire.core.cache import data_version
from territoire.core.models import AuditEvent
from territoire.roadmap import selectors
from territoire.roadmap.models import Axis, FundingKind, ProjectStatus
from territoire.roadmap.services import create_project
from territoire.territory.models import Commune, Organisation


def test_a_project_with_its_own_funding_line_audited_and_published(
    organisation: Organisation, commune: Commune
) -> None:
    axis = Axis.objects.get(organisation=organisation, code="participation")
    before = data_version()
    project = create_project(
        axis,
        title="Jardin partagé",
        target_year=2027,
        commune_id=commune.pk,
        cost=12_000,
        self_funding_label="Enveloppe du budget participatif",
    )
    assert (project.organisation_id, project.status, project.progress) == (
        organisation.pk,
        ProjectStatus.PLANNED,
        0,
    )
    line = project.funding_lines.get()
    assert (line.kind, line.amount, line.label) == (
        FundingKind.AUTOFINANCEMENT,
        Decimal(12_000),
        "Enveloppe du budget participatif",
    )
    event = AuditEvent.objects.get(action="roadmap.create_project")
    assert (event.object_id, event.organisation_id) == (str(project.pk), organisation.pk)
    assert data_version() > before


def test_no_funding_line_without_a_cost(organisation: Organisation) -> None:
    axis = Axis.objects.filter(organisation=organisation).first()
    assert axis is not None
    project = create_project(axis, title="Charte", target_year=2027, self_funding_label="Budget")
    assert not project.funding_lines.exists()


def test_default_axis_prefers_the_code_then_the_first_axis(organisation: Organisation) -> None:
    assert selectors.default_axis(organisation.pk, "participation") == Axis.objects.get(
        organisation=organisation, code="participation"
    )
    first = Axis.objects.filter(organisation=organisation).order_by("position", "pk").first()
    assert selectors.default_axis(organisation.pk, "no-such-axis") == first
    assert selectors.default_axis(0, "participation") is None
