"""``core.rows``: a prepared INSERT writes exactly what ``save()`` writes, or refuses.

The report's rows (every kind of field, a prepared row given an id later) are tested in
``reports/tests/test_rows_reports.py``.

Run on SQLite and on PostgreSQL (``make postgres``): the statement is built per database.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from territoire.core import rows
from territoire.core.cache import bump_data_version, data_version
from territoire.core.models import AuditEvent, DataVersion
from territoire.territory.models import Organisation

pytestmark = pytest.mark.django_db


def columns(instance: models.Model) -> dict[str, Any]:
    """Every stored value, as read back from the database, but the id."""
    fresh = type(instance).objects.get(pk=instance.pk)
    return {
        f.attname: getattr(fresh, f.attname)
        for f in type(instance)._meta.concrete_fields
        if not f.primary_key
    }


def _audit(**extra: Any) -> AuditEvent:
    return AuditEvent(
        actor_label="public:open311",
        action="reports.submitted",
        object_type="reports.report",
        object_id="12",
        organisation_id=3,
        changes={"category": "voirie", "accents": "éàç", "nested": {"a": [1, 2]}},
        ip_address="2001:db8::1",
        **extra,
    )


def test_an_inserted_row_reads_back_as_a_saved_one() -> None:
    user = get_user_model().objects.create_user(username="agent", password="x" * 20)
    saved = _audit(actor=user)
    saved.save()
    inserted = rows.insert(_audit(actor=user))
    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert not inserted._state.adding
    assert inserted._state.db == "default"
    expected = columns(saved)
    got = columns(inserted)
    # auto_now_add: both set at their own insert.
    assert got.pop("created_at") >= expected.pop("created_at")
    assert got == expected


def test_one_query_and_the_statement_is_built_once() -> None:
    rows.insert(_audit())
    with CaptureQueriesContext(connection) as ctx:
        rows.insert(_audit())
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].upper().startswith("INSERT INTO")
    assert rows.plan(AuditEvent, "default") is rows.plan(AuditEvent, "default")


def test_only_new_rows() -> None:
    event = _audit()
    event.save()
    with pytest.raises(ValueError, match="only adds new rows"):
        rows.insert(event)
    numbered = _audit()
    numbered.pk = 10_000
    with pytest.raises(ValueError, match="only adds new rows"):
        rows.insert(numbered)


def test_refuses_a_published_model_whose_writes_must_bump_the_cache() -> None:
    with pytest.raises(TypeError, match="published app"):
        rows.insert(Organisation(name="X", siren="123456789", slug="x"))


def test_refuses_a_model_watched_by_a_save_signal() -> None:
    calls: list[Any] = []

    def watcher(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    post_save.connect(watcher, sender=DataVersion, dispatch_uid="test_rows.watcher")
    try:
        rows._plans.pop((DataVersion, "default"), None)
        with pytest.raises(TypeError, match="save signal receivers"):
            rows.insert(DataVersion(key="watched", version=1))
    finally:
        post_save.disconnect(dispatch_uid="test_rows.watcher", sender=DataVersion)
        rows._plans.pop((DataVersion, "default"), None)
    assert calls == []


def test_bump_is_one_statement_and_creates_a_missing_counter() -> None:
    DataVersion.objects.filter(key="rows-test").delete()
    before = data_version("rows-test")
    bump_data_version("rows-test")  # created at 1
    assert data_version("rows-test") == before + 1
    with CaptureQueriesContext(connection) as ctx:
        bump_data_version("rows-test")
    assert len(ctx.captured_queries) == 1
    assert data_version("rows-test") == before + 2


SAMPLES: list[Any] = [
    None,
    "",
    "texte <b>é</b>",
    0,
    42,
    -7,
    True,
    False,
    1.5,
    float(3),
    "12",
    Decimal("2.50"),
]


def _models() -> list[type[models.Model]]:
    from territoire.reports.models import Report, ReportEvent

    return [AuditEvent, Report, ReportEvent]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m._meta.label)
def test_values_stored_unchanged_are_those_django_would_store(model: type[models.Model]) -> None:
    """For every field a plan converts by type, and every sample value of such a type:
    the same database value as the field's own ``get_db_prep_save`` on this database."""
    checked = 0
    plan = rows.plan(model, "default")
    for field, kept in zip(plan.fields, plan.unchanged, strict=True):
        for value in SAMPLES:
            if type(value) not in kept:
                continue
            try:
                expected = field.get_db_prep_save(value, connection=connection)
            except (TypeError, ValueError):  # Django refuses it: a plan would store it as is
                pytest.fail(f"{field}: {value!r} kept as is, but Django refuses it")
            assert expected == value, (field, value)
            assert type(expected) is type(value), (field, value)
            checked += 1
    assert checked > 10


