"""core.ids.uuid7: RFC 9562 layout, time order, randomness."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest

from territoire.core import ids
from territoire.core.ids import uuid7


def test_a_uuid7_has_the_version_and_variant_of_rfc_9562() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert str(uuid.UUID(str(value))) == str(value)


def test_a_uuid7_begins_with_the_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_uuid7s_made_later_sort_later_and_never_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    # The module's clock is replaced: "later" is the next millisecond, without waiting for it.
    now = {"ns": time.time_ns()}
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: now["ns"]))
    first = [uuid7() for _ in range(1000)]
    now["ns"] += 1_000_000
    second = [uuid7() for _ in range(1000)]
    assert max(first) < min(second)
    assert len({*first, *second}) == 2000
    # The 74 random bits vary (not a counter, not constant).
    assert len({u.int & ((1 << 62) - 1) for u in first}) == 1000
