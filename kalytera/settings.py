"""Settings for the Kalytera platform, read from the environment.

Every knob has a safe default for development. With ``DEBUG`` off (the default),
a missing or unsafe production setting stops start-up with a clear message; see
``kalytera.config`` for the rules and the README for the full table.
"""

from pathlib import Path
from typing import Any, Literal

import environ
from django.utils.csp import CSP

from kalytera.config import (
    INSECURE_SECRET_KEY,
    PRIVATE_NETWORKS,
    cache_settings,
    enforce_production_settings,
    mailer_settings,
    proxy_networks,
    release_storage,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Kalytera"
# Number of reverse proxies in front of the app whose X-Forwarded-For entries we trust, and
# the networks a request must come from for its X-Forwarded-For to be read at all
# (kalytera/client_address.py): by default loopback and the private ranges.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_NETWORKS = proxy_networks(
    env.list("TRUSTED_PROXY_NETWORKS", default=list(PRIVATE_NETWORKS) if TRUSTED_PROXY_COUNT else [])
)
ADMIN_URL = env.str("ADMIN_URL", default="staff-admin/").strip("/") + "/"

INSTALLED_APPS = [
    "kalytera",
    "accounts",
    "organizations",
    "licensing",
    "contact",
    "legal",
    "advisories",
    "community",
    "outbox",
    "kalytera.apps.KalyteraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # full-text search of the community (SQLite falls back)
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts.apps.UserSessionsConfig",  # allauth.usersessions
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Header middleware sits before WhiteNoise: WhiteNoise answers static files
    # itself, and static responses need the same headers as pages.
    "kalytera.middleware.SecurityHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Refuses an oversized body by its Content-Length before anything reads it (the headers
    # above still apply to its 413).
    "kalytera.uploads.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kalytera.middleware.HealthCheckMiddleware",
    "kalytera.middleware.CacheUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff only may send an installer past REQUEST_MAX_BYTES (LARGE_UPLOADS), before the body is read.
    "kalytera.uploads.StaffUploadMiddleware",
    "kalytera.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth.usersessions' activity tracking, without a write on every page (accounts/user_sessions.py).
    "accounts.user_sessions.UserSessionsMiddleware",
]

ROOT_URLCONF = "kalytera.urls"
WSGI_APPLICATION = "kalytera.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kalytera.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file in development.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every process, because rate limits live in it -----------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Lets several installations share one Redis database without seeing each other's keys.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="kalytera")
# A Redis that hangs must cost milliseconds: seconds to connect, to wait for a reply, and
# to leave Redis alone after a failure before trying again (see kalytera/cache.py).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.1)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.25)
REDIS_DOWN_SECONDS = env.float("REDIS_DOWN_SECONDS", default=5)
# How long rate limits count in each process's memory while Redis is unavailable.
RATE_LIMIT_LOCAL_SECONDS = env.int("RATE_LIMIT_LOCAL_SECONDS", default=3600)
CACHES = cache_settings(
    REDIS_URL,
    CACHE_KEY_PREFIX,
    connect_timeout=REDIS_CONNECT_TIMEOUT,
    socket_timeout=REDIS_SOCKET_TIMEOUT,
    down_seconds=REDIS_DOWN_SECONDS,
)

# --- Request bodies and uploads (kalytera.uploads) ----------------------------------------
# A body declaring more than this is refused with 413 before it is read (the proxy should
# refuse it first: client_max_body_size in the README's nginx example).
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=2_621_440)  # Django's form-data limit
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
# The only upload is an offline activation request (16 KiB at most): a larger file stops the
# reading at once, and uploads are held in memory, never spooled to disk.
UPLOAD_MAX_BYTES = 16 * 1024
FILE_UPLOAD_HANDLERS = [
    "kalytera.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
# The one exception: installer files staff upload in the admin (the artifact pages under
# ADMIN_URL). Their body may reach RELEASE_UPLOAD_MAX_BYTES and is hashed while it is
# written to a temporary file in FILE_UPLOAD_TEMP_DIR, never held in memory (README:
# "Releases and downloads" gives the proxy settings this needs).
RELEASE_UPLOAD_MAX_BYTES = env.int("RELEASE_UPLOAD_MAX_BYTES", default=4 * 1024**3)
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default="") or None
LARGE_UPLOADS = {
    f"/{ADMIN_URL}licensing/releaseartifact/": RELEASE_UPLOAD_MAX_BYTES,
}

