"""The registry through which modules declare the indicators they compute.

A module names the file that holds its computing functions in its manifest
(``Manifest(indicators="territoire.reports.indicators")``) and decorates them::

    @indicator(
        code="reports.median_processing_days",
        name=_("Délai médian de traitement des signalements"),
        unit="jours",
        direction=Direction.LOWER_IS_BETTER,
        axis="services-publics-digitaux",
        aggregate=Aggregate.POPULATION_WEIGHTED_MEAN,
        method=_("Médiane, sur la période, du délai entre dépôt et clôture."),
    )
    def median_processing_days(scope: Scope, period: Period) -> Decimal | None: ...

At start-up the spine imports the ``indicators`` module of every manifest (the indicators
app's ``ready()``); ``territoire indicators compute`` then walks the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from territoire.core import modules
from territoire.core.disclosure import threshold
from territoire.indicators.models import Aggregate, Direction, Periodicity, Visibility

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from territoire.indicators.periods import Period
    from territoire.territory.models import Scope

ComputeFunction = Callable[["Scope", "Period"], Decimal | None]


@dataclass(frozen=True)
class ComputedIndicator:
    code: str
    name: str | Promise
    unit: str
    direction: str
    method: str | Promise
    function: ComputeFunction
    module: str
    description: str | Promise = ""
    axis: str = ""
    aggregate: str = Aggregate.NONE
    periodicity: str = Periodicity.MONTHLY
    visibility: str = Visibility.PUBLIC
    version: int = 1
    decimals: int = 1
    # "organisation", "commune" or "both": which scopes the function is called for.
    scopes: str = "organisation"
    # A snapshot reflects the state now (e.g. portfolio progress): it is computed for
    # the current period only, since past states cannot be recomputed.
    snapshot: bool = False

    @property
    def provenance(self) -> str:
        return f"computed:{self.code}@v{self.version}"


_registry: dict[str, ComputedIndicator] = {}


def indicator(
    *,
    code: str,
    name: str | Promise,
    unit: str,
    direction: str,
    method: str | Promise,
    **options: object,
) -> Callable[[ComputeFunction], ComputeFunction]:
    """Register the decorated function as the computation of indicator ``code``."""

    def register(function: ComputeFunction) -> ComputeFunction:
        if code in _registry and _registry[code].function is not function:
            raise ValueError(f"indicator {code!r} is registered twice")
        if direction not in Direction.values:
            raise ValueError(f"indicator {code!r}: unknown direction {direction!r}")
        module = function.__module__.split(".")[-2] if "." in function.__module__ else function.__module__
        _registry[code] = ComputedIndicator(
            code=code,
            name=name,
            unit=unit,
            direction=direction,
            method=method,
            function=function,
            module=module,
            **options,  # type: ignore[arg-type]
        )
        return function

    return register


def too_few_cases(cases: int, minimum: int | None = None, *, zero_published: bool = False) -> bool:
    """The rule every computed indicator applies: too few cases → no figure (return None).

    A figure that rests on fewer than ``minimum`` cases (reports closed, participants,
    contributions...) is not published; ``minimum`` defaults to the disclosure threshold
    k (``core.disclosure.threshold()``), for a figure about people. With
    ``zero_published``, no case at all still makes a figure (a rate of 0 % points at
    nobody, as a zero count is published by ``core.disclosure``).
    """
    if zero_published and cases == 0:
        return False
    return cases < (threshold() if minimum is None else minimum)


def registered() -> dict[str, ComputedIndicator]:
    return dict(_registry)


def unregister(code: str) -> None:
    """Forget indicator ``code`` (a module taken out of INSTALLED_APPS, in tests)."""
    _registry.pop(code, None)


def autodiscover() -> None:
    """Import the module each manifest declares under ``indicators`` (it registers them)."""
    modules.import_declared("indicators")
