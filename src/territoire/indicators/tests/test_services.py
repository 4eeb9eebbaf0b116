"""Writes to the spine: append-only history, aggregation to the organisation, computation."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from territoire.core.cache import data_version
from territoire.core.models import AuditEvent
from territoire.indicators import registry
from territoire.indicators.models import (
    Aggregate,
    Direction,
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
    Periodicity,
    Source,
)
from territoire.indicators.periods import Period, months
from territoire.indicators.services import (
    CleanRow,
    MeasurementInputError,
    aggregate_to_organisation,
    compute_all,
    import_csv,
    parse_value,
    set_target,
    store_rows,
    sync_registry,
    validate_rows,
)
from territoire.indicators.tests.helpers import ALPHA, BETA, DELTA, GAMMA, ORG, PUBLIC_CODE
from territoire.roadmap.models import Axis, Project, ProjectStatus
from territoire.territory.models import Organisation, Scope

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
JANUARY = Period(date(2025, 1, 1), date(2025, 1, 31))

Record = Callable[..., Any]
ScopeOf = Callable[[str], Scope]


def make_definition(code: str, aggregate: str = Aggregate.NONE, **extra: Any) -> IndicatorDefinition:
    return IndicatorDefinition.objects.create(
        code=code,
        name=code,
        unit="u",
        direction=Direction.HIGHER_IS_BETTER,
        method="test",
        aggregate=aggregate,
        **extra,
    )


def versions(indicator: IndicatorDefinition, scope: Scope) -> list[tuple[int, Decimal, bool]]:
    return [
        (m.version, m.value, m.is_current)
        for m in Measurement.objects.filter(indicator=indicator, scope=scope).order_by("version")
    ]


# --- Append-only history ---------------------------------------------------------------


def test_store_rows_creates_then_leaves_equal_values_alone(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf, record: Record
) -> None:
    alpha = scope_of(ALPHA)
    first = record(public_indicator, alpha, {JAN: "61.5", FEB: "62"})
    assert (first.created, first.corrected, first.unchanged) == (2, 0, 0)
    again = record(public_indicator, alpha, {JAN: "61.500000", FEB: "62"})
    assert (again.created, again.corrected, again.unchanged) == (0, 0, 2)
    assert Measurement.objects.count() == 2


def test_a_correction_keeps_the_history(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf, record: Record
) -> None:
    alpha = scope_of(ALPHA)
    record(public_indicator, alpha, {JAN: "10"})
    summary = record(public_indicator, alpha, {JAN: "11"})
    assert (summary.created, summary.corrected) == (0, 1)
    record(public_indicator, alpha, {JAN: "12"})
    assert versions(public_indicator, alpha) == [
        (1, Decimal("10"), False),
        (2, Decimal("11"), False),
        (3, Decimal("12"), True),
    ]
    v1, v2, v3 = Measurement.objects.filter(indicator=public_indicator, scope=alpha).order_by("version")
    assert v1.supersedes is None
    assert v2.supersedes == v1
    assert v3.supersedes == v2
    # Going back to an earlier value is a correction too, not a resurrection.
    record(public_indicator, alpha, {JAN: "10"})
    assert versions(public_indicator, alpha)[-1] == (4, Decimal("10"), True)


def test_a_measurement_cannot_be_changed_in_place(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf, record: Record
) -> None:
    record(public_indicator, scope_of(ALPHA), {JAN: "10"})
    measurement = Measurement.objects.get()
    measurement.value = Decimal("99")
    with pytest.raises(ValueError, match="append-only"):
        measurement.save()
    with pytest.raises(ValueError, match="append-only"):
        measurement.delete()
    assert Measurement.objects.get().value == Decimal("10")


def _raw(indicator: IndicatorDefinition, scope: Scope, version: int, *, current: bool) -> Measurement:
    return Measurement.objects.create(
        indicator=indicator,
        scope=scope,
        period_start=JANUARY.start,
        period_end=JANUARY.end,
        value=Decimal(version),
        version=version,
        is_current=current,
        origin=MeasurementOrigin.MANUAL,
        provenance="test",
    )


def test_the_database_allows_one_current_figure_per_period(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf
) -> None:
    alpha = scope_of(ALPHA)
    _raw(public_indicator, alpha, 1, current=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(public_indicator, alpha, 2, current=True)
    # A superseded version beside it is fine; so is a current figure for another scope.
    _raw(public_indicator, alpha, 2, current=False)
    _raw(public_indicator, scope_of(BETA), 1, current=True)


def test_the_database_refuses_a_duplicate_version(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf
) -> None:
    alpha = scope_of(ALPHA)
    _raw(public_indicator, alpha, 1, current=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(public_indicator, alpha, 1, current=False)


def test_the_database_refuses_a_period_ending_before_it_starts(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(
            indicator=public_indicator,
            scope=scope_of(ALPHA),
            period_start=date(2025, 2, 1),
            period_end=date(2025, 1, 31),
            value=1,
            origin=MeasurementOrigin.MANUAL,
            provenance="test",
        )


def test_store_rows_records_actor_audit_and_bumps_the_data_version(
    public_indicator: IndicatorDefinition, scope_of: ScopeOf, make_staff: Callable[..., Any]
) -> None:
    user = make_staff(Organisation.objects.get(siren=ORG))
    before = data_version()
    row = CleanRow(public_indicator, scope_of(ALPHA), JANUARY, Decimal("5"), note="relevé")
    store_rows([row], origin=MeasurementOrigin.MANUAL, provenance="saisie:99101", actor=user)
    measurement = Measurement.objects.get()
    assert measurement.recorded_by == user
    assert measurement.note == "relevé"
    assert data_version() > before
    event = AuditEvent.objects.get(action="indicators.record")
    assert event.actor == user
    assert event.changes["created"] == 1
    # Nothing written: no audit event, no new data version.
    version = data_version()
    store_rows([row], origin=MeasurementOrigin.MANUAL, provenance="saisie:99101", actor=user)
    assert AuditEvent.objects.filter(action="indicators.record").count() == 1
    assert data_version() == version


def test_store_rows_with_nothing_to_store() -> None:
    summary = store_rows([], origin=MeasurementOrigin.MANUAL, provenance="test")
    assert (summary.created, summary.corrected, summary.unchanged) == (0, 0, 0)


# --- Validation (shared by the CSV import, the API and the staff pages) ------------------


@pytest.mark.parametrize("count", [1, 24])
def test_validate_rows_uses_two_queries_whatever_the_number_of_rows(
    public_indicator: IndicatorDefinition, django_assert_num_queries: Any, count: int
) -> None:
    periods = list(months(date(2023, 1, 1), count))
    rows = [
        (
            n,
            {
                "indicator": PUBLIC_CODE,
                "scope": ALPHA,
                "period_start": p.start,
                "period_end": p.end,
                "value": n,
            },
        )
        for n, p in enumerate(periods)
    ]
    with django_assert_num_queries(2):
        clean, errors = validate_rows(rows)
    assert len(clean) == count
    assert errors == []


def test_validate_rows_may_write_hides_other_scopes(public_indicator: IndicatorDefinition) -> None:
    row = {"indicator": PUBLIC_CODE, "scope": ORG, "period_start": "2025-01-01", "period_end": "2025-01-31"}
    clean, errors = validate_rows([(0, {**row, "value": "1"})], may_write=lambda scope: False)
    assert clean == []
    assert [(e.column, e.message.split(" (")[0]) for e in errors] == [
        ("scope", f"périmètre inconnu « {ORG} »")
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", Decimal("12")),
        ("12,5", Decimal("12.5")),
        ("-0,25", Decimal("-0.25")),
        ("1 234,5", Decimal("1234.5")),
        ("1\u202f234", Decimal("1234")),
        (3.25, Decimal("3.25")),
        (7, Decimal("7")),
        ("1e3", Decimal("1000")),
        ("0.1234567", Decimal("0.123457")),
        # 15 significant digits at most: what SQLite keeps.
        ("123456789012.345678", Decimal("123456789012.346")),
        ("9999999999999.99", Decimal("9999999999999.99")),
        ("-0", Decimal("0")),
    ],
)
def test_parse_value(raw: Any, expected: Decimal) -> None:
    assert parse_value(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "1,2,3", "1.234,5", "NaN", "sNaN", "inf", float("nan"), True, "1e13", "9999999999999.999999"],
)
def test_parse_value_refuses(raw: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (messages differ; each is checked in the import tests)
        parse_value(raw)


def test_import_csv_service_raises_with_every_error(public_indicator: IndicatorDefinition) -> None:
    text = (
        "indicator,scope,period_start,period_end,value\n" + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,x\n"
    )
    with pytest.raises(MeasurementInputError) as info:
        import_csv(text)
    assert [(e.line, e.column) for e in info.value.errors] == [(2, "value")]
    assert info.value.errors[0].as_dict() == {
        "line": 2,
        "field": "value",
        "message": "« x » n'est pas un nombre",
    }


def test_set_target(public_indicator: IndicatorDefinition, scope_of: ScopeOf) -> None:
    alpha = scope_of(ALPHA)
    target = set_target(
        indicator=public_indicator,
        scope=alpha,
        baseline_value=Decimal(50),
        baseline_date=date(2024, 1, 1),
        target_value=Decimal(80),
        target_date=date(2026, 12, 31),
    )
    again = set_target(
        indicator=public_indicator,
        scope=alpha,
        baseline_value=Decimal(50),
        baseline_date=date(2024, 1, 1),
        target_value=Decimal(90),
        target_date=date(2026, 12, 31),
    )
    assert again.pk == target.pk
    assert again.target_value == Decimal(90)
    with pytest.raises(ValueError, match="after the baseline"):
        set_target(
            indicator=public_indicator,
            scope=alpha,
            baseline_value=Decimal(50),
            baseline_date=date(2026, 1, 1),
            target_value=Decimal(80),
            target_date=date(2026, 1, 1),
        )


# --- Aggregation from communes to the organisation ---------------------------------------
# Alpha 10 (pop. 10,000), Bêta 20 (3,000), Gamma 40 (1,000).


@pytest.fixture
def three_communes(organisation: Organisation, scope_of: ScopeOf) -> dict[str, Scope]:
    return {code: scope_of(code) for code in (ALPHA, BETA, GAMMA, ORG)}


AGGREGATES = [
    (Aggregate.SUM, Decimal("70")),
    (Aggregate.MEAN, Decimal("23.333333")),  # 70 / 3
    (Aggregate.POPULATION_WEIGHTED_MEAN, Decimal("14.285714")),  # 200,000 / 14,000
    (Aggregate.MIN, Decimal("10")),
    (Aggregate.MAX, Decimal("40")),
]


def test_aggregate_to_organisation(
    organisation: Organisation, three_communes: dict[str, Scope], record: Record
) -> None:
    definitions = {aggregate: make_definition(f"test.{aggregate}", aggregate) for aggregate, _ in AGGREGATES}
    for definition in definitions.values():
        for code, value in ((ALPHA, 10), (BETA, 20), (GAMMA, 40)):
            record(definition, three_communes[code], {JAN: value})
    summary = aggregate_to_organisation(organisation)
    assert (summary.created, summary.corrected, summary.unchanged) == (5, 0, 0)
    for aggregate, expected in AGGREGATES:
        figure = Measurement.objects.get(indicator=definitions[aggregate], scope=three_communes[ORG])
        assert figure.value == expected, aggregate
        assert (figure.period_start, figure.period_end) == (JANUARY.start, JANUARY.end)
        assert figure.origin == MeasurementOrigin.AGGREGATED
        assert figure.provenance == f"aggregated:{aggregate} (3/3 communes)"
        assert figure.note == "3/3"


def test_aggregation_states_its_coverage_and_follows_corrections(
    organisation: Organisation, three_communes: dict[str, Scope], record: Record
) -> None:
    definition = make_definition("test.sum", Aggregate.SUM)
    record(definition, three_communes[ALPHA], {JAN: 10})
    record(definition, three_communes[BETA], {JAN: 20})
    aggregate_to_organisation(organisation)
    org = three_communes[ORG]
    figure = Measurement.objects.get(indicator=definition, scope=org)
    assert (figure.value, figure.provenance) == (Decimal(30), "aggregated:sum (2/3 communes)")
    # Idempotent.
    assert aggregate_to_organisation(organisation).unchanged == 1
    # A commune's correction and a late commune: the aggregate becomes version 2.
    record(definition, three_communes[BETA], {JAN: 25})
    record(definition, three_communes[GAMMA], {JAN: 5})
    summary = aggregate_to_organisation(organisation)
    assert (summary.created, summary.corrected) == (0, 1)
    assert versions(definition, org) == [(1, Decimal(30), False), (2, Decimal(40), True)]
    current = Measurement.objects.get(indicator=definition, scope=org, is_current=True)
    assert current.provenance == "aggregated:sum (3/3 communes)"


def test_a_direct_organisation_figure_wins_over_the_aggregate(
    organisation: Organisation, three_communes: dict[str, Scope], record: Record
) -> None:
    definition = make_definition("test.sum", Aggregate.SUM)
    for code in (ALPHA, BETA, GAMMA):
        record(definition, three_communes[code], {JAN: 10, FEB: 10})
    org = three_communes[ORG]
    record(definition, org, {JAN: 99}, provenance="import:figures.csv", origin=MeasurementOrigin.IMPORT)
    summary = aggregate_to_organisation(organisation)
    assert summary.created == 1  # February only
    assert versions(definition, org) == [(1, Decimal(99), True), (1, Decimal(30), True)]
    assert Measurement.objects.get(indicator=definition, scope=org, period_start=JAN).origin == "import"
    # A direct figure recorded after an aggregate supersedes it, and stays.
    record(definition, org, {FEB: 31}, provenance="saisie")
    aggregate_to_organisation(organisation)
    feb = Measurement.objects.get(indicator=definition, scope=org, period_start=FEB, is_current=True)
    assert (feb.value, feb.version, feb.origin) == (Decimal(31), 2, MeasurementOrigin.MANUAL)


def test_aggregation_ignores_other_organisations_and_non_aggregated_indicators(
    organisation: Organisation,
    other_organisation: Organisation,
    three_communes: dict[str, Scope],
    record: Record,
    scope_of: ScopeOf,
) -> None:
    summed = make_definition("test.sum", Aggregate.SUM)
    local = make_definition("test.none", Aggregate.NONE)
    record(summed, three_communes[ALPHA], {JAN: 1})
    record(summed, scope_of(DELTA), {JAN: 1000})
    record(local, three_communes[ALPHA], {JAN: 7})
    aggregate_to_organisation(organisation)
    assert Measurement.objects.get(indicator=summed, scope=three_communes[ORG]).value == Decimal(1)
    assert not Measurement.objects.filter(indicator=local, scope=three_communes[ORG]).exists()
    assert not Measurement.objects.filter(scope=scope_of(other_organisation.siren)).exists()


def test_aggregation_of_long_figures_is_idempotent(
    organisation: Organisation, three_communes: dict[str, Scope], record: Record
) -> None:
    # A mean with more digits than SQLite keeps used to read back different from what was
    # computed, and every run recorded a new "correction".
    definition = make_definition("test.mean", Aggregate.MEAN)
    record(definition, three_communes[ALPHA], {JAN: "1234567890.1"})
    record(definition, three_communes[BETA], {JAN: "1234567890.2"})
    record(definition, three_communes[GAMMA], {JAN: "1234567891"})
    assert aggregate_to_organisation(organisation).created == 1
    assert Measurement.objects.get(indicator=definition, scope=three_communes[ORG]).value == Decimal(
        "1234567890.43333"
    )
    assert aggregate_to_organisation(organisation).unchanged == 1


def test_aggregation_since(
    organisation: Organisation, three_communes: dict[str, Scope], record: Record
) -> None:
    definition = make_definition("test.sum", Aggregate.SUM)
    record(definition, three_communes[ALPHA], {date(2024, 12, 1): 1, JAN: 2})
    assert aggregate_to_organisation(organisation, since=JAN).created == 1
    assert Measurement.objects.get(indicator=definition, scope=three_communes[ORG]).period_start == JAN


# --- Computed indicators (the registry) ---------------------------------------------------


@pytest.fixture
def projects(organisation: Organisation) -> list[Project]:
    axis = Axis.objects.filter(organisation=organisation).order_by("position").first()
    assert axis is not None

    def project(title: str, cost: int, spent: int, progress: int, status: str) -> Project:
        return Project.objects.create(
            organisation=organisation,
            axis=axis,
            title=title,
            value_score=3,
            complexity_score=2,
            cost=Decimal(cost),
            spent=Decimal(spent),
            progress=progress,
            status=status,
            target_year=2025,
            target_quarter=4,
        )

    return [
        project("Fibre des écoles", 1000, 250, 50, ProjectStatus.IN_PROGRESS),
        project("Guichet numérique", 3000, 600, 10, ProjectStatus.PLANNED),
        # Cancelled projects do not count.
        project("Abandonné", 5000, 5000, 100, ProjectStatus.CANCELLED),
    ]


TODAY = date(2025, 3, 15)
MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))


def test_compute_all_records_the_registered_indicators(
    organisation: Organisation, other_organisation: Organisation, projects: list[Project]
) -> None:
    assert {"roadmap.portfolio_progress", "roadmap.budget_consumed"} <= set(registry.registered())
    summary = compute_all(today=TODAY)
    org = Scope.objects.get(code=ORG)
    progress = Measurement.objects.get(indicator__code="roadmap.portfolio_progress", scope=org)
    # Cost-weighted progress: (1000 × 50 + 3000 × 10) / 4000 = 20 %.
    assert progress.value == Decimal(20)
    assert (progress.period_start, progress.period_end) == (MARCH.start, MARCH.end)
    assert progress.origin == MeasurementOrigin.COMPUTED
    assert progress.provenance == "computed:roadmap.portfolio_progress@v1"
    # Spent ÷ cost: (250 + 600) × 100 / 4000 = 21.25 %.
    budget = Measurement.objects.get(indicator__code="roadmap.budget_consumed", scope=org)
    assert budget.value == Decimal("21.25")
    assert budget.provenance == "computed:roadmap.budget_consumed@v1"
    # The other organisation has no project: nothing recorded, counted as skipped.
    assert not Measurement.objects.filter(
        scope__code="200000002", indicator__code__startswith="roadmap."
    ).exists()
    assert summary.skipped >= 2
    assert summary.stored.created == summary.values
    definition = IndicatorDefinition.objects.get(code="roadmap.portfolio_progress")
    assert (definition.source, definition.module, definition.method_version) == (
        Source.COMPUTED,
        "roadmap",
        1,
    )


def test_compute_all_is_idempotent(organisation: Organisation, projects: list[Project]) -> None:
    compute_all(today=TODAY)
    count = Measurement.objects.count()
    second = compute_all(today=TODAY)
    assert (second.stored.created, second.stored.corrected) == (0, 0)
    assert second.stored.unchanged == second.values > 0
    assert Measurement.objects.count() == count
    # A change in the portfolio is a correction of the snapshot.
    Project.objects.filter(title="Guichet numérique").update(progress=30)
    third = compute_all(today=TODAY)
    assert third.stored.corrected == 1
    org = Scope.objects.get(code=ORG)
    progress = Measurement.objects.filter(indicator__code="roadmap.portfolio_progress", scope=org)
    # (1000 × 50 + 3000 × 30) / 4000 = 35 %.
    assert [(m.version, m.value, m.is_current) for m in progress.order_by("version")] == [
        (1, Decimal(20), False),
        (2, Decimal(35), True),
    ]


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the registry that the test may extend; restored afterwards."""
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))