# --- Sessions and cookies: only the session cookie and the CSRF cookie ----------------------
SESSION_ENGINE = "kalytera.sessions"  # the database store, encrypted
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script of ours reads the CSRF cookie: forms carry the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# The __Host- prefix pins a cookie to this host over HTTPS; browsers refuse it over http.
SESSION_COOKIE_NAME = "__Host-sessionid" if not DEBUG else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if not DEBUG else "csrftoken"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
CSRF_FAILURE_VIEW = "kalytera.views.csrf_failure"

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Health checks come from the container runtime over plain http inside the host.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idHasher",
    # Kept so that older hashes still verify; each is re-hashed with Argon2id at login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 2
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = SITE_URL.split("://", 1)[0]
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "website"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kalytera] "
ACCOUNT_RATE_LIMITS: dict[str, str] | Literal[False] = {
    # allauth's defaults, stated here so the README and the tests can point at them.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# allauth takes the client's address from our adapter (kalytera/client_address.py), so it
# follows TRUSTED_PROXY_COUNT and TRUSTED_PROXY_NETWORKS; it groups IPv6 by /64 as we do.
# Site-wide cap on password checks (logins and re-authentication), each one Argon2id hash.
# Keep it below half of what the servers can hash (README, "Password hashing").
PASSWORD_CHECK_RATE_LIMIT = env.str("PASSWORD_CHECK_RATE_LIMIT", default="40/s")
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
# Seals TOTP secrets and recovery-code seeds (AES-GCM); required in production (accounts.E003).
# Changing it locks out every second factor set up before: keep it with the other secrets.
TWO_FACTOR_ENCRYPTION_SECRET = env.str(
    "TWO_FACTOR_ENCRYPTION_SECRET", default="development-two-factor-secret-not-secret" if DEBUG else ""
)
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Kalytera"
# Recovery codes are shown once, right after they are made; afterwards only new ones can be made.
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
USERSESSIONS_TRACK_ACTIVITY = True
# The session list's "last seen" is written at most this often per session (and at once when the
# IP address or the browser change).
USERSESSIONS_SEEN_EVERY_SECONDS = env.int("USERSESSIONS_SEEN_EVERY_SECONDS", default=300)

# --- Email: every message is queued in the outbox and delivered by a task ----------------------
MAILERS = mailer_settings(env.str("MAIL_URL", default="console://" if DEBUG else ""))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kalytera <no-reply@kalytera.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SUPPORT_EMAILS = env.list("SUPPORT_EMAILS", default=["support@kalytera.example"])
MANAGERS = SUPPORT_EMAILS
# Delivery retries back off exponentially from this many seconds, up to MAIL_MAX_ATTEMPTS.
MAIL_RETRY_BASE_SECONDS = env.int("MAIL_RETRY_BASE_SECONDS", default=60)
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=10)
# A worker delivering a message holds it this long; keep it well above the SMTP timeout.
MAIL_CLAIM_SECONDS = env.int("MAIL_CLAIM_SECONDS", default=120)
# Who declined optional (informational) mail: the accounts app's rule, asked by the outbox.
OUTBOX_OPTIONAL_MAIL_DECLINED = "accounts.privacy.restriction.declined_optional_mail"