def test_only_exact_types_of_known_fields_skip_the_conversion() -> None:
    from django.utils.translation import gettext_lazy

    from territoire.reports.models import Report

    meta = Report._meta
    assert rows.unchanged_types(meta.get_field("description")) == {str, type(None)}
    assert rows.unchanged_types(meta.get_field("organisation")) == {int, type(None)}
    assert rows.unchanged_types(meta.get_field("organisation"), integers=False) == {type(None)}
    assert rows.unchanged_types(meta.get_field("supporters_count"), integers=False) == {type(None)}
    # PostgreSQL's backend types its integers (psycopg 3): a plan leaves them to Django there.
    plan = rows.plan(Report, "default")
    kept = plan.unchanged[plan.positions["organisation"]]
    assert (int in kept) == (connection.vendor == "sqlite")
    assert rows.unchanged_types(meta.get_field("is_open")) == {bool, type(None)}
    # Converted by Django: dates, UUIDs, JSON, IP addresses (normalised).
    for name in ("requested_at", "public_id", "attributes"):
        assert rows.unchanged_types(meta.get_field(name)) == frozenset(), name
    assert rows.unchanged_types(AuditEvent._meta.get_field("ip_address")) == frozenset()

    # A lazy translation is not a str: it goes Django's way and is stored as text.
    def audit(**fields: Any) -> AuditEvent:
        return AuditEvent(**{"actor_label": "x", "action": "a", "ip_address": None, **fields})

    prepared = rows.prepare(audit(actor_label=gettext_lazy("Erreur")))
    assert prepared.values[prepared.statement.positions["actor_label"]] == "Erreur"
    # An IPv6 address is stored normalised, as save() stores it.
    prepared = rows.prepare(audit(ip_address="2001:DB8:0:0:0:0:0:1"))
    field = AuditEvent._meta.get_field("ip_address")
    stored = prepared.values[prepared.statement.positions["ip_address"]]
    assert stored == field.get_db_prep_save("2001:db8::1", connection=connection)
    assert str(stored) == "2001:db8::1"


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 12, 1, 23, 5, 7, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 23, 5, 7, tzinfo=dt.UTC),  # no microseconds
        dt.datetime(2026, 6, 1, 8, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),  # Django's way
        None,
    ],
)
def test_date_times_are_written_as_django_writes_them(value: dt.datetime | None) -> None:
    from territoire.reports.models import Report

    field = Report._meta.get_field("due_at")  # a plain date-time (not auto_now)
    instance = Report(due_at=value)
    plan = rows.plan(Report, "default")
    index = plan.positions["due_at"]
    assert plan.utc_text[index] == (connection.vendor == "sqlite")
    got = plan.values(instance, connection)[index]
    expected = field.get_db_prep_save(value, connection=connection)
    assert got == expected
    assert type(got) is type(expected)


# --- rows.new: the positional construction ---------------------------------------------


def _state(instance: models.Model, callable_defaults: set[str]) -> dict[str, Any]:
    """Each column attribute (its type only for a default computed per call) and the
    related objects cached on the instance."""
    opts = type(instance)._meta
    values = {
        f.attname: type(v) if f.attname in callable_defaults else v
        for f in opts.concrete_fields
        for v in [getattr(instance, f.attname)]
    }
    cached = {
        f.name: f.get_cached_value(instance, None)
        for f in opts.concrete_fields
        if isinstance(f, models.ForeignKey) and f.is_cached(instance)
    }
    return {"values": values, "cached": cached, "adding": instance._state.adding, "db": instance._state.db}


def _callable_defaults(model: type[models.Model]) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields if callable(f.default)}


def test_new_builds_what_the_keyword_constructor_builds() -> None:
    from territoire.reports.models import Report, ReportEvent

    organisation = Organisation.objects.create(siren="200000172", name="CA", kind="CA", slug="ca")
    user = get_user_model().objects.create_user(username="agent", password="x")
    unsaved = Organisation(siren="200000180", name="Nouvelle", kind="CA", slug="nouvelle")
    cases: list[tuple[type[models.Model], dict[str, Any]]] = [
        (
            AuditEvent,
            {"action": "a.b", "actor": user, "organisation_id": organisation.pk, "changes": {"k": 1}},
        ),
        (AuditEvent, {"action": "a.b", "actor": None, "ip_address": "192.0.2.1"}),
        (AuditEvent, {}),
        (Report, {"organisation": organisation, "description": "Un trou", "lat": 1.5, "attributes": {}}),
        (Report, {"organisation_id": organisation.pk, "commune": None, "is_open": False}),
        (Report, {"organisation": unsaved}),
        (ReportEvent, {"kind": "submitted", "actor": user, "data": {"source": "web"}, "report": None}),
    ]
    for model, fields in cases:
        expected = model(**dict(fields))
        built = rows.new(model, **dict(fields))
        assert type(built) is model
        assert _state(built, _callable_defaults(model)) == _state(expected, _callable_defaults(model)), (
            model,
            fields,
        )


def test_new_refuses_what_the_keyword_constructor_refuses() -> None:
    from territoire.reports.models import Report

    user = get_user_model().objects.create_user(username="agent", password="x")
    with pytest.raises(ValueError, match="Organisation"):
        Report(organisation=user)
    with pytest.raises(ValueError, match="Organisation"):
        rows.new(Report, organisation=user)
    with pytest.raises(TypeError):
        Report(colour="red")
    with pytest.raises(TypeError, match="colour"):
        rows.new(Report, colour="red")


def test_an_unsaved_related_object_gives_its_id_when_prepared() -> None:
    from territoire.reports.models import Report

    organisation = Organisation(siren="200000172", name="CA", kind="CA", slug="ca")
    report = rows.new(Report, organisation=organisation)
    organisation.save()
    prepared_values = rows.prepare(report).values
    position = rows.plan(Report, "default").positions["organisation_id"]
    assert prepared_values[position] == organisation.pk
