"""Settings, every one read from the environment through django-environ.

Each variable is documented in README.md ("Configuration"). The defaults make a fresh clone run
with nothing installed: SQLite under var/, and Celery over Kombu's filesystem transport.
"""
import base64
import hashlib
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("AIOPS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# A fixed development key keeps `make run` zero-configuration; production must set its own.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-change-me-" + "x" * 40)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The address `make run` serves on, and the public URL every absolute link uses (aiops/links.py):
# AIOPS_BASE_URL when set (behind a proxy), else http://<AIOPS_BIND>, so a changed port needs one setting.
AIOPS_BIND = env.str("AIOPS_BIND", default="127.0.0.1:8000")
AIOPS_BASE_URL = (env.str("AIOPS_BASE_URL", default="") or f"http://{AIOPS_BIND}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: /api/docs/ works offline
    "guardian",
    "django_celery_beat",
    "aiops",
    "apps.tenancy",
    "apps.alerts",
    "apps.topology",
    "apps.incidents",
    "apps.timeline",
    "apps.notifications",
    "apps.analysis",
    "apps.runbooks",
    "apps.changes",
    "apps.gitsync",
    "apps.feedback",
    "apps.sla",
    "apps.oncall",
    "apps.logs",
    "apps.metrics",
    "apps.predictions",
    "apps.chatops",
    "apps.capacity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.tenancy.middleware.ActiveOrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "aiops.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "apps.tenancy.context_processors.organizations",
                "aiops.health.banner",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'aiops.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write at once: WAL and IMMEDIATE transactions turn
    # "database is locked" errors into short waits.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel separately instead of being quoted into the SQL in Python: a
        # 50-alert webhook insert spends a sixth of its time quoting otherwise.
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env.bool(
            "DATABASE_SERVER_SIDE_BINDING", default=True)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The same backends with the event outbox's pre-commit hook (aiops/db/__init__.py).
from aiops.db import ENGINES as _OUTBOX_ENGINES  # noqa: E402

DATABASES["default"]["ENGINE"] = _OUTBOX_ENGINES.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate-limit counters, short-lived lookups) ---------------------------------------
# locmem keeps counters per process; point CACHE_URL at Redis (rediscache://host:6379/1) when
# several web processes must share limits.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous object permissions

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("AIOPS_LANGUAGE", default="en")
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("AIOPS_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "aiops" / "static"]
# Serve from the finders too, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

# --- Secrets at rest ------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first; older keys still decrypt (rotation). Without one,
# a key is derived from SECRET_KEY so local runs work; production sets its own.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=[base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()],
)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.tenancy.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "aiops.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aiops.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "aiops.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AIOps Remediation Engine API",
    "DESCRIPTION": "Alerts, incidents, analysis, notifications and runbooks. Authenticate with "
    "`Authorization: Bearer <token>`; pick the organisation with the token or `X-Organization`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN (works offline, same-origin CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
# Delivery guarantees (README, "Delivery guarantees"): a message is acknowledged after its task
# ran, and put back when the worker process running it dies; a worker holds one message beyond
# the ones it runs, so a dead worker strands little. Events do not depend on any of this (the
# outbox re-sends them); it is what keeps deliveries, analyses and runbook runs moving.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose broker connection drops is cancelled: its message goes back to the queue anyway.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis/SQS: an unacknowledged message (its worker was killed) returns after this many seconds.
# Longer than any task but a long runbook run (whose duplicate delivery is refused by its claim);
# far shorter than Redis' one-hour default, which kept stranded work away for an hour.
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600)}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # Kombu polls the folder (default every 1 s); an event crosses two queues (fan-out, then
        # the subscriber), so 0.2 s keeps the embedded setup's alert → notification near half a
        # second instead of two. Listing an idle folder five times a second costs nothing.
        "polling_interval": 0.2,
    }
    # Kombu's transport with atomic writes (aiops/broker.py): a reader never sees half a message.
    CELERY_BROKER_TRANSPORT = "aiops.broker:Transport"
    # The filesystem transport has no fanout exchange, so remote control cannot work.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_WORKER_SEND_TASK_EVENTS = False

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "text" or "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "aiops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(extra_fields)s",
                 "()": "aiops.logging.TextFormatter"},
    },
    # Hook URLs carry their token in the path: every handler masks it (and URL passwords).
    "filters": {"redact": {"()": "aiops.logging.RedactSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines (runserver, gunicorn --access-logfile -) go through the redacting handler.
        "django.server": {"handlers": ["access"], "level": LOG_LEVEL, "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        # Celery logs every task's arguments (whole events) at INFO: too much for a log line.
        "celery.app.trace": {"level": "WARNING"},
        # urllib3 logs retried URLs in full, and webhook URLs carry secrets in their path.
        "urllib3.connectionpool": {"level": "ERROR"},
    },
}

# --- Security defaults that stay on behind a TLS proxy --------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie for POST buttons
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# --- Outbound HTTP --------------------------------------------------------------------------
OUTBOUND_HTTP_TIMEOUT = env.float("OUTBOUND_HTTP_TIMEOUT", default=10.0)
OUTBOUND_HTTP_RETRIES = env.int("OUTBOUND_HTTP_RETRIES", default=2)
OUTBOUND_HTTP_DENY_PRIVATE = env.bool("OUTBOUND_HTTP_DENY_PRIVATE", default=False)
OUTBOUND_HTTP_ALLOW_HOSTS = env.list("OUTBOUND_HTTP_ALLOW_HOSTS", default=[])

# --- Abuse controls -------------------------------------------------------------------------
AIOPS_LOGIN_MAX_FAILURES = env.int("AIOPS_LOGIN_MAX_FAILURES", default=5)
AIOPS_LOGIN_IP_MAX_FAILURES = env.int("AIOPS_LOGIN_IP_MAX_FAILURES", default=50)
AIOPS_LOGIN_LOCKOUT_SECONDS = env.int("AIOPS_LOGIN_LOCKOUT_SECONDS", default=900)
AIOPS_API_AUTH_MAX_FAILURES = env.int("AIOPS_API_AUTH_MAX_FAILURES", default=30)
AIOPS_CONTENT_SECURITY_POLICY = env.str(
    "AIOPS_CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
