"""Settings, read from environment variables.

With nothing set, the service runs in development mode: SQLite under ``var/``,
an embedded (filesystem) Celery broker, e-mails written to ``var/mail/`` and
DEBUG on. Production mode (``DEBUG=false``) requires ``SECRET_KEY`` and
``ALLOWED_HOSTS`` and turns on the HTTPS and security settings that
``manage.py check --deploy`` asks for.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-not-for-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production must set it
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "config.views.csrf_failure"  # the service's page, not Django's
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "django_celery_beat",
    "core",
    "notifications",
    "exchange",
    "programmes",
    "actions",
    "learning",
    "webhooks",
    "people",
    "reports",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "web.forms.NHSFormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.tracker",
            ],
            "builtins": ["web.templatetags.tracker"],
        },
    },
]

# Database: PostgreSQL in production, SQLite under var/ by default.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Persistent connections in production: a new PostgreSQL connection per request cost
# about 70% of a simple request's throughput. Health checks drop a connection the
# server closed before it is reused. (Many web workers: put pgbouncer in front, see
# README.)
DATABASES["default"].setdefault(
    "CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when the worker and the web
    # server write at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's rules, each telling people what is wrong in the service's words.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MinimumLengthValidator"},
    {"NAME": "accounts.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Evidence files (DESIGN.md, "Evidence") go through Django's storage API. By default a
# folder under var/ that nothing serves: files leave only through the download views,
# which check who may see the assessment. EVIDENCE_STORAGE=s3 keeps them in an
# S3-compatible store (django-storages) as private objects, streamed through the service.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media-not-served/"
EVIDENCE_STORAGE = env.str("EVIDENCE_STORAGE", default="local")
if EVIDENCE_STORAGE == "s3":
    DEFAULT_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "default_acl": None,  # private: the bucket's own policy, never public-read
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif EVIDENCE_STORAGE == "local":
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                       "OPTIONS": {"location": str(MEDIA_ROOT)}}
else:
    raise ImproperlyConfigured(
        f"EVIDENCE_STORAGE must be 'local' or 's3', not {EVIDENCE_STORAGE!r}.")
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Form fields and JSON bodies stay at 2.5 MB (DATA_UPLOAD_MAX_MEMORY_SIZE does not count
# a multipart body's files); an uploaded file beyond FILE_UPLOAD_MAX_MEMORY_SIZE goes to
# a temporary file rather than memory, so a file of up to EVIDENCE_MAX_BYTES passes and
# the service says in words when one is too big. A larger non-file body is
# RequestDataTooBig, which Django and the API answer with 400.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# E-mail: EMAIL_URL in the django-environ form (smtp://..., consolemail://);
# by default each message is written as a file under var/mail/.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracker@localhost")

# REST framework
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.rest.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.rest.Pagination",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.rest.Negotiation",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.rest.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Escape non-ASCII in JSON so any string a client sent can be echoed back in an error.
    "UNICODE_JSON": False,
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.rest.exception_handler",
    "DEFAULT_THROTTLE_RATES": {},
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Workforce integration programme tracker API",
    "DESCRIPTION": (
        "Programmes, partners, self-assessments against a workforce integration "
        "framework, and the gaps they reveal."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations are grouped (tagged) by their collection: "actions", "placements", ...
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "ProgrammeStatusEnum": "programmes.models.Programme.Status",
        "AssessmentStatusEnum": "programmes.models.Assessment.Status",
        "GapStatusEnum": "programmes.models.Gap.Status",
        "ActionStatusEnum": "actions.models.Action.Status",
        "RatingEnum": "programmes.models.Rating",
    },
}

# Celery: Redis when REDIS_URL is set, otherwise a broker in files under var/.
# Settings for a worker or broker that can be lost (pinned by
# tests/notifications/test_celery_settings.py):
# a task is acknowledged only when done and handed out again if its worker dies; one
# task at a time per worker process; publishing to a dead broker fails within about a
# second (the outbox keeps the work); no countdown or retry delay reaches the
# visibility timeout, after which Redis would hand the same task out again.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "broker"
# Seconds before Redis hands an unacknowledged task out again. A task lost with its
# worker is handed out again by the outbox long before this (notifications/outbox.py);
# keep it well above the longest task and delay, or live tasks run twice.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_timeout": 1,
        "socket_connect_timeout": 1,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The hard time limit of a task that declares none. There is no global soft limit:
# each task's soft limit is derived from its own hard one (config/celery.py), so none
# can be above it (Celery refuses to queue such a task).
CELERY_TASK_TIME_LIMIT = 1800
# The reminder run is cut into batch tasks; one not finished this long after it
# started is taken to be lost with its worker and handed out again by the outbox
# (notifications/outbox.py). Lowered from the environment only by tests.
REMINDER_BATCH_TIME_LIMIT = env.int("REMINDER_BATCH_TIME_LIMIT", default=120)
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits for the broker for ever
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_DEFAULT_RETRY_DELAY = 30
CELERY_RETRY_BACKOFF_MAX = 300  # seconds; far below the visibility timeout
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Tests only: every stored schedule entry fires every this many seconds (config/beat.py).
CELERY_BEAT_TEST_INTERVAL = env.float("CELERY_BEAT_TEST_INTERVAL", default=0)
if CELERY_BEAT_TEST_INTERVAL:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("CELERY_BEAT_TEST_INTERVAL is for tests, not production")
    CELERY_BEAT_SCHEDULER = "config.beat:EveryFewSecondsScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
DJANGO_CELERY_BEAT_TZ_AWARE = True

# Reminders are written in batches of this many, each committed on its own.
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=5000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Spreadsheet import and export (exchange/).
# The most rows of an export; both are built whole before they are sent, inside the
# server's timeout (gunicorn.conf.py, GUNICORN_TIMEOUT), which leaves time for these.
EXPORT_CSV_MAX_ROWS = env.int("EXPORT_CSV_MAX_ROWS", default=500_000)
EXPORT_XLSX_MAX_ROWS = env.int("EXPORT_XLSX_MAX_ROWS", default=100_000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5_000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# Highlight reports attached to a manager's weekly digest (reports/), at most this many.
DIGEST_MAX_REPORTS = env.int("DIGEST_MAX_REPORTS", default=5)

VAR_DIR.mkdir(exist_ok=True)
STATIC_ROOT.mkdir(exist_ok=True)

# Every operation's schema lists the 4xx answers it can give (core/api/rest.py).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "core.api.rest.document_error_responses",
]
REST_FRAMEWORK["DEFAULT_METADATA_CLASS"] = "core.api.rest.Metadata"

# Writes are throttled per user (core/security.py); the token endpoint has its own rate.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["core.security.WriteRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["write"] = env.str(
    "WRITE_THROTTLE_RATE", default="300/min"
)

# Sign-in, tokens and sessions (accounts/, core/security.py) ------------------------
# Wrong passwords are counted by django-axes per account and per address in the
# database, which every server process shares; the web form, the admin and the token
# endpoint all sign in through authenticate(request, ...), which axes watches.
INSTALLED_APPS += ["axes", "knox", "accounts"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "accounts.sessions.SessionLifetimeMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as axes asks
# How many proxies of ours stand in front of the service (each appending to
# X-Forwarded-For). 0: the address is REMOTE_ADDR and X-Forwarded-For is ignored.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# "username,ip_address": the account and the address are each locked on their own;
# "username+ip_address" locks only that account from that address.
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part
    for part in env.list("AXES_LOCKOUT_PARAMETERS", default=["username", "ip_address"])
]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends when the message says
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# API tokens (django-rest-knox, model accounts.ApiToken): `Authorization: Token <token>`.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
MIGRATION_MODULES = {"knox": None}  # knox's own token table is never made: ours replaces it
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
}
# Web sessions end after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS
# after signing in however active (accounts/sessions.py).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_MAX_AGE = timedelta(hours=env.int("SESSION_MAX_HOURS", default=10))
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 2)
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # our own lines are on tracker.security

# Generated data sets (manage.py generate_dataset) for benchmarks and load tests.
# The demo seed and the data set generator are tools for development, tests and
# benchmarks: production mode leaves them out unless DEV_TOOLS says otherwise.
DEV_TOOLS = env.bool("DEV_TOOLS", default=DEBUG)
if DEV_TOOLS:
    INSTALLED_APPS += ["demo", "scale"]
# The CSV, XLSX, HTML and PDF answers of ``?format=`` in the schema (exchange/schema.py).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].append("exchange.schema.document_file_formats")

# Front-end hardening: a Content-Security-Policy on every answer (django-csp), the API
# docs served from the service's own static files (drf-spectacular-sidecar), the schema
# and docs for signed-in users only, and the browsable API only in development.
INSTALLED_APPS += ["csp", "drf_spectacular_sidecar"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # The NHS.UK frontend's style sheet loads the Frutiger font from the NHS's own
        # asset host (it may not be served from elsewhere); without it, Arial.
        "font-src": ["'self'", "https://assets.nhs.uk"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
SPECTACULAR_SETTINGS.update({
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Without deep links an operation's path is text inside its toggle button, not a
    # link inside a button (a nested control that screen readers cannot reach).
    # Examples are plain text: the highlighter's colours fall short of AA contrast.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "syntaxHighlight": False},
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
})
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
]

# Webhooks (webhooks/): partners' own systems are told of events by signed POSTs.
# Development allows plain http and addresses on this machine or a private network;
# production (DEBUG off) allows only https to public addresses, so a webhook cannot
# reach inside the deployment (webhooks/addresses.py).
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].append("webhooks.schema.document_webhooks")
