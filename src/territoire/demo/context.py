"""The demo territory is built by every app's ``demo.py`` in turn (the manifest way).

Each module exposes ``populate(ctx: DemoContext) -> str`` and returns a one-line
summary; the ``demo`` command calls them in the order of INSTALLED_APPS. Everything is
derived from ``ctx.rng`` so that a seed gives the same territory every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from territoire.territory.models import Commune, Organisation

DEMO_SIREN = "200099001"


@dataclass
class DemoContext:
    communes: int
    months: int
    seed: int
    today: date
    rng: random.Random
    organisation: Organisation | None = None
    commune_objects: list[Commune] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
