"""Django's SQLite backend, with writers queued on a file lock (see ``base``)."""
