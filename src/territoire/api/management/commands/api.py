"""territoire api create-token | revoke-token | list-tokens"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.core import audit, modules
from territoire.territory.models import Commune, Organisation


class Command(BaseCommand):
    help = "Manage API tokens for integrations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        create = sub.add_parser("create-token", help="issue a token (printed once, stored hashed)")
        create.add_argument("name")
        create.add_argument("--organisation", required=True, help="SIREN")
        create.add_argument("--commune", help="INSEE code (default: the whole organisation)")
        create.add_argument("--write", action="store_true", help="allow recording measurements")
        create.add_argument(
            "--days", type=int, default=365, help="validity in days, at least 1 (0: no expiry, said so)"
        )
        create.add_argument(
            "--module",
            action="append",
            default=[],
            metavar="LABEL",
            help="limit the token to a module's endpoints (repeatable; default: every module)",
        )
        revoke = sub.add_parser("revoke-token", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list-tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create-token":
            days = options["days"]
            if days < 0:
                # A negative validity used to issue a token that never expires, silently.
                raise CommandError(
                    f"--days {days}: a validity is at least 1 day (0 for a token that never expires)",
                    returncode=2,
                )
            try:
                expires = timezone.now() + timedelta(days=days) if days > 0 else None
            except OverflowError as exc:
                raise CommandError(f"--days {days}: too far in the future", returncode=2) from exc
            org = Organisation.objects.filter(siren=options["organisation"]).first()
            if org is None:
                raise CommandError(f"--organisation {options['organisation']}: unknown SIREN", returncode=2)
            commune = None
            if options["commune"]:
                commune = Commune.objects.filter(insee_code=options["commune"], organisation=org).first()
                if commune is None:
                    raise CommandError(
                        f"--commune {options['commune']}: not a commune of {org.name}", returncode=2
                    )
            known = modules.labels()
            unknown = sorted(set(options["module"]) - known)
            if unknown:
                raise CommandError(
                    f"--module {', '.join(unknown)}: unknown module; choose among {', '.join(sorted(known))}",
                    returncode=2,
                )
            token, raw = ApiToken.issue(
                name=options["name"],
                organisation=org,
                commune=commune,
                can_write=options["write"],
                expires_at=expires,
                modules=sorted(set(options["module"])),
            )
            audit.record("api.create_token", actor_label="command", obj=token, organisation_id=org.pk)
            self.stdout.write(raw)
            self.stderr.write(
                f"Token {token.key_prefix}… for {org.name}{' / ' + commune.name if commune else ''}, "
                f"{'read-write' if token.can_write else 'read-only'}"
                f"{', modules ' + ', '.join(token.modules) if token.modules else ', every module'}"
                f"{', expires ' + expires.date().isoformat() if expires else ', never expires'}. "
                "It is shown only once."
            )
        elif action == "revoke-token":
            updated = ApiToken.objects.filter(key_prefix=options["prefix"], revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            if not updated:
                raise CommandError(f"no active token starts with {options['prefix']!r}", returncode=2)
            self.stdout.write(f"{updated} token(s) revoked.")
        else:
            for t in ApiToken.objects.select_related("organisation"):
                state = "revoked" if t.revoked_at else ("expired" if not t.is_valid else "active")
                scope = t.organisation.siren if t.organisation else "all"  # an Open311 key
                self.stdout.write(f"{t.key_prefix}…  {t.name:30} {scope} {state}")
