"""territoire reports create-api-key NAME | revoke-api-key PREFIX | list-api-keys
| plan-round --crew NAME --date YYYY-MM-DD [--organisation SIREN] | process-queue"""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.reports import selectors, services
from territoire.reports.models import Crew, RoundStop
from territoire.territory.models import Organisation


def _km(metres: float) -> str:
    return f"{metres / 1000:.2f} km"


class Command(BaseCommand):
    help = "Residents' reports: Open311 application keys, crew rounds, the queue of deferred requests."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        create = sub.add_parser("create-api-key", help="create an Open311 application key (printed once)")
        create.add_argument("name", help="the application's name")
        create.add_argument("--organisation", default="", help="SIREN: limit the key to this organisation")
        revoke = sub.add_parser("revoke-api-key", help="revoke a key, given its first characters")
        revoke.add_argument(
            "prefix", help="the key's prefix as listed by list-api-keys (trt_…, or o311_… for older keys)"
        )
        sub.add_parser("list-api-keys", help="list the Open311 application keys (prefixes only)")
        plan = sub.add_parser("plan-round", help="plan a crew's round through its open assigned reports")
        plan.add_argument("--crew", required=True, help="the crew's name")
        plan.add_argument("--date", required=True, help="the day of the round, YYYY-MM-DD")
        plan.add_argument(
            "--organisation", default="", help="SIREN, when several organisations have this crew"
        )
        plan.add_argument(
            "--time-limit", type=float, default=1.5, help="solver time limit in seconds (default 1.5)"
        )
        queue = sub.add_parser("process-queue", help="turn queued Open311 requests into reports")
        queue.add_argument("--limit", type=int, default=500, help="at most this many requests (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    @staticmethod
    def _organisation(siren: str) -> Organisation | None:
        if not siren:
            return None
        organisation = Organisation.objects.filter(siren=siren).first()
        if organisation is None:
            raise CommandError(f"no organisation with SIREN {siren!r}", returncode=2)
        return organisation

    def _create_api_key(self, options: dict[str, Any]) -> None:
        try:
            key, raw = services.create_api_key(
                options["name"], organisation=self._organisation(options["organisation"])
            )
        except services.ReportError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(f"Open311 key for {key.name!r} (shown once; stored hashed):"))
        self.stdout.write(raw)

    def _revoke_api_key(self, options: dict[str, Any]) -> None:
        try:
            key = services.revoke_api_key(options["prefix"])
        except services.ReportError as exc:
            raise CommandError(
                f"{exc.errors[0].message} (give at least 8 characters of a key)", returncode=2
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Key {key.key_prefix}… of {key.name!r} revoked."))

    def _list_api_keys(self, options: dict[str, Any]) -> None:
        keys = list(selectors.api_keys())
        if not keys:
            self.stdout.write("No Open311 application key.")
        for key in keys:
            state = "revoked" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
            scope = key.organisation.siren if key.organisation else "all"
            self.stdout.write(f"{key.key_prefix}…  {state:8} {scope:10} {used:17} {key.name}")

    def _plan_round(self, options: dict[str, Any]) -> None:
        try:
            day = date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {options['date']!r}", returncode=2) from exc
        crews = Crew.objects.filter(name=options["crew"]).select_related("organisation")
        organisation = self._organisation(options["organisation"])
        if organisation is not None:
            crews = crews.filter(organisation=organisation)
        found = list(crews[:2])
        if not found:
            raise CommandError(f"no crew named {options['crew']!r}", returncode=2)
        if len(found) > 1:
            raise CommandError(
                f"several crews are named {options['crew']!r}: add --organisation SIREN", returncode=2
            )
        crew = found[0]
        if options["time_limit"] <= 0:
            raise CommandError("--time-limit must be positive", returncode=2)
        started = time.monotonic()
        # The command line is the installation's operator: no staff member, no rights check.
        planned = services.plan_round(
            crew, day, actor=None, time_limit_s=options["time_limit"], check_rights=False
        )
        stops = list(
            RoundStop.objects.filter(round=planned)
            .select_related("report__category", "report__commune")
            .order_by("left_over", "position")
        )
        self.stdout.write(f"Round of {crew.name} on {day:%Y-%m-%d}, from {crew.depot_name or 'the depot'}:")
        for stop in stops:
            if stop.left_over:
                continue
            r = stop.report
            place = r.address_string or f"{r.lat:.5f}, {r.lon:.5f}"
            self.stdout.write(
                f"  {stop.position:3}. {r.category.name} — {r.commune.name}, {place} ({stop.service_minutes:.0f} min)"
            )
        left = [s for s in stops if s.left_over]
        saving = f"{planned.saving_percent} %" if planned.saving_percent is not None else "n/a"
        self.stdout.write(
            f"Planned: {_km(planned.distance_m)}; nearest neighbour: {_km(planned.baseline_distance_m)}; "
            f"saving: {saving}; {planned.total_minutes:.0f} of {planned.shift_minutes} min "
            f"({planned.provider})."
        )
        if left:
            self.stdout.write(self.style.WARNING(f"Left over (do not fit the shift): {len(left)}"))
            for stop in left:
                self.stdout.write(
                    f"  - {stop.report.category.name} — {stop.report.commune.name} ({stop.report.public_id})"
                )
        self.stdout.write(
            self.style.SUCCESS(f"Round {planned.public_id} saved ({time.monotonic() - started:.1f} s).")
        )

    def _process_queue(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be 1 or more", returncode=2)
        created, failed = services.process_queue(limit=options["limit"])
        self.stdout.write(
            self.style.SUCCESS(f"{created} queued request(s) turned into reports, {failed} refused.")
        )
