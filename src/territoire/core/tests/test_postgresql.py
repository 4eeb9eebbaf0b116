"""PostgreSQL connections: parameters bound by the server, repeated queries prepared."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend")


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_query_run_five_times_is_planned_once() -> None:
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT version FROM core_dataversion WHERE key = 'published'")
            cursor.fetchone()
    assert any("core_dataversion" in statement for statement in _prepared_statements())


@pytest.mark.django_db
def test_parameters_are_bound_by_the_server() -> None:
    # A query with parameters is prepared too: the server received "$1", not a literal.
    with connection.cursor() as cursor:
        for value in range(6):
            cursor.execute("SELECT %s::integer + 1", [value])
            assert cursor.fetchone() == (value + 1,)
    assert any("$1" in statement for statement in _prepared_statements())
