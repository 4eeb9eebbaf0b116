"""territoire demo [--communes N] [--months M] [--seed S] [--reset]"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from territoire.core import modules
from territoire.core.cache import bump_data_version
from territoire.core.demo import DEMO_SIREN, DemoContext
from territoire.indicators.models import Measurement
from territoire.indicators.services import aggregate_to_organisation, compute_all
from territoire.roadmap.models import Project
from territoire.territory.models import Commune, Organisation, Scope


class Command(BaseCommand):
    help = "Build the demo territory (Rives & Vallons), deterministically for a given seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--communes", type=int, default=5, help="number of communes (≥ 1; default 5)")
        parser.add_argument("--months", type=int, default=24, help="months of history (≥ 2; default 24)")
        parser.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
        parser.add_argument("--reset", action="store_true", help="delete an existing demo territory first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["communes"] < 1 or options["months"] < 2:
            raise CommandError("--communes must be ≥ 1 and --months ≥ 2", returncode=2)
        existing = Organisation.objects.filter(siren=DEMO_SIREN).first()
        if existing and not options["reset"]:
            raise CommandError("the demo territory already exists; add --reset to rebuild it", returncode=2)
        started = time.monotonic()
        ctx = DemoContext(
            communes=options["communes"],
            months=options["months"],
            seed=options["seed"],
            today=timezone.localdate(),
            rng=random.Random(options["seed"]),
        )
        with transaction.atomic():
            if existing:
                # The only place figures are deleted: the demo territory as a whole.
                scopes = Scope.objects.filter(Q(organisation=existing) | Q(commune__organisation=existing))
                Measurement.objects.filter(scope__in=scopes).update(supersedes=None)
                Measurement.objects.filter(scope__in=scopes).delete()
                Project.objects.filter(organisation=existing).delete()
                Commune.objects.filter(organisation=existing).delete()
                existing.delete()
                self.stdout.write("Previous demo territory deleted.")
            for label, populate in modules.demo_steps():
                step = time.monotonic()
                summary = populate(ctx)
                self.stdout.write(f"  [{label}] {summary} ({time.monotonic() - step:.1f} s)")
            # The modules' own indicators over the last year of their demo activity (the
            # last quarter at benchmark scale: the work grows with scopes × periods).
            computed = compute_all(
                today=ctx.today,
                periods=min(ctx.months, 12 if ctx.communes <= 10 else 3),
                organisations=[ctx.organisation] if ctx.organisation else None,
            )
            self.stdout.write(
                f"  [indicators] {computed.values} value(s) computed by {computed.indicators} registered indicator(s)"
            )
            # Modules may have recorded or corrected commune figures after their own
            # aggregation (and compute_all only re-aggregates the current year): aggregate
            # the whole history once more so every organisation figure matches its communes.
            if ctx.organisation is not None:
                aggregated = aggregate_to_organisation(ctx.organisation)
                if aggregated.written:
                    self.stdout.write(
                        f"  [indicators] {aggregated.written} organisation figure(s) re-aggregated"
                    )
            bump_data_version()
        self.stdout.write(self.style.SUCCESS(f"Demo territory ready in {time.monotonic() - started:.1f} s."))
        self.stdout.write("Staff accounts (demo only; change them before any real use):")
        for username, password, role in ctx.credentials:
            self.stdout.write(f"  {username:15} {password:24} {role}")
        self.stdout.write(
            "Every staff account (élu included) sets up two-factor authentication (a TOTP app) at its first sign-in."
        )
