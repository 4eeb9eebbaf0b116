"""`territoire demo`: the Rives & Vallons territory, deterministic for a seed."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.test import Client
from shapely import STRtree, unary_union
from shapely.geometry import shape

from territoire.core.demo import DEMO_SIREN, DemoContext
from territoire.indicators.models import (
    Aggregate,
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
    Target,
)
from territoire.indicators.services import QUANTUM
from territoire.roadmap.models import Axis, Decision, FundingLine, Objective, Partner, Project, Risk
from territoire.roadmap.template import AXES
from territoire.territory import demo as territory_demo
from territoire.territory.models import Commune, Membership, Organisation, Scope, Zone

pytestmark = pytest.mark.django_db

COMMUNES = 7
MONTHS = 6
TEMPLATE_CODES = [spec.code for axis in AXES for spec in axis.indicators]


def run_demo(**options: Any) -> str:
    out = io.StringIO()
    call_command("demo", communes=COMMUNES, months=MONTHS, seed=1, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return run_demo()


def org() -> Organisation:
    return Organisation.objects.get(siren=DEMO_SIREN)


def test_builds_rives_et_vallons(demo: str) -> None:
    organisation = org()
    assert organisation.name == "Rives & Vallons"
    communes = list(Commune.objects.filter(organisation=organisation).order_by("insee_code"))
    assert len(communes) == COMMUNES
    assert communes[0].name == "Valmont-sur-Mer"
    assert len({c.name for c in communes}) == COMMUNES
    assert all(c.population > 0 for c in communes)
    assert Zone.objects.filter(commune=communes[0]).count() >= 3
    assert Scope.objects.filter(commune__organisation=organisation).count() == COMMUNES


@pytest.mark.parametrize("communes", [1, 2, 5, 7, 50])
def test_communes_tile_the_territory(communes: int) -> None:
    # The territory's own step of the demo: the other modules do not change the zones.
    territory_demo.populate(
        DemoContext(communes=communes, months=2, seed=1, today=date(2026, 6, 1), rng=random.Random(1))
    )
    zones = list(Zone.objects.select_related("commune").order_by("commune__insee_code", "id"))
    assert len(zones) == communes + 3  # Valmont's four districts, one "Bourg" elsewhere
    shapes = [shape(zone.geometry) for zone in zones]
    assert all(s.is_valid and s.geom_type == "Polygon" and s.area > 0 for s in shapes)
    # No two zones overlap (they may share a border), and together they are one piece.
    tree = STRtree(shapes)
    for i, s in enumerate(shapes):
        for j in tree.query(s, predicate="intersects"):
            if j != i:
                assert s.intersection(shapes[j]).area < 1e-12, (zones[i].name, zones[j].name)
    whole = unary_union(shapes)
    assert whole.geom_type == "Polygon"
    assert abs(whole.area - sum(s.area for s in shapes)) < 1e-12


def test_roadmap_projects_and_funding(demo: str) -> None:
    organisation = org()
    assert list(Axis.objects.filter(organisation=organisation).values_list("name", flat=True)) == [
        str(spec.name) for spec in AXES
    ]
    assert Objective.objects.filter(organisation=organisation).count() == 6
    assert Risk.objects.filter(organisation=organisation).count() == 6
    assert Partner.objects.filter(organisation=organisation, name="ANSSI").exists()
    projects = Project.objects.filter(organisation=organisation)
    assert projects.count() >= 10
    assert {p.axis.code for p in projects.select_related("axis")} == {spec.code for spec in AXES}
    assert projects.filter(title="Inscriptions scolaires en ligne", status="done").exists()
    assert FundingLine.objects.filter(project__organisation=organisation).count() >= projects.count()
    for project in projects.prefetch_related("funding_lines"):
        assert sum(f.amount for f in project.funding_lines.all()) == project.cost, project.title
    assert Decision.objects.filter(organisation=organisation).exists()


def test_staff_accounts_are_printed_and_scoped(demo: str) -> None:
    assert "Demo territory ready" in demo
    for username in ("admin", "dsi", "elu", "agent.valmont"):
        assert username in demo
        user = get_user_model().objects.get(username=username)
        assert user.is_staff
        assert Membership.objects.filter(user=user, organisation=org()).exists()
    agent = Membership.objects.get(user__username="agent.valmont")
    assert agent.commune is not None
    assert agent.commune.name == "Valmont-sur-Mer"


def test_monthly_figures_for_every_template_indicator_and_commune(demo: str) -> None:
    organisation = org()
    definitions = {d.code: d for d in IndicatorDefinition.objects.filter(code__in=TEMPLATE_CODES)}
    assert set(definitions) == set(TEMPLATE_CODES)
    periods: dict[tuple[str, str], set[tuple[date, date]]] = defaultdict(set)
    for code, scope, start, end in Measurement.objects.filter(
        is_current=True, indicator__code__in=TEMPLATE_CODES
    ).values_list("indicator__code", "scope__code", "period_start", "period_end"):
        periods[(code, scope)].add((start, end))
    communes = list(Commune.objects.filter(organisation=organisation).values_list("insee_code", flat=True))
    for code, definition in definitions.items():
        # A figure that does not aggregate from the communes (the shared server room's PUE)
        # is the organisation's own.
        scopes = (
            [organisation.siren]
            if definition.aggregate == Aggregate.NONE
            else [*communes, organisation.siren]
        )
        for scope in scopes:
            months = sorted(periods[(code, scope)])
            assert len(months) == MONTHS, (code, scope, months)
            for start, end in months:
                assert start.day == 1
                assert (end.month, end.year) == (start.month, start.year)
            # Consecutive months.
            assert all(
                (b[0].year * 12 + b[0].month) - (a[0].year * 12 + a[0].month) == 1
                for a, b in pairwise(months)
            )


def test_percentages_stay_within_bounds(demo: str) -> None:
    for value in Measurement.objects.filter(
        indicator__unit="%", indicator__code__in=TEMPLATE_CODES
    ).values_list("value", flat=True):
        assert Decimal(0) <= value <= Decimal(100)


def test_targets_for_communes_and_organisation(demo: str) -> None:
    organisation = org()
    org_scope = Scope.objects.get(organisation=organisation)
    assert Target.objects.filter(scope=org_scope).count() == len(TEMPLATE_CODES)
    commune_targets = Target.objects.filter(scope__commune__organisation=organisation)
    aggregated = IndicatorDefinition.objects.filter(code__in=TEMPLATE_CODES).exclude(aggregate=Aggregate.NONE)
    assert commune_targets.count() == aggregated.count() * COMMUNES
    assert all(t.target_date > t.baseline_date for t in Target.objects.filter(scope=org_scope))


def test_organisation_values_are_the_aggregates_of_the_communes(demo: str) -> None:
    check_aggregates()


def check_aggregates() -> None:
    organisation = org()
    org_scope = Scope.objects.get(organisation=organisation)
    populations = dict(
        Commune.objects.filter(organisation=organisation).values_list("insee_code", "population")
    )
    values: dict[tuple[str, date], dict[str, Decimal]] = defaultdict(dict)
    for code, scope, start, value in Measurement.objects.filter(
        is_current=True, scope__commune__organisation=organisation, indicator__code__in=TEMPLATE_CODES
    ).values_list("indicator__code", "scope__code", "period_start", "value"):
        values[(code, start)][scope] = value
    org_values = {
        (m.indicator.code, m.period_start): m
        for m in Measurement.objects.filter(is_current=True, scope=org_scope).select_related("indicator")
    }
    checked = 0
    for (code, start), by_commune in values.items():
        definition = IndicatorDefinition.objects.get(code=code)
        figure = org_values[(code, start)]
        assert figure.origin == MeasurementOrigin.AGGREGATED
        if definition.aggregate == Aggregate.SUM:
            expected = sum(by_commune.values(), Decimal(0))
        elif definition.aggregate == Aggregate.MEAN:
            expected = sum(by_commune.values(), Decimal(0)) / len(by_commune)
        elif definition.aggregate == Aggregate.MAX:
            expected = max(by_commune.values())
        else:
            assert definition.aggregate == Aggregate.POPULATION_WEIGHTED_MEAN
            weight = sum(populations[s] for s in by_commune)
            expected = sum((v * populations[s] for s, v in by_commune.items()), Decimal(0)) / weight
        assert figure.value == expected.quantize(QUANTUM), (code, start)
        checked += 1
    assert checked == (len(TEMPLATE_CODES) - 1) * MONTHS


def test_aggregates_stay_consistent_early_in_the_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's correction may fall in the previous year, which compute_all does not re-aggregate."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 2, 15))
    run_demo()
    check_aggregates()


def test_history_keeps_one_correction(demo: str) -> None:
    superseded = Measurement.objects.filter(is_current=False, scope__commune__organisation=org())
    assert superseded.count() >= 1
    old = superseded.first()
    assert old is not None
    new = Measurement.objects.get(supersedes=old)
    assert new.version == old.version + 1
    assert new.value != old.value


def test_computed_roadmap_indicators(demo: str) -> None:
    org_scope = Scope.objects.get(organisation=org())
    codes = set(
        Measurement.objects.filter(scope=org_scope, origin=MeasurementOrigin.COMPUTED).values_list(
            "indicator__code", flat=True
        )
    )
    assert {"roadmap.portfolio_progress", "roadmap.budget_consumed"} <= codes


def test_the_public_pages_render(demo: str, client: Client) -> None:
    home = client.get(f"/t/{DEMO_SIREN}/")
    assert home.status_code == 200
    assert "Rives &amp; Vallons" in home.content.decode()
    assert home.content.count(b'<svg class="sparkline"') >= 10
    assert client.get("/").status_code == 200
    assert client.get(f"/t/{DEMO_SIREN}/projets/").status_code == 200
    commune = Commune.objects.get(organisation=org(), name="Valmont-sur-Mer")
    assert client.get(f"/t/{commune.insee_code}/indicateurs/services.taux_usage/").status_code == 200


def snapshot() -> dict[str, Any]:
    """What the seed decides: names, populations, figures, targets, projects."""
    organisation = org()
    return {
        "communes": list(
            Commune.objects.filter(organisation=organisation)
            .order_by("insee_code")
            .values_list("insee_code", "name", "population", "postcodes")
        ),
        "figures": sorted(
            Measurement.objects.filter(indicator__code__in=TEMPLATE_CODES).values_list(
                "indicator__code", "scope__code", "period_start", "version", "is_current", "origin", "value"
            )
        ),
        "targets": sorted(
            Target.objects.values_list(
                "indicator__code", "scope__code", "baseline_value", "target_value", "target_date"
            )
        ),
        "projects": list(
            Project.objects.filter(organisation=organisation)
            .order_by("title")
            .values_list("title", "spent", "target_year", "target_quarter", "commune__insee_code")
        ),
    }


def test_same_seed_same_territory_and_no_silent_rebuild() -> None:
    first_output = run_demo()
    first = snapshot()
    first_org_pk = org().pk
    with pytest.raises(CommandError) as refused:
        run_demo()
    assert refused.value.returncode == 2
    assert "--reset" in str(refused.value)
    assert org().pk == first_org_pk  # nothing was touched
    second_output = run_demo(reset=True)
    assert "Previous demo territory deleted." in second_output
    assert org().pk != first_org_pk
    second = snapshot()
    generated = (len(TEMPLATE_CODES) - 1) * MONTHS * (COMMUNES + 1) + MONTHS
    # Plus the demo's one correction (and the organisation figure aggregated again from it).
    assert generated + 1 <= len(first["figures"]) <= generated + 2
    assert second == first
    # Same staff passwords too: they come from the seed.
    credentials = [line for line in first_output.splitlines() if "demo-" in line]
    assert credentials
    assert credentials == [line for line in second_output.splitlines() if "demo-" in line]


def test_another_seed_gives_other_figures() -> None:
    run_demo()
    first = snapshot()
    out = io.StringIO()
    call_command("demo", communes=COMMUNES, months=MONTHS, seed=2, reset=True, stdout=out)
    second = snapshot()
    assert second["communes"][:5] == first["communes"][:5]  # the named communes of the source document
    assert second["figures"] != first["figures"]


@pytest.mark.parametrize(("communes", "months"), [(0, 6), (3, 1)])
def test_bad_sizes_are_refused(communes: int, months: int, db: Any) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("demo", communes=communes, months=months, seed=1, stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert not Organisation.objects.filter(siren=DEMO_SIREN).exists()


def test_targets_fall_on_their_objectives_deadline(demo: str) -> None:
    """The page said "échéance 12/2026" while the targets (and the status) were for 12/2027."""
    organisation = org()
    deadlines = {
        d.pk: o.deadline
        for o in Objective.objects.filter(organisation=organisation).prefetch_related("indicators")
        for d in o.indicators.all()
    }
    targets = Target.objects.filter(indicator__code__in=TEMPLATE_CODES)
    assert targets.exists()
    for t in targets:
        assert t.target_date == deadlines[t.indicator_id], t


def test_baselines_are_the_first_figures_of_the_history(demo: str) -> None:
    """The organisation's baseline read 64.5 % while its history showed 60.0 for that month."""
    organisation = org()
    checked = 0
    for t in Target.objects.filter(
        Q(scope__organisation=organisation) | Q(scope__commune__organisation=organisation),
        indicator__code__in=TEMPLATE_CODES,
    ).select_related("indicator"):
        figure = Measurement.objects.get(
            indicator=t.indicator,
            scope_id=t.scope_id,
            is_current=True,
            period_start__lte=t.baseline_date,
            period_end__gte=t.baseline_date,
        )
        assert figure.value == t.baseline_value, (t.indicator.code, t.scope_id)
        checked += 1
    assert checked == Target.objects.filter(indicator__code__in=TEMPLATE_CODES).count()


