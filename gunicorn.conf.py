"""gunicorn's configuration in a checkout (the Procfile): the installed package's own."""

from territoire.gunicorn_conf import accesslog, bind, on_starting, umask, workers, wsgi_app

__all__ = ["accesslog", "bind", "on_starting", "umask", "workers", "wsgi_app"]
