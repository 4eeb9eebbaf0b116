"""territoire territory import-cog | import-zones"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.territory.models import Commune
from territoire.territory.services import TerritoryImportError, import_cog, import_zones


class Command(BaseCommand):
    help = "Describe the territory from official data: communes and EPCI (INSEE COG), zones (GeoJSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        cog = sub.add_parser(
            "import-cog", help="import an EPCI and its communes from the découpage administratif files"
        )
        cog.add_argument(
            "--communes", type=Path, required=True, help="communes.json (découpage administratif)"
        )
        cog.add_argument("--epci", type=Path, required=True, help="epci.json (découpage administratif)")
        cog.add_argument("--epci-code", required=True, help="SIREN of the EPCI to import")
        zones = sub.add_parser("import-zones", help="import a commune's zones (districts) from GeoJSON")
        zones.add_argument("file", type=Path, help="a GeoJSON FeatureCollection of Polygons")
        zones.add_argument("--commune", required=True, help="INSEE code of the commune")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if options["action"] == "import-cog":
                self._import_cog(options)
            else:
                self._import_zones(options)
        except TerritoryImportError as exc:
            raise CommandError(f"{exc}\nNothing was written.", returncode=2) from exc
        self.stdout.write(f"Done in {time.monotonic() - started:.2f} s.")

    def _import_cog(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"Reading {options['epci']} and {options['communes']} …")
        summary = import_cog(
            communes_path=options["communes"], epci_path=options["epci"], epci_code=options["epci_code"]
        )
        org = summary.organisation
        verb = "created" if summary.organisation_created else "already known"
        self.stdout.write(self.style.SUCCESS(f"{org.name} (SIREN {org.siren}) {verb}."))
        self.stdout.write(
            f"Communes: {len(summary.created)} created, {len(summary.updated)} updated, "
            f"{len(summary.unchanged)} unchanged, {len(summary.detached)} detached"
            + (f" ({', '.join(summary.detached)})" if summary.detached else "")
            + f"; population {org.population:,}."
        )

    def _import_zones(self, options: dict[str, Any]) -> None:
        commune = Commune.objects.filter(insee_code=options["commune"]).first()
        if commune is None:
            raise TerritoryImportError(
                f"--commune {options['commune']}: unknown commune; import it first with import-cog"
            )
        summary = import_zones(path=options["file"], commune=commune)
        self.stdout.write(
            self.style.SUCCESS(
                f"{commune.name}: {len(summary.created)} zone(s) created, {len(summary.updated)} updated."
            )
        )
