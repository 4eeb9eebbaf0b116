"""Insert one new row with a statement built once: ``Model.save()`` for the hot write paths.

``Model.save()`` compiles its INSERT on every call; for a model of thirty fields the
compilation costs more than the insert itself, and an Open311 POST writes three rows
(the report, its history event, the audit record). ``insert(instance)`` builds the
statement once per model and database, then only converts the values (each field's own
``pre_save`` and ``get_db_prep_save``, as ``save()`` does) and runs it. A value that a
field stores as it is (a str for a text field, an int for a foreign key: ``_UNCHANGED``)
skips the field's conversion methods.

What it does not do, by design: call an overridden ``save()``, send the ``pre_save`` and
``post_save`` signals, or update an existing row. It is for the first write of rows of
models that no signal receiver watches: append-only records (history, audit), or a new
report, later updated with ``save()`` as usual. The first insert of a model on a
database checks that, and refuses a model with receivers (other than the cache's, which
ignores unpublished apps), a published app's model (its writes must bump the cache
version) or an inherited model. It runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

from territoire.core.modules import published_apps

M = TypeVar("M", bound=Model)

# The receiver of every model's post_save that bumps the published data's version.
_CACHE_RECEIVER_MODULE = "territoire.core.signals"


# Field classes whose conversion (``get_db_prep_save``) returns a value of these exact
# types unchanged, on every backend: the value is stored as it is, without the field's
# chain of method calls (a few microseconds a field, thirty fields a report). Exact
# classes only: a subclass may convert differently. Any other type, a subclass of these
# (a lazy translation, an enum member, a bool for an int) or any other field class takes
# Django's way.
_NONE = type(None)
_UNCHANGED: dict[type[Field[Any, Any]], frozenset[type]] = {
    **dict.fromkeys(
        (models.CharField, models.TextField, models.EmailField, models.URLField, models.SlugField),
        frozenset({str, _NONE}),
    ),
    **dict.fromkeys(
        (
            models.IntegerField,
            models.SmallIntegerField,
            models.BigIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
        ),
        frozenset({int, _NONE}),
    ),
    models.BooleanField: frozenset({bool, _NONE}),
    models.FloatField: frozenset({float, _NONE}),
}


def unchanged_types(field: Field[Any, Any], *, integers: bool = True) -> frozenset[type]:
    """The value types that ``field`` stores without conversion (see ``_UNCHANGED``).

    A foreign key stores its target's value: to an integer primary key, an int or None.
    ``integers=False`` for a database whose backend adapts integers (PostgreSQL with
    psycopg 3 gives them their exact type, ``Int4``, ``Int8``): only None is kept there.
    """
    if isinstance(field, models.ForeignKey):  # OneToOneField too: same conversion
        target = field.target_field
        if type(target) in (models.AutoField, models.BigAutoField, models.SmallAutoField):
            return frozenset({int, _NONE}) if integers else frozenset({_NONE})
        return frozenset()
    kept = _UNCHANGED.get(type(field), frozenset())
    if not integers and int in kept:
        return frozenset({_NONE})
    return kept


def _adapts_integers(connection: BaseDatabaseWrapper) -> bool:
    """Whether the backend turns an int into something else before sending it."""
    adapt = type(connection.ops).adapt_integerfield_value
    return adapt is not BaseDatabaseOperations.adapt_integerfield_value


class Plan:
    """The INSERT of one model on one database: its SQL and the fields behind each ``%s``."""

    __slots__ = ("attnames", "fields", "plain", "positions", "returning", "sql", "unchanged", "utc_text")

    def __init__(
        self,
        sql: str,
        fields: list[Field[Any, Any]],
        returning: bool,
        utc_text: bool = False,
        integers: bool = True,
    ) -> None:
        self.sql = sql
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.returning = returning
        # A field's position among the values, by name and by column attribute (report, report_id).
        self.positions = {name: i for i, f in enumerate(fields) for name in (f.name, f.attname)}
        self.unchanged = [unchanged_types(f, integers=integers) for f in fields]
        # Fields whose pre_save is Field's own (it reads the attribute): not auto_now
        # dates, files, or any other field that computes its value when saved.
        self.plain = [type(f).pre_save is Field.pre_save for f in fields]
        # The database keeps date-times as naive UTC text (SQLite): an aware UTC datetime
        # (timezone.now(), an auto_now field) is written as Django would, without its
        # chain of checks and conversions.
        self.utc_text = [utc_text and type(f) is models.DateTimeField for f in fields]

    def values(self, instance: Model, connection: BaseDatabaseWrapper) -> list[Any]:
        """The statement's parameters for ``instance``, as ``save()`` converts them."""
        out = []
        # A new instance holds every column in its __dict__: read there, not through the
        # field's descriptor (a call each).
        attributes = instance.__dict__
        for field, attname, unchanged, plain, utc_text in zip(
            self.fields, self.attnames, self.unchanged, self.plain, self.utc_text, strict=True
        ):
            if not plain:
                value = field.pre_save(instance, True)
            elif attname in attributes:
                value = attributes[attname]
            else:
                value = getattr(instance, attname)
            if type(value) in unchanged:
                out.append(value)
            elif utc_text and type(value) is datetime and value.tzinfo is UTC:
                out.append(str(value.replace(tzinfo=None)))
            else:
                out.append(field.get_db_prep_save(value, connection=connection))
        return out