# --- Background tasks ---------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# manage.py db_worker waits out a database outage: 1 s, doubling up to this many seconds.
WORKER_RETRY_MAX_SECONDS = env.int("WORKER_RETRY_MAX_SECONDS", default=30)
# Every task leaves a result record; the daily prune_task_results job deletes finished ones after this.
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=14)

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Installer files of releases (licensing.ReleaseArtifact): a directory by default, an
# S3-compatible bucket when RELEASE_S3_BUCKET is set (credentials as boto3 reads them:
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the instance's role).
RELEASE_FILES_DIR = env.path("RELEASE_FILES_DIR", default=BASE_DIR / "release-files")
RELEASE_S3_BUCKET = env.str("RELEASE_S3_BUCKET", default="")
# Behind nginx with the files on its disk: the path of an `internal` location that serves
# RELEASE_FILES_DIR; downloads are then sent by nginx (X-Accel-Redirect), not by a worker.
RELEASE_DOWNLOAD_ACCEL_PREFIX = env.str("RELEASE_DOWNLOAD_ACCEL_PREFIX", default="").strip("/")
RELEASE_DOWNLOAD_ACCEL_PREFIX = f"/{RELEASE_DOWNLOAD_ACCEL_PREFIX}/" if RELEASE_DOWNLOAD_ACCEL_PREFIX else ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "releases": release_storage(
        directory=str(RELEASE_FILES_DIR),
        bucket=RELEASE_S3_BUCKET,
        endpoint_url=env.str("RELEASE_S3_ENDPOINT_URL", default=""),
        region=env.str("RELEASE_S3_REGION", default=""),
        prefix=env.str("RELEASE_S3_PREFIX", default="releases"),
    ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 3600

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The site's wording for the account pages allauth renders ("Sign in", sentence case).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
FORMAT_MODULE_PATH = ["kalytera.formats"]  # one date format, the zone stated

# --- Security contact (security.txt) -----------------------------------------------------------------
SECURITY_CONTACTS = env.list("SECURITY_CONTACTS", default=["mailto:security@kalytera.example"])
SECURITY_POLICY_PATH = "/legal/vulnerability-disclosure/"
SECURITY_TXT_LIFETIME_DAYS = 180
# The CSAF provider metadata (advisories app), named in security.txt as its "CSAF:" line.
SECURITY_TXT_CSAF_PATH = "/.well-known/csaf/provider-metadata.json"

# --- Logging ----------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.utils.autoreload": {"level": "WARNING"},  # runserver prints the same itself
    },
}

# --- License certificates ---------------------------------------------------------------------------
# Directory of the Ed25519 signing keys (see licensing/signing_keys.py). In development a
# key is created there on first use; production refuses to start without one (licensing.E101).
LICENSE_SIGNING_KEY_DIR = env.str(
    "LICENSE_SIGNING_KEY_DIR", default=str(BASE_DIR / ".signing-keys") if DEBUG else ""
)

# --- Periodic jobs: run by `manage.py scheduler`; each is an idempotent management command ---------------
PERIODIC_JOBS = [
    # (command, interval in seconds)
    ("deliver_emails", 60),
    ("cleanup_sessions", 3600),
    ("purge_deleted_accounts", 3600),
    ("purge_expired_exports", 3600),
    ("resume_data_exports", 600),
    ("purge_security_events", 86400),
    ("process_policy_changes", 300),
    ("process_security_notices", 300),
    ("purge_inquiries", 6 * 3600),
    ("send_license_reminders", 3600),
    ("purge_invitations", 86400),
    ("expire_license_transfers", 3600),
    ("flush_check_ins", 60),
    ("prune_task_results", 86400),
    ("send_community_notices", 120),
]

