"""territoire indicators compute | import | list"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.indicators import registry
from territoire.indicators.models import IndicatorDefinition
from territoire.indicators.services import MeasurementInputError, compute_all, import_csv


class Command(BaseCommand):
    help = "Compute, import and list indicator figures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        compute = sub.add_parser("compute", help="run every registered indicator and aggregate communes")
        compute.add_argument("--periods", type=int, default=2, help="how many recent periods to (re)compute")
        compute.add_argument(
            "--module",
            action="append",
            metavar="LABEL",
            help="only the indicators of this module (repeatable; default: every module)",
        )
        imp = sub.add_parser("import", help="import figures from CSV (all or nothing)")
        imp.add_argument(
            "file", help="CSV with columns indicator,scope,period_start,period_end,value[,note]; - for stdin"
        )
        sub.add_parser("list", help="list the indicator definitions and the registered computations")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _compute(self, options: dict[str, Any]) -> None:
        if options["periods"] < 1:
            raise CommandError("--periods must be 1 or more", returncode=2)
        modules = options.get("module")
        if modules:
            known = {spec.module for spec in registry.registered().values()}
            unknown = sorted(set(modules) - known)
            if unknown:
                raise CommandError(
                    f"--module {', '.join(unknown)}: no indicator registered by that module; "
                    f"modules with indicators: {', '.join(sorted(known))}",
                    returncode=2,
                )
        started = time.monotonic()
        summary = compute_all(
            periods=options["periods"],
            progress=lambda line: self.stdout.write(f"  {line}"),
            modules=modules,
        )
        s, a = summary.stored, summary.aggregated
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.indicators} registered indicator(s) over {summary.scopes} scope(s): "
                f"{summary.values} value(s) computed ({s.created} new, {s.corrected} corrected, "
                f"{s.unchanged} unchanged, {summary.skipped} without data); aggregation to organisations: "
                f"{a.created} new, {a.corrected} corrected, {a.unchanged} unchanged. "
                f"{time.monotonic() - started:.1f} s."
            )
        )

    def _import(self, options: dict[str, Any]) -> None:
        name = options["file"]
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}", returncode=2) from exc
        try:
            summary = import_csv(data, source_name=Path(name).name if name != "-" else "stdin")
        except MeasurementInputError as exc:
            for error in exc.errors:
                self.stderr.write(f"{name}: {error}")
            raise CommandError(
                f"{len(exc.errors)} error(s) in {name}; nothing was imported.", returncode=2
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{name}: {summary.created} new figure(s), {summary.corrected} correction(s), "
                f"{summary.unchanged} unchanged."
            )
        )

    def _list(self, options: dict[str, Any]) -> None:
        computed = registry.registered()
        for d in IndicatorDefinition.objects.order_by("code"):
            mark = "computed" if d.code in computed else d.source
            self.stdout.write(f"{d.code:45} {d.unit:16} {d.visibility:9} {mark}")
        missing = sorted(set(computed) - set(IndicatorDefinition.objects.values_list("code", flat=True)))
        for code in missing:
            self.stdout.write(f"{code:45} (registered; created at the next compute)")
