"""territoire roadmap link-indicators [--organisation SIREN] [--dry-run]"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.roadmap.services import link_module_indicators
from territoire.territory.models import Organisation


class Command(BaseCommand):
    help = "Roadmap maintenance."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        link = sub.add_parser(
            "link-indicators",
            help="link the indicators modules compute to the objectives of their axis "
            "(organisations created before a module was installed)",
        )
        link.add_argument("--organisation", metavar="SIREN", help="one organisation (default: all)")
        link.add_argument("--dry-run", action="store_true", help="say what would be linked, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = Organisation.objects.order_by("name")
        siren = options.get("organisation")
        if siren:
            organisations = organisations.filter(siren=siren)
            if not organisations.exists():
                raise CommandError(f"--organisation {siren}: no organisation with this SIREN", returncode=2)
        dry_run = options["dry_run"]
        total = 0
        for organisation in organisations:
            links = link_module_indicators(organisation, dry_run=dry_run)
            total += len(links)
            for link in links:
                self.stdout.write(f"  {organisation.name}: {link.axis} / {link.objective} ← {link.indicator}")
        verb = "would be linked (dry run: nothing changed)" if dry_run else "linked"
        self.stdout.write(
            self.style.SUCCESS(
                f"{total} indicator(s) {verb}; {organisations.count()} organisation(s) checked."
            )
        )