# --- Privacy center ---------------------------------------------------------------------------------------
# Deleted accounts are purged after the grace period (during which signing in offers to cancel);
# grace + purge job interval + receipt lifetime must stay within the 30 days the policy promises
# (system check accounts.E002).
PRIVACY_DELETION_GRACE_DAYS = env.int("PRIVACY_DELETION_GRACE_DAYS", default=14)
PRIVACY_RECEIPT_MAX_DAYS = env.int("PRIVACY_RECEIPT_MAX_DAYS", default=3)
# Key for the fingerprints in deletion records (re-applying deletions after a restore); keep it
# with the secrets, never change it (old records would no longer match). Required in production.
PRIVACY_PEPPER = env.str("PRIVACY_PEPPER", default="development-only-privacy-pepper" if DEBUG else "")
# Optional file outside the database backups that receives a copy of every deletion record.
PRIVACY_DELETION_LEDGER = env.str("PRIVACY_DELETION_LEDGER", default="")
PRIVACY_EXPORT_VALID_DAYS = env.int("PRIVACY_EXPORT_VALID_DAYS", default=7)
# Exports of up to this many rows are built during the request; larger ones by a task.
PRIVACY_EXPORT_INLINE_MAX_ROWS = env.int("PRIVACY_EXPORT_INLINE_MAX_ROWS", default=2000)
SECURITY_EVENT_RETENTION_DAYS = env.int("SECURITY_EVENT_RETENTION_DAYS", default=365)
USERSESSIONS_ADAPTER = "accounts.security_events.UserSessionsAdapter"

# --- Legal --------------------------------------------------------------------------------------------
# Signed-in people with a material Terms change to accept are sent to the accept page
# from these paths (license features); every other page stays open.
LEGAL_ACCEPTANCE_REQUIRED_PREFIXES = env.list(
    "LEGAL_ACCEPTANCE_REQUIRED_PREFIXES", default=["/licenses/", "/downloads/", "/community/write/"]
)
LEGAL_NOTICE_BATCH_SIZE = env.int("LEGAL_NOTICE_BATCH_SIZE", default=500)

# --- Security advisories and incident notices (advisories app) ----------------------------------------
ADVISORY_NOTICE_BATCH_SIZE = env.int("ADVISORY_NOTICE_BATCH_SIZE", default=500)
INCIDENT_NOTICE_BATCH_SIZE = env.int("INCIDENT_NOTICE_BATCH_SIZE", default=500)
# Who received an incident notice is kept this long (proof of notification), then only the count.
INCIDENT_DELIVERY_RETENTION_DAYS = env.int("INCIDENT_DELIVERY_RETENTION_DAYS", default=3 * 365)
# How licensing asks which published advisories affect a machine's version (licensing must not
# import the advisories app, which builds on it).
LICENSING_ADVISORY_LOOKUP = "advisories.selectors.affecting"
MIDDLEWARE += ["legal.middleware.TermsAcceptanceMiddleware"]

# --- Contact desk ---------------------------------------------------------------------------------------
# The public address shown when the form refuses a submission (defaults to the first support address).
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default=SUPPORT_EMAILS[0] if SUPPORT_EMAILS else "")
# Submissions per client address: every rate must hold ("5/10m" = five in ten minutes).
CONTACT_RATE_LIMITS = env.list("CONTACT_RATE_LIMITS", default=["5/10m", "20/d"])
# Acknowledgements per recipient address, so the form cannot flood a stranger's mailbox.
CONTACT_ACK_RATE_LIMIT = env.str("CONTACT_ACK_RATE_LIMIT", default="3/d")
# A form sent sooner than this after it was shown was most likely filled in by a program.
CONTACT_MIN_FILL_SECONDS = env.int("CONTACT_MIN_FILL_SECONDS", default=3)
CONTACT_FORM_MAX_AGE_HOURS = env.int("CONTACT_FORM_MAX_AGE_HOURS", default=24)
# Retention, stated in the Privacy Policy: closed inquiries (24 months) and spam.
CONTACT_RETENTION_CLOSED_DAYS = env.int("CONTACT_RETENTION_CLOSED_DAYS", default=730)
CONTACT_RETENTION_SPAM_DAYS = env.int("CONTACT_RETENTION_SPAM_DAYS", default=30)

