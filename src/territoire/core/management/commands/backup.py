"""territoire backup DEST: one archive with the database, the uploaded files and a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territoire.core import backup


class Command(BaseCommand):
    help = (
        "Write one backup archive (ZIP: database rows as JSON Lines, the files under MEDIA_ROOT, "
        "manifest.json with counts and SHA-256). Consistent while the site runs. DEST is a file "
        "path or an existing directory (the archive is then named territoire-<UTC time>.zip)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", help="archive file to create, or an existing directory")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 0
        if verbose:
            self.stdout.write("Backing up the database…")
        try:
            summary = backup.backup(
                Path(options["dest"]), progress=self._progress if verbose else backup._noop
            )
        except FileExistsError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot write the archive: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {summary.path}: {summary.rows} rows in {len(summary.counts)} tables, "
                f"{summary.media_files} files, {backup.human_size(summary.size)}, "
                f"{summary.seconds:.1f} s."
            )
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