def test_the_correction_is_told_apart_from_the_recomputation_it_causes(demo: str, client: Client) -> None:
    """The demo's corrected commune figure re-aggregates the organisation's: the organisation's
    page shows a recomputation, not a person's correction."""
    organisation = org()
    old = Measurement.objects.get(is_current=False, scope__commune__organisation=organisation)
    recomputed = Measurement.objects.get(
        is_current=False,
        scope__organisation=organisation,
        indicator=old.indicator,
        period_start=old.period_start,
    )
    assert Measurement.objects.get(supersedes=recomputed).origin == MeasurementOrigin.AGGREGATED
    page = client.get(f"/t/{DEMO_SIREN}/indicateurs/{old.indicator.code}/").content.decode()
    assert "dont 0 corrigée(s) par une personne et 1 recalculée(s) automatiquement" in page
    assert "recalculée automatiquement" in page.split('<tr class="superseded">')[1].split("</tr>")[0]


def test_addresses_in_ban_format_for_every_commune_inside_its_zones(demo: str) -> None:
    from territoire.reports import locate
    from territoire.territory import addresses
    from territoire.territory.models import Address

    communes = list(Commune.objects.filter(organisation=org()).order_by("insee_code"))
    counts = {c.insee_code: Address.objects.filter(commune=c).count() for c in communes}
    assert all(count >= 50 for count in counts.values()), counts
    index = locate.zone_index()
    for address in Address.objects.select_related("commune").order_by("?")[:50]:
        found = index.locate(address.lat, address.lon, {address.commune_id})
        assert found is not None, address.label
    valmont = communes[:1]
    found = addresses.search("12 rue des ecoles", valmont)
    assert [f.label for f in found] == ["12 Rue des Écoles, 44950 Valmont-sur-Mer"]
    assert "addresses (BAN format)" in demo
