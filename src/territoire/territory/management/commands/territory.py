"""territoire territory import-cog | import-zones | import-addresses"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from territoire.territory.ban import AddressImportError, import_addresses
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
        addresses = sub.add_parser(
            "import-addresses",
            help="import the territory's addresses from the BAN's per-département CSV (adresses-XX.csv[.gz])",
        )
        addresses.add_argument("file", type=Path, help="adresses-XX.csv or adresses-XX.csv.gz (BAN)")
        addresses.add_argument(
            "--commune", action="append", default=[], help="INSEE code to import (repeat); default: all"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if options["action"] == "import-cog":
                self._import_cog(options)
            elif options["action"] == "import-addresses":
                self._import_addresses(options)
                return
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

    def _import_addresses(self, options: dict[str, Any]) -> None:
        started = time.monotonic()
        communes = Commune.objects.filter(organisation__isnull=False)
        if options["commune"]:
            communes = communes.filter(insee_code__in=options["commune"])
            unknown = sorted(set(options["commune"]) - set(communes.values_list("insee_code", flat=True)))
            if unknown:
                raise CommandError(
                    _("--commune %(codes)s : commune inconnue du territoire.")
                    % {"codes": ", ".join(unknown)},
                    returncode=2,
                )
        self.stdout.write(_("Lecture de %(file)s…") % {"file": options["file"]})
        try:
            summary = import_addresses(
                options["file"], communes=list(communes), progress=lambda m: self.stdout.write(m)
            )
        except AddressImportError as exc:
            raise CommandError(f"{exc}\n" + _("Rien n'a été écrit."), returncode=2) from exc
        names = dict(communes.values_list("insee_code", "name"))
        for code, count in sorted(summary.by_commune.items()):
            self.stdout.write(
                _("%(name)s (%(code)s) : %(n)s adresses (%(before)s avant).")
                % {
                    "name": names.get(code, code),
                    "code": code,
                    "n": count,
                    "before": summary.replaced.get(code, 0),
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(n)s adresses importées pour %(c)s commune(s) ; %(lines)s lignes lues, %(skipped)s d'autres communes ignorées, en %(s).1f s."
                )
                % {
                    "n": sum(summary.by_commune.values()),
                    "c": len(summary.by_commune),
                    "lines": summary.lines,
                    "skipped": summary.skipped,
                    "s": time.monotonic() - started,
                }
            )
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