def test_compute_all_runs_commune_indicators_over_periods_and_aggregates(
    organisation: Organisation, scratch_registry: None
) -> None:
    populations = {ALPHA: 10_000, BETA: 3_000, GAMMA: 1_000}

    @registry.indicator(
        code="test.per_commune",
        name="Per commune",
        unit="u",
        direction=Direction.LOWER_IS_BETTER,
        method="month number × population / 1000",
        scopes="commune",
        aggregate=Aggregate.SUM,
        version=3,
    )
    def per_commune(scope: Scope, period: Period) -> Decimal | None:
        if scope.code == GAMMA:
            return None  # no data for this commune
        return Decimal(period.start.month * populations[scope.code]) / 1000

    summary = compute_all(today=TODAY, periods=3, organisations=[organisation])
    stored = Measurement.objects.filter(indicator__code="test.per_commune")
    alpha = stored.filter(scope__code=ALPHA).order_by("period_start")
    assert [(m.period_start.month, m.value) for m in alpha] == [(1, 10), (2, 20), (3, 30)]
    assert {m.provenance for m in alpha} == {"computed:test.per_commune@v3"}
    assert not stored.filter(scope__code=GAMMA).exists()
    org = stored.filter(scope__code=ORG).order_by("period_start")
    # Sum of Alpha (10 × month) and Bêta (3 × month), two communes out of three.
    assert [(m.period_start.month, m.value, m.provenance) for m in org] == [
        (1, 13, "aggregated:sum (2/3 communes)"),
        (2, 26, "aggregated:sum (2/3 communes)"),
        (3, 39, "aggregated:sum (2/3 communes)"),
    ]
    assert summary.aggregated.created == 3
    assert summary.skipped >= 3  # Gamma, three periods