_plans: dict[tuple[type[Model], str], Plan] = {}


def _check(model: type[Model]) -> None:
    opts = model._meta
    if opts.app_label in published_apps():
        raise TypeError(f"{opts.label}: a published app's rows are saved with save(), which bumps the cache")
    if opts.parents:
        raise TypeError(f"{opts.label}: rows.insert does not handle multi-table inheritance")
    for signal in (pre_save, post_save):
        sync_receivers, async_receivers = signal._live_receivers(model)
        receivers = [*sync_receivers, *async_receivers]
        watched = [r for r in receivers if getattr(r, "__module__", "") != _CACHE_RECEIVER_MODULE]
        if watched:
            raise TypeError(f"{opts.label} has save signal receivers ({watched!r}): use save()")


def plan(model: type[Model], alias: str) -> Plan:
    """The INSERT statement of ``model`` on database ``alias`` (built and checked once)."""
    key = (model, alias)
    found = _plans.get(key)
    if found is not None:
        return found
    _check(model)
    connection = connections[alias]
    opts = model._meta
    auto = opts.auto_field
    fields = [f for f in opts.local_concrete_fields if f is not auto and not getattr(f, "generated", False)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 (names only)
    returning = False
    if auto is not None and connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(auto.column)}"
        returning = True
    # Django's SQLite backend writes an aware date-time as naive text in the connection's
    # time zone (UTC unless the database's TIME_ZONE says otherwise).
    utc_text = connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC"
    _plans[key] = Plan(sql, fields, returning, utc_text, integers=not _adapts_integers(connection))
    return _plans[key]


class Prepared(Generic[M]):
    """A new row's INSERT with its values converted, ready to run (``rows.prepare``).

    It keeps the connection it was prepared for: run it in the same thread.
    """

    __slots__ = ("alias", "connection", "instance", "statement", "values")

    def __init__(
        self, instance: M, alias: str, statement: Plan, values: list[Any], connection: BaseDatabaseWrapper
    ) -> None:
        self.instance = instance
        self.alias = alias
        self.statement = statement
        self.values = values
        self.connection = connection

    def set(self, name: str, value: Any) -> None:
        """Give field ``name`` its value now (a row's id known only once another is inserted)."""
        setattr(self.instance, name, value)
        index = self.statement.positions[name]
        field = self.statement.fields[index]
        self.values[index] = field.get_db_prep_save(
            getattr(self.instance, field.attname), connection=self.connection
        )

    def execute(self, cursor: CursorWrapper | None = None) -> M:
        """Run the INSERT, set the instance's primary key and return the instance.

        ``cursor``: one of the same connection, to run several rows' INSERTs on one cursor.
        """
        if cursor is None:
            with self.connection.cursor() as own:
                return self.execute(own)
        instance = self.instance
        auto = type(instance)._meta.auto_field
        cursor.execute(self.statement.sql, self.values)
        if auto is not None:
            row = cursor.fetchone() if self.statement.returning else None
            setattr(instance, auto.attname, row[0] if row else cursor.lastrowid)
        instance._state.adding = False
        instance._state.db = self.alias
        return instance


