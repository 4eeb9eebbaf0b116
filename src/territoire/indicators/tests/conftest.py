"""Helpers of the indicator spine's tests: template indicators and figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from territoire.indicators.models import IndicatorDefinition, MeasurementOrigin
from territoire.indicators.periods import Period
from territoire.indicators.services import CleanRow, StoreSummary, store_rows
from territoire.indicators.tests.helpers import INTERNAL_CODE, PUBLIC_CODE, month_end
from territoire.territory.models import Organisation, Scope


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Staff users are created with a password: the production hasher costs ~1 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_module_target_checks(monkeypatch: Any) -> None:
    """The spine's tests set targets far ahead, free of the roadmap's deadlines: the rule
    that a target may not pass its objective's deadline is the roadmap's, tested there
    (roadmap/tests/test_deadlines.py)."""
    monkeypatch.setattr("territoire.core.modules.target_checks", lambda: [])


@pytest.fixture
def public_indicator(organisation: Organisation) -> IndicatorDefinition:
    return IndicatorDefinition.objects.get(code=PUBLIC_CODE)


@pytest.fixture
def internal_indicator(organisation: Organisation) -> IndicatorDefinition:
    definition = IndicatorDefinition.objects.get(code=INTERNAL_CODE)
    assert not definition.is_public
    return definition


@pytest.fixture
def scope_of() -> Callable[[str], Scope]:
    def get(code: str) -> Scope:
        return Scope.objects.select_related("organisation", "commune").get(code=code)

    return get


@pytest.fixture
def record() -> Callable[..., StoreSummary]:
    """Store figures through the service: ``record(indicator, scope, {date: value})``."""

    def store(
        indicator: IndicatorDefinition,
        scope: Scope,
        figures: dict[date, Any],
        *,
        origin: str = MeasurementOrigin.MANUAL,
        provenance: str = "test",
    ) -> StoreSummary:
        rows = [
            CleanRow(indicator, scope, Period(day, month_end(day)), Decimal(str(value)))
            for day, value in figures.items()
        ]
        return store_rows(rows, origin=origin, provenance=provenance)

    return store
