"""The demo territory is built by every module in turn (``Manifest.demo``).

Each module declares ``populate(ctx: DemoContext) -> str``, which returns a one-line
summary; the ``demo`` command calls them in the order of INSTALLED_APPS. Everything is
derived from ``ctx.rng`` so that a seed gives the same territory every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DEMO_SIREN = "200099001"


@dataclass
class DemoContext:
    communes: int
    months: int
    seed: int
    today: date
    rng: random.Random
    # The territory's records (territory.Organisation and Commune), set by its step: the
    # core names no module's model.
    organisation: Any = None
    commune_objects: list[Any] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
