"""territoire participation tally | import-pb | export-pb | import-census"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.participation import rules
from territoire.participation.census import digest, import_census, parse_birth_date, release_census_entry
from territoire.participation.errors import PabulibError, ParticipationError
from territoire.participation.models import CensusEntry, CensusKey, Envelope
from territoire.participation.pabulib import parse_pabulib
from territoire.participation.pabulib_io import export_pabulib_text
from territoire.participation.services.pabulib import import_pabulib
from territoire.territory.models import Commune, Organisation

RULE_CHOICES = ("greedy", "greedy-caps", "mes", "mes-complete")


class Command(BaseCommand):
    help = "Recompute a participatory budget's result, import/export Pabulib files, import a census list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        tally = sub.add_parser(
            "tally", help="print the projects a rule selects from a Pabulib file (stores nothing)"
        )
        tally.add_argument("file", help="a .pb file; - for stdin")
        tally.add_argument("--rule", required=True, choices=RULE_CHOICES)
        tally.add_argument("--satisfaction", default="cost", choices=("cost", "cardinality"))
        imp = sub.add_parser("import-pb", help="import a Pabulib file as a closed budget")
        imp.add_argument("file")
        imp.add_argument("--organisation", required=True, help="SIREN of the organisation")
        imp.add_argument("--commune", help="INSEE code of the commune (default: the whole organisation)")
        imp.add_argument("--title", default="", help="title of the budget (default: the file's description)")
        exp = sub.add_parser("export-pb", help="write the public Pabulib file of an envelope to stdout")
        exp.add_argument("budget", help="public id (UUID) or number of the budget")
        exp.add_argument("envelope", help="code of the envelope")
        census = sub.add_parser("import-census", help="import a commune's census list (stored hashed)")
        census.add_argument("file", help="CSV: nom;prenom;date_naissance[;quartier]")
        census.add_argument("--commune", required=True, help="INSEE code")
        census.add_argument("--keep", action="store_true", help="keep entries absent from the file")
        release = sub.add_parser(
            "release-census",
            help="free a claimed census entry (the resident, seen at the town hall, can then verify)",
        )
        release.add_argument("--commune", required=True, help="INSEE code")
        release.add_argument("--last-name", required=True)
        release.add_argument("--first-name", required=True)
        release.add_argument("--birth-date", required=True, help="YYYY-MM-DD or DD/MM/YYYY")
        release.add_argument("--reason", required=True, help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _read(self, name: str) -> bytes:
        try:
            return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}", returncode=2) from exc

    def _parse(self, name: str) -> Any:

        data = self._read(name)
        try:
            pb = parse_pabulib(data)
        except PabulibError as exc:
            where = f"{name}:{exc.line}" if exc.line is not None else name
            raise CommandError(f"{where}: {exc.message}", returncode=2) from exc
        # Read anyway (as pabutools does), but said: on stderr, so that stdout stays the result.
        for warning in pb.warnings:
            self.stderr.write(self.style.WARNING(f"{name}:{warning.line}: warning: {warning.message}"))
        return pb

    def _tally(self, options: dict[str, Any]) -> None:

        pb = self._parse(options["file"])
        caps = dict(pb.category_caps) if options["rule"] == "greedy-caps" else None
        try:
            election = rules.election_from_pabulib(pb)
            outcome = rules.tally(election, options["rule"], satisfaction=options["satisfaction"], caps=caps)
        except ValueError as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        for project_id in outcome.selected:
            self.stdout.write(str(project_id))

    def _organisation(self, siren: str) -> Any:

        organisation = Organisation.objects.filter(siren=siren).first()
        if organisation is None:
            raise CommandError(f"unknown organisation {siren!r} (give its SIREN)", returncode=2)
        return organisation

    def _commune(self, insee: str | None, organisation: Any = None) -> Any:

        if not insee:
            return None
        qs = Commune.objects.filter(insee_code=insee)
        if organisation is not None:
            qs = qs.filter(organisation=organisation)
        commune = qs.first()
        if commune is None:
            raise CommandError(f"unknown commune {insee!r}", returncode=2)
        return commune

    def _import_pb(self, options: dict[str, Any]) -> None:

        started = time.monotonic()
        organisation = self._organisation(options["organisation"])
        commune = self._commune(options.get("commune"), organisation)
        pb = self._parse(options["file"])
        self.stdout.write(
            f"  {options['file']}: {len(pb.projects)} project(s), {len(pb.votes)} ballot(s) read"
        )
        try:
            budget = import_pabulib(
                pb,
                organisation=organisation,
                commune=commune,
                title=options["title"],
                source_name=Path(options["file"]).name,
            )
        except ParticipationError as exc:
            raise CommandError(f"{options['file']}: {exc.message}", returncode=2) from exc
        envelope = budget.envelopes.get()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported budget {budget.public_id} (envelope {envelope.code!r}): {len(pb.projects)} project(s), "
                f"{len(pb.votes)} ballot(s), rule {budget.rule}. {time.monotonic() - started:.1f} s."
            )
        )

    def _export_pb(self, options: dict[str, Any]) -> None:

        ref = options["budget"]
        qs = Envelope.objects.select_related("budget").filter(code=options["envelope"])
        qs = (
            qs.filter(budget__pk=int(ref))
            if ref.isascii() and ref.isdecimal()
            else qs.filter(budget__public_id=ref)
        )
        try:
            envelope = qs.first()
        except Exception as exc:  # a malformed UUID
            raise CommandError(f"unknown budget {ref!r}", returncode=2) from exc
        if envelope is None:
            raise CommandError(f"unknown budget {ref!r} or envelope {options['envelope']!r}", returncode=2)
        self.stdout.write(export_pabulib_text(envelope), ending="")

    def _release_census(self, options: dict[str, Any]) -> None:
        commune = self._commune(options["commune"])
        try:
            born = parse_birth_date(options["birth_date"])
        except ValueError as exc:
            raise CommandError(
                f"--birth-date: unreadable date {options['birth_date']!r}", returncode=2
            ) from exc
        key = CensusKey.objects.filter(commune=commune).first()
        value = digest(key.salt, options["last_name"], options["first_name"], born) if key else ""
        entry = CensusEntry.objects.filter(commune=commune, digest=value).select_related("commune").first()
        if entry is None:
            raise CommandError(f"{commune.name}: no such person on the census list", returncode=2)
        if entry.claimed_by_id is None:
            self.stdout.write(f"{commune.name}: the entry is not claimed; nothing to do.")
            return
        try:
            release_census_entry(entry, actor=None, reason=options["reason"])
        except ParticipationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(f"{commune.name}: the entry is free (audited)."))

    def _import_census(self, options: dict[str, Any]) -> None:

        commune = self._commune(options["commune"])
        data = self._read(options["file"])
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{options['file']}: not UTF-8 text", returncode=2) from exc
        try:
            report = import_census(commune, text, replace=not options["keep"])
        except ParticipationError as exc:
            raise CommandError(f"{options['file']}: {exc.message}", returncode=2) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{commune.name}: {report.created} new, {report.unchanged} unchanged, {report.removed} removed "
                "(stored as keyed hashes)."
            )
        )