# Per model: each concrete field in order, and whether a related object given by its
# name is turned into its id here (a ForeignKey; None: the model takes Django's way), with
# the field's name, column attribute and default looked up once.
Layout = list[tuple[str, str, Callable[[], Any], Field[Any, Any], "models.ForeignKey[Any, Any] | None"]]
_layouts: dict[type[Model], Layout | None] = {}


def _layout(model: type[Model]) -> Layout | None:
    fields = model._meta.concrete_fields
    layout: Layout | None
    if any(isinstance(f, models.OneToOneField) or getattr(f, "generated", False) for f in fields):
        layout = None  # a reverse one-to-one cache to fill, a generated column: Django's way
    else:
        layout = [
            (f.name, f.attname, f.get_default, f, f if isinstance(f, models.ForeignKey) else None)
            for f in fields
        ]
    _layouts[model] = layout
    return layout


def new(model: type[M], **fields: Any) -> M:
    """``model(**fields)`` for a new row, built the fast way: values in field order.

    Django's keyword construction goes through every field's descriptor (50 µs for a
    report of 36 fields); the positional one sets attributes (10 µs). The result is the
    same: a field not given gets its default; a related object given by name is checked,
    cached, and gives its id (or None if not saved yet: ``prepare`` takes it later, as
    ``save()`` does); an id may be given by column attribute (``commune_id``).
    """
    layout = _layouts[model] if model in _layouts else _layout(model)
    if layout is None:
        return model(**fields)
    values: list[Any] = []
    related: list[tuple[Field[Any, Any], Any]] = []
    for name, attname, default, field, foreign_key in layout:
        if name in fields:
            value = fields.pop(name)
            if foreign_key is not None:
                target: type[Model] = foreign_key.related_model  # type: ignore[assignment]
                if value is not None and not isinstance(value, target):
                    raise ValueError(f"{model._meta.label}.{name} must be a {target._meta.label} instance")
                related.append((field, value))
                value = None if value is None else getattr(value, foreign_key.target_field.attname)
        elif attname in fields:
            value = fields.pop(attname)
        else:
            value = default()
        values.append(value)
    if fields:
        raise TypeError(f"{model._meta.label} has no field named {', '.join(sorted(fields))}")
    instance = model(*values)
    for field, value in related:
        if value is not None:  # as the descriptor does: both sides get a database
            if instance._state.db is None:
                instance._state.db = router.db_for_write(model, instance=value)
            if value._state.db is None:
                value._state.db = router.db_for_write(type(value), instance=instance)
            if not router.allow_relation(value, instance):
                raise ValueError(f"{model._meta.label}.{field.name}: {value!r} is on another database")
        field.set_cached_value(instance, value)  # type: ignore[attr-defined]
    return instance


def prepare(instance: M, using: str | None = None) -> Prepared[M]:
    """Convert a new row's values now, to INSERT it later (``.execute()``).

    A write transaction holds SQLite's single write lock: converting the values before
    ``BEGIN`` keeps that work out of the lock.
    """
    model = type(instance)
    auto = model._meta.auto_field
    if not instance._state.adding or (auto is not None and getattr(instance, auto.attname) is not None):
        raise ValueError(f"{model._meta.label}: rows.insert only adds new rows, numbered by the database")
    alias = using or router.db_for_write(model, instance=instance)
    statement = plan(model, alias)
    # As save() does: a related object assigned before it was saved gives its id now.
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    connection = connections[alias]
    return Prepared(instance, alias, statement, statement.values(instance, connection), connection)


def insert(instance: M, using: str | None = None) -> M:
    """INSERT ``instance`` as a new row, set its primary key and return it."""
    prepare(instance, using).execute()
    return instance
