import os

from django.core.wsgi import get_wsgi_application

from territoire.__main__ import UMASK

# The web process creates its files (SQLite's WAL, uploads) readable by its account only,
# whatever server imports it.
os.umask(UMASK)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "territoire.settings")
application = get_wsgi_application()
