"""The ``territoire`` console script: Django's management entry point, settings preset."""

import os
import sys

# Files the product creates (database, WAL, backups, uploads, the secret key) are readable
# by the service's account only.
UMASK = 0o077


def main() -> None:
    os.umask(UMASK)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "territoire.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
