"""Settings, read from the environment (twelve-factor).

``TERRITOIRE_ENV`` selects the profile: ``development`` (default: the demo and the
tests) or ``production`` (requires ``SECRET_KEY`` and ``ALLOWED_HOSTS``, turns on every
transport-security setting so that ``territoire check --deploy`` is clean).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TERRITOIRE_VAR_DIR", Path.cwd() / "var")).resolve()

ENVIRONMENT = os.environ.get("TERRITOIRE_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("TERRITOIRE_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    # Development and demo: generate once and keep it under var/ so sessions survive
    # restarts and two gunicorn workers agree.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", default=False)
ALLOWED_HOSTS = _env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Content in French and English (name_fr, name_en…): before the admin, which it extends.
    "modeltranslation",
    # Django's admin, whose site also requires the second factor (accounts.admin_site).
    "territoire.accounts.admin_config.TerritoireAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # The core first, then the spine, then the modules (each registers itself).
    "territoire.core",
    "territoire.territory",
    "territoire.indicators",
    "territoire.roadmap",
    "territoire.reports",
    "territoire.participation",
    # Legal notice, accessibility statement, privacy and open-data pages, on every page's footer.
    "territoire.legal",
    "territoire.api",
    "territoire.accounts",
    "territoire.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "territoire.core.middleware.SecurityHeadersMiddleware",
    "territoire.core.ratelimit.RateLimitMiddleware",
    # A NUL character in the path, query string or a URL-encoded form: 400 (PostgreSQL
    # cannot compare it in text).
    "territoire.core.middleware.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "territoire.core.cache.PublicApiCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "territoire.accounts.middleware.LazyOTPMiddleware",
    # Staff sessions: timeouts, disabled accounts, the second factor on staff pages.
    "territoire.accounts.middleware.StaffSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: login throttling and lockout.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "territoire.urls"
WSGI_APPLICATION = "territoire.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "territoire.core.context_processors.site",
            ],
        },
    },
]

# Database: SQLite (WAL) under var/ by default, PostgreSQL in production.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'territoire.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _env_bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, and a query run five times on a connection is
    # prepared: PostgreSQL plans it once instead of on every run. A
    # transaction-mode pooler without prepared statements support (PgBouncer before
    # 1.21) needs DATABASE_PREPARED_STATEMENTS=0.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's own backend with its own options. WAL lets readers and one writer work
    # together; IMMEDIATE takes the write lock at BEGIN, which avoids the "database is
    # locked" deadlock of two transactions upgrading a read lock; a writer waits up to
    # ``timeout`` seconds for another one. temp_store=MEMORY keeps statement journals
    # off the disk; a 32 MB page cache per connection keeps the hot index pages.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32000; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("DATABASE_TIMEOUT", "5")),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DEBUG else 60
    # Said explicitly, so that TERRITOIRE_TEST_SQLITE can put the test database in a file.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TERRITOIRE_TEST_SQLITE") or ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The default cache holds the rate limits' counters and the page cache: it is shared by
# every worker. The database cache by default (its table made by `territoire migrate`,
# core migration 0004), Redis when configured (CACHE_BACKEND=redis,
# CACHE_LOCATION=redis://host:6379/0). A per-process cache ("locmem", "dummy") is for
# one-process runs only: a system check refuses it under several gunicorn workers.
CACHE_BACKENDS = {
    "database": "django.core.cache.backends.db.DatabaseCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    "locmem": "django.core.cache.backends.locmem.LocMemCache",
    "dummy": "django.core.cache.backends.dummy.DummyCache",
}
_cache_backend = os.environ.get("CACHE_BACKEND", "database")
_cache_backend = CACHE_BACKENDS.get(_cache_backend, _cache_backend)
CACHES = {
    "default": {
        "BACKEND": _cache_backend,
        "LOCATION": os.environ.get(
            "CACHE_LOCATION",
            "territoire_cache" if _cache_backend == CACHE_BACKENDS["database"] else "territoire",
        ),
        "TIMEOUT": 600,
    }
}
if _cache_backend == CACHE_BACKENDS["database"]:
    # Culling counts the table's rows on every write: keep room for the page cache.
    CACHES["default"]["OPTIONS"] = {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "20000"))}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Argon2 first; the others only verify (and upgrade) hashes made before it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    # django-axes refuses a locked-out username + address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Login throttling and lockout (django-axes, attempts kept in the database: every worker
# sees them): a username is locked out after AXES_FAILURE_LIMIT failures, from one address
# or from many (password spraying spreads its tries over addresses), for AXES_COOLOFF_TIME;
# a success resets the count. Guessing from one address across usernames meets the
# "login" rate limit.
AXES_FAILURE_LIMIT = int(os.environ.get("TERRITOIRE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TERRITOIRE_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns of lockouts keyed on what a client controls (user agent, cookie) without
# the address; a username is not one of those, and adding the address would only let a
# spraying attacker rotate addresses.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Second factor (django-otp): TOTP applications, and single-use recovery codes.
OTP_TOTP_ISSUER = os.environ.get("TERRITOIRE_OTP_ISSUER", "Territoire")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates the English way but unambiguous ("6 Dec 2026", never 12/06/2026).
FORMAT_MODULE_PATH = ["territoire.formats"]
# Content provided by the roadmap template, the modules and staff (axes, objectives,
# indicators, report categories…) has a French and an English version (django-modeltranslation,
# registered in each app's translation.py); a text without English reads in French, and
# the other way round.
MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("fr",), "fr": ("en",)}
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Collected static files (production); development serves them from the apps (finders).
STATIC_ROOT = (
    Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
    if PRODUCTION or "STATIC_ROOT" in os.environ
    else None
)
MEDIA_ROOT = VAR_DIR / "media"
# Uploads readable by the service's account only (the site serves them itself).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _env_bool("STATIC_MANIFEST", default=PRODUCTION)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "territoire@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: safe defaults everywhere, transport security in production.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", default=True)
    if _env_bool("SECURE_PROXY_SSL", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Territoire's own settings.
TERRITOIRE: dict[str, Any] = {
    # The organisation shown at "/" when the installation holds several.
    "DEFAULT_ORGANISATION": os.environ.get("TERRITOIRE_DEFAULT_ORGANISATION", ""),
    # Months of history behind a target's status projection.
    "STATUS_TREND_POINTS": int(os.environ.get("TERRITOIRE_STATUS_TREND_POINTS", "6")),
    # Interval of the indicator computation schedule, in minutes.
    "COMPUTE_EVERY_MINUTES": int(os.environ.get("TERRITOIRE_COMPUTE_EVERY_MINUTES", "60")),
    "API_PAGE_SIZE_MAX": 500,
    # How long a cached public page may lag behind a busy module's writes (a new report
    # on the list of reports), in seconds; the spine's figures never lag. 0: never.
    "PAGE_CACHE_LAG_SECONDS": float(os.environ.get("TERRITOIRE_PAGE_CACHE_LAG_SECONDS", "10")),
    # How long a process trusts the data versions it read, in seconds: a cached page then
    # costs no query, and a changed figure reaches every visitor within that time.
    "PAGE_CACHE_VERSION_SECONDS": float(os.environ.get("TERRITOIRE_PAGE_CACHE_VERSION_SECONDS", "1")),
    # Pages each process keeps in memory before the shared cache (0: none).
    "PAGE_CACHE_LOCAL_PAGES": int(os.environ.get("TERRITOIRE_PAGE_CACHE_LOCAL_PAGES", "256")),
    # Public writes per client address ("count/s|m|h"); "" turns a bucket off. Counters live
    # in the default cache: production must use a shared one (Redis) for all workers.
    "RATE_LIMITS": {
        "api_write": os.environ.get("TERRITOIRE_RATE_API_WRITE", "60/m"),
        "login": os.environ.get("TERRITOIRE_RATE_LOGIN", "10/m"),
        "staff_write": os.environ.get("TERRITOIRE_RATE_STAFF_WRITE", "30/m"),
        # Resident writes: reports (web and Open311), "+1", sign-ups, votes, answers.
        "public_write": os.environ.get("TERRITOIRE_RATE_PUBLIC_WRITE", "10/m"),
        "address_lookup": os.environ.get("TERRITOIRE_RATE_ADDRESS_LOOKUP", "120/m"),
    },
    # Raster tiles behind public maps, e.g. "https://tiles.example.org/{z}/{x}/{y}.png"
    # (its origin is added to the CSP). Empty: maps draw the territory's outlines only and
    # make no third-party request.
    "MAP_TILE_URL": os.environ.get("TERRITOIRE_MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": os.environ.get("TERRITOIRE_MAP_TILE_ATTRIBUTION", ""),
    # Uploaded images (report photos): checked by content, re-encoded without metadata.
    "UPLOAD_MAX_BYTES": int(os.environ.get("TERRITOIRE_UPLOAD_MAX_BYTES", str(8 * 1024 * 1024))),
    "UPLOAD_MAX_PIXELS": int(os.environ.get("TERRITOIRE_UPLOAD_MAX_PIXELS", "40000000")),
    # Longer side of a stored image, in pixels (larger ones are scaled down); 0: keep the size.
    "UPLOAD_MAX_SIDE": int(os.environ.get("TERRITOIRE_UPLOAD_MAX_SIDE", "2560")),
    # Published statistics suppress every count below this threshold (k-anonymity of cells).
    "DISCLOSURE_K": int(os.environ.get("TERRITOIRE_DISCLOSURE_K", "5")),
    # Reports: radius within which an open report of the same category is a likely duplicate.
    "REPORTS_DUPLICATE_RADIUS_M": int(os.environ.get("TERRITOIRE_REPORTS_DUPLICATE_RADIUS_M", "50")),
    # Crew rounds: distances "straight-line" (haversine × detour factor) or "osrm" (table API).
    "ROUTING": {
        "PROVIDER": os.environ.get("TERRITOIRE_ROUTING_PROVIDER", "straight-line"),
        "OSRM_URL": os.environ.get("TERRITOIRE_OSRM_URL", ""),
        "DETOUR_FACTOR": float(os.environ.get("TERRITOIRE_ROUTING_DETOUR_FACTOR", "1.3")),
        "OSRM_PROFILE": os.environ.get("TERRITOIRE_OSRM_PROFILE", "driving"),
        "OSRM_TIMEOUT_S": float(os.environ.get("TERRITOIRE_OSRM_TIMEOUT_S", "10")),
        "OSRM_MAX_TABLE_SIZE": int(os.environ.get("TERRITOIRE_OSRM_MAX_TABLE_SIZE", "100")),
    },
    # Participation: a contribution reported this many times is hidden until staff review it.
    "PARTICIPATION_AUTO_HIDE_REPORTS": int(os.environ.get("TERRITOIRE_PARTICIPATION_AUTO_HIDE_REPORTS", "3")),
    # Validity of the link that confirms a resident's e-mail address.
    "PARTICIPATION_EMAIL_TOKEN_HOURS": int(
        os.environ.get("TERRITOIRE_PARTICIPATION_EMAIL_TOKEN_HOURS", "48")
    ),
    # How often results of envelopes whose vote has closed are computed (never published).
    "PARTICIPATION_RESULTS_EVERY_MINUTES": int(
        os.environ.get("TERRITOIRE_PARTICIPATION_RESULTS_EVERY_MINUTES", "60")
    ),
    # Public address of the site, for links in e-mails (e.g. "https://territoire.example.fr").
    "SITE_URL": os.environ.get("TERRITOIRE_SITE_URL", "http://127.0.0.1:8000"),
    # Reverse proxies (addresses or CIDR) whose X-Forwarded-For is believed.
    "TRUSTED_PROXIES": _env_list("TERRITOIRE_TRUSTED_PROXIES", []),
    # Staff sessions end after this much inactivity, and this long after sign-in.
    "STAFF_IDLE_TIMEOUT_MINUTES": int(os.environ.get("TERRITOIRE_STAFF_IDLE_TIMEOUT_MINUTES", "30")),
    "STAFF_ABSOLUTE_TIMEOUT_HOURS": int(os.environ.get("TERRITOIRE_STAFF_ABSOLUTE_TIMEOUT_HOURS", "10")),
    # Reports: how often queued Open311 requests (a "batch" service) become reports.
    "REPORTS_QUEUE_EVERY_MINUTES": int(os.environ.get("TERRITOIRE_REPORTS_QUEUE_EVERY_MINUTES", "5")),
    # Open311 discovery document: the contact (default: DEFAULT_FROM_EMAIL), how to get a
    # key, and the endpoint's type ("production", "test").
    "OPEN311_CONTACT": os.environ.get("TERRITOIRE_OPEN311_CONTACT", ""),
    "OPEN311_KEY_SERVICE": os.environ.get(
        "TERRITOIRE_OPEN311_KEY_SERVICE",
        "Clé d'application : demandez-la au service numérique de la collectivité.",
    ),
    "OPEN311_ENDPOINT_TYPE": os.environ.get("TERRITOIRE_OPEN311_ENDPOINT_TYPE", "production"),
}