def test_compute_all_in_january_aggregates_december(
    organisation: Organisation, scratch_registry: None
) -> None:
    # Regression: the aggregation window started on 1 January, so the December figures
    # computed in January (default: two periods) never reached the organisation.
    @registry.indicator(
        code="test.counted",
        name="Counted",
        unit="u",
        direction=Direction.HIGHER_IS_BETTER,
        method="1 per commune",
        scopes="commune",
        aggregate=Aggregate.SUM,
    )
    def counted(scope: Scope, period: Period) -> Decimal | None:
        return Decimal(1)

    compute_all(today=date(2025, 1, 15), periods=2, organisations=[organisation])
    org = Measurement.objects.filter(indicator__code="test.counted", scope__code=ORG).order_by("period_start")
    assert [(m.period_start, m.value) for m in org] == [(date(2024, 12, 1), 3), (date(2025, 1, 1), 3)]


def test_registry_refuses_a_code_registered_twice_with_another_function(scratch_registry: None) -> None:
    def first(scope: Scope, period: Period) -> Decimal | None:
        return None

    def second(scope: Scope, period: Period) -> Decimal | None:
        return None

    options: dict[str, Any] = {
        "name": "x",
        "unit": "u",
        "direction": Direction.HIGHER_IS_BETTER,
        "method": "m",
    }
    registry.indicator(code="test.twice", **options)(first)
    # Importing the same module again registers the same function: fine.
    registry.indicator(code="test.twice", **options)(first)
    with pytest.raises(ValueError, match="registered twice"):
        registry.indicator(code="test.twice", **options)(second)
    assert registry.registered()["test.twice"].function is first
    with pytest.raises(ValueError, match="registered twice"):
        registry.indicator(code="roadmap.portfolio_progress", **options)(second)


