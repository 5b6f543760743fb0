"""Comptoir settings: one file, driven by the environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
TESTING = env.bool("COMPTOIR_TESTING", default=False)
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default="localhost").lower()
PLATFORM_NAME = env.str("PLATFORM_NAME", default="Comptoir")
# Local development runs over plain HTTP on *.localhost; anywhere else HTTPS is required.
LOCAL_DEVELOPMENT = PLATFORM_DOMAIN == "localhost" or PLATFORM_DOMAIN.endswith(".localhost")
# Port named in absolute links (e-mails, canonical URLs), never the request's: `make run` serves on 8000.
PUBLIC_URL_PORT = env.str("PUBLIC_URL_PORT", default="8000" if PLATFORM_DOMAIN == "localhost" else "")
if PUBLIC_URL_PORT and not (PUBLIC_URL_PORT.isascii() and PUBLIC_URL_PORT.isdigit()):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PUBLIC_URL_PORT must be a port number, or empty.")

_DEV_SECRET_KEY = "dev-only-insecure-key-comptoir-never-use-in-production-0123456789"  # noqa: S105 - refused below whenever DEBUG is off
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters when DEBUG is off.")

# Town hosts are dynamic (subdomains and verified custom domains): the tenant middleware
# answers unknown hosts with a 404 page, so Host validation happens there.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])

# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "axes",
    "rest_framework",
    "drf_spectacular",
]
TENANT_APPS = [
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "allauth",
    "allauth.account",
    "axes",
    "townsite",
    "catalog",
    "delivery",
    "payments",
    "checkout",
    "logistics",
    "settlement",
    "onboarding",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]
# No models: the demonstration's management commands (setup_demo, seed_demo_*); it imports every app.
INSTALLED_APPS += ["demo"]
# Django's form templates, for the project's form renderer (no models).
INSTALLED_APPS += ["django.forms"]
FORM_RENDERER = "config.forms.FormRenderer"

TENANT_MODEL = "tenants.Town"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_town"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
# Skips schemas already at head and migrates the rest in parallel chunks.
GET_EXECUTOR_FUNCTION = "tenants.migration_executor.get_executor"
TENANT_MIGRATION_ORDER = ["migration_priority", "schema_name"]
TENANT_LIMIT_SET_CALLS = True
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    # First: its header goes on every response, the town middleware's own pages (unknown host,
    # suspended town) included, and the nonce exists before any page is rendered.
    "csp.middleware.CSPMiddleware",
    "tenants.middleware.TownMiddleware",
    "config.logging.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.CustomDomainHstsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.FrenchFirstLocaleMiddleware",
    "config.middleware.RefuseNulCharactersMiddleware",
    "config.middleware.RefuseOversizedBodiesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A town agent acting for a merchant: lends the request's user the merchant's role (docs: assisted mode).
    "onboarding.assisted.middleware.AssistedModeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.TownNotFoundPageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.platform",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"

# ---------------------------------------------------------------------------
# Database: DATABASE_URL, or the embedded PostgreSQL (pgserver) when unset
# ---------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    _database = env.db_url("DATABASE_URL")
    # A Unix-socket directory travels percent-encoded in the URL's host part.
    _database["HOST"] = unquote(str(_database.get("HOST", "")))
else:
    from config.embedded_postgres import embedded_database_settings

    _database = embedded_database_settings()
_database["ENGINE"] = "django_tenants.postgresql_backend"
# Each backend caches catalogue entries of every schema it touches: cap connection lifetime.
_database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
_database["CONN_HEALTH_CHECKS"] = True
_database.setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default=None)
DATABASES = {"default": _database}

# ---------------------------------------------------------------------------
# Cache, Celery
# ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
_cache_keys = {
    "KEY_FUNCTION": "django_tenants.cache.make_key",
    "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="comptoir"),
            **_cache_keys,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "comptoir",
            **_cache_keys,
        }
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = not bool(REDIS_URL) or env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task has time limits (prefork pool): past the soft one the task gets SoftTimeLimitExceeded
# and ends its work cleanly; past the hard one its worker child is killed. A task stopped by the
# hard limit is acknowledged, never run again (Celery's default, written out because acks are late).
# The defaults, then the tasks that need longer or must be shorter:
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=5 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=6 * 60)
CELERY_TASK_ACKS_ON_TIMEOUT = True
CELERY_TASK_ANNOTATIONS = {
    "catalog.run_import_job": {"soft_time_limit": 15 * 60, "time_limit": 16 * 60},
    "settlement.check_ledger": {"soft_time_limit": 15 * 60, "time_limit": 16 * 60},
    "settlement.run_scheduled_payouts": {"soft_time_limit": 10 * 60, "time_limit": 11 * 60},
    "settlement.send_pending_connect_transfers": {"soft_time_limit": 10 * 60, "time_limit": 11 * 60},
    "settlement.send_pending_connect_payouts": {"soft_time_limit": 10 * 60, "time_limit": 11 * 60},
    # One e-mail or SMS: the SMTP and SMS clients give up after 10 s.
    "checkout.send_notification": {"soft_time_limit": 60, "time_limit": 90},
    # One e-mail and one SMS.
    "checkout.send_waiting_orders_summary": {"soft_time_limit": 60, "time_limit": 90},
    # Information sessions: one invitation, one cancellation notice (one e-mail or SMS each).
    "onboarding.send_session_invitation": {"soft_time_limit": 60, "time_limit": 90},
    "onboarding.tell_session_cancelled": {"soft_time_limit": 60, "time_limit": 90},
}
# A message a killed worker held comes back after this many seconds (Redis broker): longer than the
# longest hard time limit plus the longest retry countdown, so a task still running is never sent twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 30 * 60}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="comptoir")
CELERY_TIMEZONE = "Europe/Paris"
# Beat sends each periodic town task once per real town (never to the template or the spares).
CELERY_BEAT_SCHEDULER = "config.beat.TownScheduler"
CELERY_BEAT_SCHEDULE = {
    "expire-unpaid-orders": {"task": "checkout.expire_unpaid_orders", "schedule": 60.0},
    "send-pending-notifications": {"task": "checkout.send_pending_notifications", "schedule": 60.0},
    # Checkout's outbox: events whose after-commit hand-over was lost (process killed, broker down).
    "deliver-pending-events": {"task": "checkout.deliver_pending_events", "schedule": 60.0},
    # The morning summary to shops with orders still to accept: sent once a day per shop, from 8 h in the
    # town's clock (each town's time zone: the task checks it, so every half hour everywhere).
    "send-waiting-orders-summaries": {
        "task": "checkout.send_waiting_orders_summaries",
        "schedule": crontab(minute="0,30"),
    },
    "release-due-merchant-orders": {"task": "settlement.release_due_merchant_orders", "schedule": 900.0},
    "check-ledger": {"task": "settlement.check_ledger", "schedule": crontab(hour=3, minute=30)},
    "run-scheduled-payouts": {"task": "settlement.run_scheduled_payouts", "schedule": crontab(minute="5,35")},
    # Connect towns only (a no-op elsewhere): transfers and payouts the gateway refused or never answered.
    "send-pending-connect-transfers": {"task": "settlement.send_pending_connect_transfers", "schedule": 900.0},
    "send-pending-connect-payouts": {"task": "settlement.send_pending_connect_payouts", "schedule": 1800.0},
    # Imports whose worker was killed at the hard time limit (or lost) would show "en cours" for ever.
    "fail-stalled-import-jobs": {"task": "catalog.fail_stalled_import_jobs", "schedule": 600.0},
    # Delivery rounds: once the day's last cut-off has passed, the day is planned (once; the dispatcher
    # re-plans from the board after that).
    "plan-rounds-after-cutoffs": {"task": "logistics.plan_after_cutoffs", "schedule": 300.0},
    # Information sessions: reminders the day before (from 10 h town time), lost invitations and notices.
    "onboarding-session-chores": {"task": "onboarding.session_chores", "schedule": crontab(minute="0,30")},
    "onboarding-session-occurrences": {
        "task": "onboarding.generate_session_occurrences",
        "schedule": crontab(hour=2, minute=20),
    },
    # Onboarding: the agents' daily digest (once a day from 8 h, town clock) and the catalogue catch-up.
    "send-onboarding-digests": {"task": "onboarding.send_daily_digest", "schedule": crontab(minute="10,40")},
    "catch-up-onboarding-with-catalogue": {"task": "onboarding.catch_up_with_catalogue", "schedule": 900.0},
}

# ---------------------------------------------------------------------------
# Checkout, payments, delivery
# ---------------------------------------------------------------------------
# Who collects (docs/architecture.md §4): the operator's Stripe platform, each town a connected account.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Stripe signs the Connect endpoint (connected accounts' events) with its own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Only ever changed by tests (a local stand-in): the payment page loads Stripe.js from here.
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# The demo gateway moves no money: refused unless explicitly allowed (on by default only in development).
ALLOW_TEST_GATEWAY = env.bool("ALLOW_TEST_GATEWAY", default=LOCAL_DEVELOPMENT)
GEOCODER = env.str("GEOCODER", default="local")
BAN_API_URL = env.str("BAN_API_URL", default="https://data.geopf.fr/geocodage")
# SMS (order notices, invitations): console by default; Brevo (French provider) with
# "accounts.sms.backends.brevo.SmsBackend".
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.backends.console.SmsBackend")
SMS_API_URL = env.str("SMS_API_URL", default="https://api.brevo.com/v3/transactionalSMS/send")
SMS_API_KEY = env.str("SMS_API_KEY", default="")
SMS_SENDER = env.str("SMS_SENDER", default="Comptoir")
SMS_API_TIMEOUT = env.float("SMS_API_TIMEOUT", default=10.0)
BAN_TIMEOUT_SECONDS = env.float("BAN_TIMEOUT_SECONDS", default=3.0)
# The national company directory (« Recherche d'entreprises », no key) the onboarding forms look businesses
# up in; empty: no lookup, agents and applicants type the details themselves.
COMPANY_DIRECTORY_URL = env.str("COMPANY_DIRECTORY_URL", default="https://recherche-entreprises.api.gouv.fr")
COMPANY_DIRECTORY_TIMEOUT = env.float("COMPANY_DIRECTORY_TIMEOUT", default=3.0)
# Orders are accounting documents: kept (anonymised after account deletion) for ten years.
ORDER_RETENTION_YEARS = 10

# ---------------------------------------------------------------------------
# Accounts, sessions, cookies
# ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# No account enumeration: signing up with an address that has an account (a resident's, a town
# agent's) answers exactly as for a new one ("confirm your address") and mails the owner instead.
# allauth can only do that when every signup waits for its confirmation link, hence "mandatory";
# accounts made by code or invitation carry a verified address (accounts.models, accounts.views).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
# Confirmation keys stored in the town's schema, not signed: a signed key names only the address's
# id, which repeats from town to town.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.signing.PasswordResetTokenGenerator"  # noqa: S105 - a class path
ACCOUNT_ADAPTER = "tenants.account_adapter.TownAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# django-axes does the lockout; allauth's own limit stays as a looser second net.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,20/5m/key"}
LOGIN_REDIRECT_URL = "/"
# Where a role lands after signing in without a "next" page (tenants.account_adapter); others: LOGIN_REDIRECT_URL.
LOGIN_REDIRECT_URLS_BY_ROLE = {"delivery_coordinator": "/gestion/livraisons/tableau/"}
LOGIN_URL = "account_login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Flash messages: Django's cookie-then-session storage, the cookie signed for one town only.
MESSAGE_STORAGE = "config.messages.TownFallbackStorage"
# Host-only cookies: no Domain attribute, so a cookie of one town never reaches another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
LANGUAGE_COOKIE_DOMAIN = None
_secure_cookies = env.bool("SECURE_COOKIES", default=not LOCAL_DEVELOPMENT)
# Browsers accept a "__Host-" cookie only with the Secure flag, so plain-HTTP local
# development uses the same names without the prefix.
_cookie_prefix = "__Host-" if _secure_cookies else ""
SESSION_COOKIE_NAME = f"{_cookie_prefix}sessionid"
CSRF_COOKIE_NAME = f"{_cookie_prefix}csrftoken"
LANGUAGE_COOKIE_NAME = f"{_cookie_prefix}lang"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = _secure_cookies
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = LANGUAGE_COOKIE_PATH = "/"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# Reverse proxies in front of gunicorn whose X-Forwarded-For is believed (1 behind Caddy or nginx;
# 0, the default, when gunicorn faces clients directly: the header is then ignored).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# ---------------------------------------------------------------------------
# Security headers
# ---------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LOCAL_DEVELOPMENT)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^internal/tls-ask$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if LOCAL_DEVELOPMENT else 31536000)
# includeSubDomains on the platform's domain only (every name under it is ours, all HTTPS); a
# town's custom domain gets max-age alone, its other names being the town's business
# (config.middleware.CustomDomainHstsMiddleware).
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
# Preloading would pin HTTPS on the whole registrable domain of every custom town domain, which is
# the town's decision, not ours: the preload warning is silenced on purpose.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------------------
# Internationalisation: French first
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Static and media files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
# Each entry of STORAGES, typed as Django declares it (its OPTIONS differ per backend).
_media_storage: dict[str, Any]
_private_storage: dict[str, Any]
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        # Every key under the town's schema prefix (catalog.storage.TownS3Storage).
        "BACKEND": "catalog.storage.TownS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "querystring_expire": 3600,
        },
    }
else:
    # Files of each town go under its own folder (django-tenants' storage adds the schema).
    _media_storage = {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"}
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
# Private files (imports, and any document about people or money): never under a public URL
# (tenants.private_files). On disk, a folder outside MEDIA_ROOT that no proxy serves; on S3, the
# keys under private/<schema>/ of the private bucket (the media bucket unless set).
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
if any(PRIVATE_MEDIA_ROOT.resolve().is_relative_to(root.resolve()) for root in (MEDIA_ROOT, STATIC_ROOT)):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT and STATIC_ROOT, which are served.")
if AWS_STORAGE_BUCKET_NAME:
    _private_storage = {
        "BACKEND": "tenants.private_files_s3.PrivateS3Storage",
        "OPTIONS": {
            **_media_storage["OPTIONS"],
            "bucket_name": env.str("AWS_PRIVATE_STORAGE_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME),
        },
    }
else:
    _private_storage = {"BACKEND": "tenants.private_files.PrivateFileSystemStorage"}

# Where pages may load media from besides this site (Content-Security-Policy img-src): the bucket,
# addressed path-style or virtual-hosted, when media are on S3. MEDIA_ORIGINS overrides the guess.
_media_origins: list[str] = []
if AWS_STORAGE_BUCKET_NAME:
    _region = env.str("AWS_S3_REGION_NAME", default="")
    _endpoints = [env.str("AWS_S3_ENDPOINT_URL", default="")]
    if not _endpoints[0]:  # AWS itself: the global and the regional endpoint
        _endpoints = ["https://s3.amazonaws.com", *([f"https://s3.{_region}.amazonaws.com"] if _region else [])]
    for _endpoint in map(urlsplit, _endpoints):
        _media_origins += [
            f"{_endpoint.scheme}://{_endpoint.netloc}",
            f"{_endpoint.scheme}://{AWS_STORAGE_BUCKET_NAME}.{_endpoint.netloc}",
        ]
MEDIA_ORIGINS = env.list("MEDIA_ORIGINS", default=_media_origins)

# The shop map's tiles (Leaflet, static/vendor/leaflet/): any XYZ tile server; only the home page
# showing the map lets the browser load images from its host (catalog.views_storefront.allow_map_tiles).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION", default="© les contributeurs d’OpenStreetMap (openstreetmap.org/copyright)"
)

# Delivery rounds (logistics.planner): travel times from an OSRM server's table service when set
# (e.g. http://127.0.0.1:5000), else straight line x the town's detour factor / vehicle speed. The
# OSRM profile per vehicle type: bikes use ROUTING_OSRM_BIKE_PROFILE, the others ROUTING_OSRM_PROFILE.
ROUTING_OSRM_URL = env.str("ROUTING_OSRM_URL", default="")
ROUTING_OSRM_PROFILE = env.str("ROUTING_OSRM_PROFILE", default="driving")
ROUTING_OSRM_BIKE_PROFILE = env.str("ROUTING_OSRM_BIKE_PROFILE", default="cycling")
ROUTING_OSRM_TIMEOUT = env.float("ROUTING_OSRM_TIMEOUT", default=10.0)
# The solver behind plan_rounds: "pyvrp" (default) or "vroom".
ROUTING_SOLVER = env.str("ROUTING_SOLVER", default="pyvrp")

# Content-Security-Policy (django-csp) on every response. Scripts: our static files only, no inline
# script at all (page scripts live in static/js/). Styles: our static files, plus the one inline
# <style> carrying the request's nonce (the town's brand colours, templates/base.html). Images
# also as data: URLs and from the media bucket; no plugins, no <base>, no framing, forms posting
# to this site only. The courier app (/livreur/) registers a service worker and a web app manifest,
# both served by this site. The Stripe payment page adds Stripe's origins for itself
# (payments.gateways.stripe.allow_stripe_js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
STORAGES: dict[str, dict[str, Any]] = {
    "default": _media_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Whole request bodies (uploads included), refused with 413 before they are read; the proxies in
# infra/ carry the same value.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_MB", default=25) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# ---------------------------------------------------------------------------
# E-mail: console by default, SMTP (or any backend) through EMAIL_URL
# ---------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# A hung SMTP server must not hold a worker (the notification row is locked while sending).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"Comptoir <ne-pas-repondre@{PLATFORM_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "600/min", "catalogue_anon": "120/min", "catalogue_user": "600/min"},
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Comptoir — API opérateur",
    "DESCRIPTION": "Provisioning and management of towns on the Comptoir platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_URLCONF": "config.urls_public",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# ---------------------------------------------------------------------------
# Provisioning
# ---------------------------------------------------------------------------
# Pre-built spare schemas renamed on provisioning (the fastest path); refilled after each use.
TOWN_SPARE_POOL_SIZE = env.int("TOWN_SPARE_POOL_SIZE", default=2)

# ---------------------------------------------------------------------------
# Logging: structured, every record carries the town's schema
# ---------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
from config.logging import build_logging_config  # noqa: E402

LOGGING = build_logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)


# Shown in every town's legal notice (mentions légales → hébergement).
HOSTING_PROVIDER_NAME = env.str("HOSTING_PROVIDER_NAME", default="Hébergeur à préciser par l'exploitant")
HOSTING_PROVIDER_ADDRESS = env.str("HOSTING_PROVIDER_ADDRESS", default="Adresse à préciser par l'exploitant")
