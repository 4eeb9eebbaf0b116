"""territoire restore [--verify] ARCHIVE: load a backup into an empty database.

Exit codes: 0 done, 1 other error, 2 the database (or MEDIA_ROOT) is not empty,
3 the archive is corrupt, altered, incomplete or made at other migrations.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.core import backup

EXIT_NOT_EMPTY = 2
EXIT_BAD_ARCHIVE = 3


class Command(BaseCommand):
    help = (
        "Restore a backup archive (made by `territoire backup`) into an empty, migrated database, "
        "in one transaction. The archive is verified first: a corrupt or altered archive writes "
        "nothing. With --verify, only check the archive. Exit codes: 2 target not empty, "
        "3 archive refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the archive file")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="check the archive (manifest, SHA-256, counts, every row) without writing anything",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        progress = self._progress if options["verbosity"] > 0 else backup._noop
        started = time.monotonic()
        try:
            if options["verify"]:
                manifest = backup.verify(path, progress)
                action = "verified"
            else:
                manifest = backup.restore(path, progress)
                action = "restored"
        except backup.ArchiveError as exc:
            raise CommandError(
                f"Archive refused, nothing written: {exc}.", returncode=EXIT_BAD_ARCHIVE
            ) from exc
        except backup.TargetNotEmptyError as exc:
            raise CommandError(
                f"Restore refused, nothing written: {exc}.", returncode=EXIT_NOT_EMPTY
            ) from exc
        rows = sum(manifest.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Archive {action}: {path} (made {manifest.data['created_at']} by Territoire "
                f"{manifest.data['app_version']} on {manifest.data['database_vendor']}): {rows} rows in "
                f"{len(manifest.counts)} tables, {len(manifest.media)} files, "
                f"{time.monotonic() - started:.1f} s."
            )
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