def test_registry_refuses_an_unknown_direction(scratch_registry: None) -> None:
    def function(scope: Scope, period: Period) -> Decimal | None:
        return None

    with pytest.raises(ValueError, match="unknown direction"):
        registry.indicator(code="test.sideways", name="x", unit="u", direction="sideways", method="m")(
            function
        )
    assert "test.sideways" not in registry.registered()


def test_sync_registry_creates_the_definitions(db: Any) -> None:
    definitions = sync_registry()
    budget = definitions["roadmap.budget_consumed"]
    assert budget.source == Source.COMPUTED
    assert budget.unit == "%"
    assert budget.periodicity == Periodicity.MONTHLY
    assert "dépenses" in budget.method
    assert set(definitions) == set(registry.registered())


# --- Commands -----------------------------------------------------------------------------


def test_compute_command_prints_a_summary(organisation: Organisation, projects: list[Project]) -> None:
    out = io.StringIO()
    call_command("indicators", "compute", "--module", "roadmap", stdout=out)
    text = out.getvalue()
    assert "2 registered indicator(s) over 4 scope(s)" in text
    assert "2 value(s) computed (2 new, 0 corrected, 0 unchanged" in text
    assert "roadmap.portfolio_progress" in text  # progress lines
    out = io.StringIO()
    call_command("indicators", "compute", "--module", "roadmap", stdout=out)
    assert "2 value(s) computed (0 new, 0 corrected, 2 unchanged" in out.getvalue()
    # Every module by default.
    out = io.StringIO()
    call_command("indicators", "compute", stdout=out)
    assert f"{len(registry.registered())} registered indicator(s)" in out.getvalue()


def test_compute_command_refuses_an_unknown_module(db: Any) -> None:
    with pytest.raises(CommandError, match="no indicator registered by that module") as info:
        call_command("indicators", "compute", "--module", "nope", stdout=io.StringIO())
    assert info.value.returncode == 2


def test_compute_command_refuses_zero_periods(db: Any) -> None:
    with pytest.raises(CommandError) as info:
        call_command("indicators", "compute", "--periods", "0", stdout=io.StringIO())
    assert info.value.returncode == 2


def test_list_command_lists_codes(organisation: Organisation) -> None:
    out = io.StringIO()
    call_command("indicators", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith(PUBLIC_CODE) and "manual" in line for line in lines)
    assert any(line.startswith("cyber.incidents") and "internal" in line for line in lines)
    # Registered by the roadmap; its definition exists once an organisation's template linked it.
    assert any(line.startswith("roadmap.portfolio_progress") and "computed" in line for line in lines)
    sync_registry()
    out = io.StringIO()
    call_command("indicators", "list", stdout=out)
    assert any(
        line.startswith("roadmap.portfolio_progress") and line.rstrip().endswith("computed")
        for line in out.getvalue().splitlines()
    )