# --- Community ---------------------------------------------------------------------------------------
# Posts per account and per client address (every rate must hold), counted in the shared cache.
COMMUNITY_POST_RATE_LIMITS = env.list("COMMUNITY_POST_RATE_LIMITS", default=["5/10m", "60/d"])
COMMUNITY_ADDRESS_RATE_LIMITS = env.list("COMMUNITY_ADDRESS_RATE_LIMITS", default=["20/h"])
COMMUNITY_MAX_POST_CHARS = env.int("COMMUNITY_MAX_POST_CHARS", default=20_000)
# Until a moderator approved one of their posts, members' posts wait for review and hold few links.
COMMUNITY_NEW_MEMBER_MAX_LINKS = env.int("COMMUNITY_NEW_MEMBER_MAX_LINKS", default=2)
# Follow notices wait this long, so that replies arriving together go out as one digest.
COMMUNITY_NOTICE_DELAY_SECONDS = env.int("COMMUNITY_NOTICE_DELAY_SECONDS", default=300)
COMMUNITY_NOTICE_BATCH_SIZE = env.int("COMMUNITY_NOTICE_BATCH_SIZE", default=200)

# --- Licensing ---
# Both secrets live only in the environment: the pepper keys the hashes of license keys and
# hardware fingerprints, the encryption secret seals the values shown or used again. Rotating
# either makes existing keys unusable; keep them with the database backups' recovery keys.
LICENSING_PEPPER = env.str("LICENSING_PEPPER", default="development-pepper-not-secret" if DEBUG else "")
LICENSING_ENCRYPTION_SECRET = env.str(
    "LICENSING_ENCRYPTION_SECRET", default="development-encryption-secret-not-secret" if DEBUG else ""
)
LICENSING_API_RATE_PER_ADDRESS = env.str("LICENSING_API_RATE_PER_ADDRESS", default="120/m")
LICENSING_API_RATE_PER_LICENSE = env.str("LICENSING_API_RATE_PER_LICENSE", default="30/m")
LICENSING_API_MAX_BODY_BYTES = 16 * 1024
# Withdrawn and expired invitations to organizations are deleted this long after they closed.
ORGANIZATION_INVITE_RATE = "20/h"  # invitations a person sends (each emails a typed address)
ORGANIZATION_INVITATION_RETENTION_DAYS = env.int("ORGANIZATION_INVITATION_RETENTION_DAYS", default=90)
# The Organization API (read-only, token per organization): per client address, then per token.
ORGANIZATION_API_RATE_PER_ADDRESS = env.str("ORGANIZATION_API_RATE_PER_ADDRESS", default="120/m")
ORGANIZATION_API_RATE_PER_TOKEN = env.str("ORGANIZATION_API_RATE_PER_TOKEN", default="60/m")
# A check-in writes the machine's last-seen time at most this often (validation stays read-only).
LICENSING_CHECKIN_WRITE_SECONDS = env.int("LICENSING_CHECKIN_WRITE_SECONDS", default=15 * 60)
LICENSING_EXPIRING_SOON_DAYS = 30
LICENSING_CLAIM_RATE = "10/m"
# Each invitation emails an address the owner typed: a cap keeps the form from being a mailer.
LICENSING_INTEGRATOR_INVITE_RATE = "20/h"
# Each transfer offer emails an address the owner types: a cap keeps the platform from being a mailer.
LICENSING_TRANSFER_OFFER_RATE = "20/h"

# --- Performance ---------------------------------------------------------------------------------------
# Mounts the benchmark's reference endpoints under /_benchmark/ (bench/, docs/performance.md).
# Only the benchmark harness sets it, on the server it starts; a system check warns otherwise.
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)

if not DEBUG:
    enforce_production_settings(
        secret_key=SECRET_KEY,
        allowed_hosts=ALLOWED_HOSTS,
        site_url=SITE_URL,
        database_engine=DATABASES["default"]["ENGINE"],
        mailers=MAILERS,
    )
