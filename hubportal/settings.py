"""Settings for the Innovation Hub Front Door.

One file for every environment. Everything that differs between a laptop, CI and production comes
from the environment through the small helpers below, which fail loudly on a value they cannot read.
With no environment at all we run the *embedded default*: SQLite, a filesystem Celery broker and
emails written to files under var/, so `make run` works on a fresh machine with no services.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


# --- Environment helpers -------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core ----------------------------------------------------------------------------------------

# Off unless asked for: a deployment that forgets its environment must not show debug pages.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105
elif not DEBUG:
    # The same rule as check --deploy (security.W009), but refused at start: a guessable key lets anyone
    # forge session cookies and signed links, and a warning nobody runs check --deploy to see protects
    # no one. Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 characters with at least 5 different characters, and must not "
            "start with 'django-insecure', when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Absolute address of the site, used in emails (sent by Celery, which has no request to ask).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVICE_NAME = "Innovation Hub Front Door"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # PostgreSQL lookups (trigram similarity, full-text search); inert on SQLite.
    "django.contrib.postgres",
    "crispy_forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "hubportal",
    "partners",
    "intake",
    "signposting",
    # PPIE lay review: lay reviewers, their review requests and answers (issue 12).
    "review",
    # After triage: stages and gates, milestones, benefits and surveys (issue 11).
    "adoption",
    # Demo data, seeding and benchmarks (load_demo, seed_demo, bench): tooling that no app imports.
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost of ours, so its headers reach every response, error pages included.
    "hubportal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the address: a NUL in it would reach PostgreSQL and be a 500.
    "hubportal.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user.is_verified(): staff pages need a password and a second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After OTP (staff have a shorter idle time) and messages (it says why the person was signed out).
    "hubportal.middleware.IdleSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With a read replica: a browser that just changed something reads its reports from the primary.
    "hubportal.db_router.ReplicaStickinessMiddleware",
]

ROOT_URLCONF = "hubportal.urls"
WSGI_APPLICATION = "hubportal.wsgi.application"

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
                "hubportal.context_processors.service",
                "partners.context_processors.partner",
            ],
        },
    },
    {
        # Only the partials a staff page draws dozens of times or on every view (hubportal/jinja.py); after
        # Django's engine, and in a folder of its own, so no page is ever looked up here.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "hubportal.jinja.environment"},
    },
]


# --- Database ------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker started by an integration test sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for up to 20 s instead of failing at once ("database is locked").
        "timeout": 20,
        # Take the write lock at BEGIN: a deferred transaction that reads and then writes cannot wait
        # for the lock (SQLite answers BUSY at once to avoid deadlock), so two submits at once gave 500s.
        "transaction_mode": "IMMEDIATE",
        # WAL: readers never block the writer nor it them; NORMAL sync is durable enough in WAL mode.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Through a pooler in transaction mode (PgBouncer's pool_mode=transaction) each transaction may run on a
# different server connection, so nothing may outlive a transaction on the server. The only such thing
# Django uses is the named (server-side) cursor that QuerySet.iterator() opens on PostgreSQL: switched off
# here, iterator() then fetches through an ordinary cursor. Migrations connect directly, not through it.
DATABASE_POOLER = env_str("DATABASE_POOLER", "")
if DATABASE_POOLER not in ("", "transaction"):
    raise ImproperlyConfigured(f"DATABASE_POOLER must be empty or 'transaction'; got {DATABASE_POOLER!r}")
if DATABASE_POOLER == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# A streaming read replica of the default database for the report pages (hubportal.db_router): the
# metrics, the value reports, the CSV exports and the figures API read there; everything else, and every
# write, stays on default. Unset (the default): one database, as before.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True)
    if DATABASE_POOLER == "transaction":
        DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = True
elif env_bool("DATABASE_REPLICA_TEST_MIRROR", False):
    # The test settings only (pyproject's pytest env): a second alias on the default database, so the
    # router's tests can count each alias's queries. Reports still read default unless a test says so.
    DATABASES["replica"] = {**DATABASES["default"]}
if "replica" in DATABASES:
    # A test run never builds a second test database: the replica alias reads the default's.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Where reports read: "replica" when one is configured, else "default" (tests switch it per test).
REPORTS_DATABASE = "replica" if DATABASE_REPLICA_URL else "default"
# After a browser changes something, its report pages read the primary this long (s), so its own change
# shows however far the replica lags (hubportal.db_router.ReplicaStickinessMiddleware). 0: never.
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 10)
DATABASE_ROUTERS = ["hubportal.db_router.ReportsReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The metrics page's covering index (Index.include) matters on PostgreSQL; SQLite builds it without the
# extra columns and says so at every start, which tells a developer nothing they can act on.
SILENCED_SYSTEM_CHECKS = ["models.W040"]


# --- Accounts and sessions -----------------------------------------------------------------------

AUTH_USER_MODEL = "hubportal.User"
LOGIN_URL = "hubportal:sign_in"
LOGIN_REDIRECT_URL = "intake:inquiry_list"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions live outside the web process, so any web process behind a load balancer serves any request.
# SESSION_ENGINE: "db" (the default: the sessions table), "cache" (Redis only: a Redis restart signs
# everyone out) or "cached_db" (read from Redis, written through to the table: survives a restart).
# Redis is SESSION_REDIS_URL, else REDIS_URL, through Django's own Redis cache backend.
SESSION_ENGINE = env_str("SESSION_ENGINE", "db")
if SESSION_ENGINE not in ("db", "cache", "cached_db"):
    raise ImproperlyConfigured(f"SESSION_ENGINE must be db, cache or cached_db; got {SESSION_ENGINE!r}")
if SESSION_ENGINE != "db":
    SESSION_REDIS_URL = env_str("SESSION_REDIS_URL", env_str("REDIS_URL", ""))
    if not SESSION_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"SESSION_ENGINE={SESSION_ENGINE} needs SESSION_REDIS_URL or REDIS_URL "
                                   "(redis://...).")
    CACHES = {
        # Nothing of ours caches; the default stays in-process so nothing else lands in Redis unasked.
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": SESSION_REDIS_URL,
                     "KEY_PREFIX": "hubportal-session"},
    }
    SESSION_CACHE_ALIAS = "sessions"
SESSION_ENGINE = f"django.contrib.sessions.backends.{SESSION_ENGINE}"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
# Idle limits on top of SESSION_COOKIE_AGE (hubportal.middleware.IdleSessionTimeoutMiddleware): staff see
# every inquiry of their hub, so their sessions end sooner than a submitter's or a partner contact's.
SESSION_IDLE_MINUTES_STAFF = env_int("SESSION_IDLE_MINUTES_STAFF", 30)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60)

# Staff: a password and a TOTP code. Authenticator apps show this name beside the code.
OTP_TOTP_ISSUER = "Innovation Hub Front Door"
STAFF_LOGIN_URL = "hubportal:staff_sign_in"
# Wrong staff passwords allowed in STAFF_SIGN_IN_WINDOW_MINUTES, per address and per IP address.
STAFF_SIGN_IN_FAILURES_PER_ADDRESS = env_int("STAFF_SIGN_IN_FAILURES_PER_ADDRESS", 5)
STAFF_SIGN_IN_FAILURES_PER_IP = env_int("STAFF_SIGN_IN_FAILURES_PER_IP", 100)
STAFF_SIGN_IN_WINDOW_MINUTES = env_int("STAFF_SIGN_IN_WINDOW_MINUTES", 15)

# Partners' secure links to a referral: days to act on it, then days to record its outcome.
REFERRAL_LINK_DAYS = env_int("REFERRAL_LINK_DAYS", 14)
REFERRAL_OUTCOME_LINK_DAYS = env_int("REFERRAL_OUTCOME_LINK_DAYS", 90)

# Emailed sign-in links: how long they last and how many may be asked for.
SIGN_IN_LINK_MINUTES = env_int("SIGN_IN_LINK_MINUTES", 30)
SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = env_int("SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR", 5)
SIGN_IN_LINKS_PER_IP_PER_HOUR = env_int("SIGN_IN_LINKS_PER_IP_PER_HOUR", 100)
# Who may sign in as a submitter: these domains and their subdomains. "*" allows any address.
# NHS staff use nhs.net and trust domains under nhs.uk; in DEBUG any address works for demos.
SUBMITTER_EMAIL_DOMAINS = env_list("SUBMITTER_EMAIL_DOMAINS", ["*"] if DEBUG else ["nhs.net", "nhs.uk"])


# --- Who is acting: client addresses and staff invitations (issue 8) ----------------------------

# Proxies in front of the web process that append to X-Forwarded-For (a load balancer, nginx...).
# 0: REMOTE_ADDR is the client. Every per-IP limit reads the client's address through
# hubportal.auth.client_ip, which trusts exactly this many entries from the right of the header.
# The per-IP limits above are deliberately much higher than the per-address ones: a whole trust may
# share one address, so reaching an IP limit is logged (hubportal.auth, event ip_limit_reached).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# A staff invitation (first sign-in, or after an administrator resets the authenticator) lasts this long.
STAFF_INVITATION_HOURS = env_int("STAFF_INVITATION_HOURS", 72)


# --- Data protection: retention, subject access and erasure (issue 12) ---------------------------

# Each hub sets its own periods for inquiries and email content (Hub.retain_*); these are the periods
# for rows that belong to no hub: drafts not yet sent anywhere, emails not about a hub, and the
# deployment's sign-in rows (emailed links and wrong staff passwords, kept for the rate limits).
RETENTION_DRAFT_DAYS = env_int("RETENTION_DRAFT_DAYS", 90)
RETENTION_EMAIL_DAYS = env_int("RETENTION_EMAIL_DAYS", 30)
RETENTION_SIGN_IN_DAYS = env_int("RETENTION_SIGN_IN_DAYS", 30)
# Rows changed per transaction by the retention job: short transactions that never hold many locks.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000)
# A subject access archive's emailed link (single use) lasts this long; the file is deleted after it.
DATA_EXPORT_LINK_HOURS = env_int("DATA_EXPORT_LINK_HOURS", 72)
# --- Access log: who saw what (issue 12) ---------------------------------------------------------

# Rows of intake.InquiryAccess (every view of an inquiry's personal data by staff, partners and lay
# reviewers) are kept this many days, then deleted by the purge. The DSPT asks for access logs of at
# least six months; we keep six years by default, the Limitation Act 1980 period in which someone may
# bring a claim about misuse of their data, which outlasts the inquiries themselves (anonymised 24
# months after closing). Less than 183 days is refused: it would fall short of the DSPT.
# The value report's pages use figures worked out at most this long ago (shown on the page; 0: always now).
VALUE_REPORT_MAX_AGE_MINUTES = env_int("VALUE_REPORT_MAX_AGE_MINUTES", 10)
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 6 * 365)
if ACCESS_LOG_RETENTION_DAYS < 183:
    raise ImproperlyConfigured("ACCESS_LOG_RETENTION_DAYS must be at least 183 (six months, the DSPT's minimum)")

# --- PPIE lay review (issue 12) -------------------------------------------------------------------

# A lay reviewer's emailed link (single use, bound to one review request) lasts this many days.
LAY_REVIEW_LINK_DAYS = env_int("LAY_REVIEW_LINK_DAYS", 14)
# After using the link, this browser may answer that review for this long.
LAY_REVIEW_SESSION_HOURS = env_int("LAY_REVIEW_SESSION_HOURS", 8)


# --- Internationalisation ------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True


# --- Static files and uploads --------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Where attachments and data-export archives are kept. Every read and write goes through Django's
# storage API (never a filesystem path), so web processes and workers on different machines share them
# once this is shared storage. ATTACHMENT_STORAGE: "filesystem" (the default: MEDIA_ROOT, one machine or
# a shared volume) or "s3" (any S3-compatible object store, through django-storages; credentials come
# from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the machine's role, as boto3 finds them).
ATTACHMENT_STORAGE = env_str("ATTACHMENT_STORAGE", "filesystem")
if ATTACHMENT_STORAGE == "filesystem":
    # Attachments are never served from a public URL: only intake's download view reads them.
    _attachment_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                           "OPTIONS": {"location": str(Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))),
                                       "base_url": "/not-public/"}}
elif ATTACHMENT_STORAGE == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("ATTACHMENT_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _attachment_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
        "region_name": env_str("AWS_S3_REGION_NAME") or None,
        # Another S3-compatible store (MinIO, Ceph...): its address.
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
        # A prefix inside the bucket, so one bucket can serve several deployments.
        "location": env_str("AWS_LOCATION", ""),
        # Private objects, never a public URL: the download view streams them after its access check.
        "default_acl": "private",
        "querystring_auth": True,
        # Our names are random; never silently replace an object that has one already.
        "file_overwrite": False,
    }}
else:
    raise ImproperlyConfigured(f"ATTACHMENT_STORAGE must be filesystem or s3; got {ATTACHMENT_STORAGE!r}")
STORAGES = {
    "default": _attachment_storage,
    "staticfiles": {
        # Hashed, compressed names in production (collectstatic); plain names in development and tests.
        "BACKEND": env_str("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
                           if DEBUG else "whitenoise.storage.CompressedManifestStaticFilesStorage"),
    },
}
# Serve straight from static/ without collectstatic (development, tests and their browser).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
# Only the filesystem storage has a folder on this machine (created below).
MEDIA_ROOT = STORAGES["default"]["OPTIONS"]["location"] if ATTACHMENT_STORAGE == "filesystem" else ""

ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENTS_PER_INQUIRY = env_int("ATTACHMENTS_PER_INQUIRY", 5)
# Uploads larger than this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Refuse request bodies far beyond any legitimate upload before Django reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"


# --- Malware scanning ----------------------------------------------------------------------------

# ClamAV's clamd scans every upload before it is stored: CLAMD_SOCKET (a unix socket path) or
# CLAMD_HOST and CLAMD_PORT. With neither set, uploads are NOT scanned (the embedded default). Once set,
# an upload clamd cannot scan is refused with "try again later": we never store what nobody checked.
CLAMD_SOCKET = env_str("CLAMD_SOCKET", "")
CLAMD_HOST = env_str("CLAMD_HOST", "")
CLAMD_PORT = env_int("CLAMD_PORT", 3310)
# Seconds to wait for clamd to connect and answer; a 10 MB upload scans in well under one.
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)


# --- Email ---------------------------------------------------------------------------------------

EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Innovation Hub Front Door <no-reply@frontdoor.example.nhs.uk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Retries of a send that failed before the mail server accepted it (a 4xx, connection refused):
# first delay, doubling up to the cap (s; below Redis' 3-hour visibility timeout), for as long as
# the backoff stays within the window (s, 24 hours); then the email is marked failed.
EMAIL_SEND_RETRY_DELAY = env_int("EMAIL_SEND_RETRY_DELAY", 30)
EMAIL_SEND_RETRY_DELAY_MAX = env_int("EMAIL_SEND_RETRY_DELAY_MAX", 60 * 60)
EMAIL_SEND_RETRY_WINDOW = env_int("EMAIL_SEND_RETRY_WINDOW", 24 * 60 * 60)



# --- Email provider: SMTP (above) or GOV.UK Notify (issue 14) -----------------------------------

# "smtp": EMAIL_BACKEND as above (files when DEBUG=1). "notify": every email goes through GOV.UK
# Notify's API, still from the outbox (same rows, retries and idempotency), through one generic
# Notify template whose subject is ((subject)) and whose body is ((body)): our templates stay ours.
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "smtp")
if EMAIL_PROVIDER not in ("smtp", "notify"):
    raise ImproperlyConfigured(f"EMAIL_PROVIDER must be smtp or notify; got {EMAIL_PROVIDER!r}")
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY", "")
NOTIFY_TEMPLATE_ID = env_str("NOTIFY_TEMPLATE_ID", "")
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT = env_int("NOTIFY_TIMEOUT", EMAIL_TIMEOUT)
if EMAIL_PROVIDER == "notify":
    # A Notify key is "<name>-<service id>-<secret>", both UUIDs: 74 characters after the name.
    if len(NOTIFY_API_KEY) < 74 or not NOTIFY_TEMPLATE_ID:
        raise ImproperlyConfigured("EMAIL_PROVIDER=notify needs NOTIFY_API_KEY (the whole key from Notify) "
                                   "and NOTIFY_TEMPLATE_ID (the generic template's id).")
    EMAIL_BACKEND = "hubportal.notify_backend.NotifyEmailBackend"


# --- Channels: outbound webhooks (issue 14) ------------------------------------------------------

# Seconds to open a connection to a receiver, and to wait for its answer.
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 5)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
# First retry after this many seconds, doubling up to an hour; no retries after the window.
WEBHOOK_RETRY_DELAY = env_int("WEBHOOK_RETRY_DELAY", 30)
WEBHOOK_RETRY_WINDOW_HOURS = env_int("WEBHOOK_RETRY_WINDOW_HOURS", 24)
# Plain http:// to this machine's loopback addresses (a receiver under test): DEBUG and tests only.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", DEBUG)
# --- Hub mailboxes (IMAP intake, intake/mailbox.py) ----------------------------------------------

# Fernet keys for the stored IMAP passwords, comma-separated: the first encrypts, all decrypt (add a
# new key first to rotate). Unset: one key derived from SECRET_KEY, so changing SECRET_KEY then
# means entering the mailbox passwords again.
MAILBOX_ENCRYPTION_KEYS = env_list("MAILBOX_ENCRYPTION_KEYS", [])
# Certificate authorities to trust for IMAP over TLS (a PEM file); unset: the system's.
MAILBOX_CA_FILE = env_str("MAILBOX_CA_FILE", "")
# Messages imported per mailbox per fetch; the rest wait for the next one (beat runs every 2 minutes).
MAILBOX_FETCH_BATCH = env_int("MAILBOX_FETCH_BATCH", 200)
# How long a fetch holds its mailbox; a worker that dies holding it blocks fetches this long at most.
MAILBOX_FETCH_LEASE_SECONDS = env_int("MAILBOX_FETCH_LEASE_SECONDS", 600)
MAILBOX_IMAP_TIMEOUT = env_int("MAILBOX_IMAP_TIMEOUT", 60)
# Larger messages are imported with their headers only, and staff are told to open them in the mailbox.
MAILBOX_MAX_MESSAGE_BYTES = env_int("MAILBOX_MAX_MESSAGE_BYTES", 40 * 1024 * 1024)

# --- Celery --------------------------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport needs its folders to exist before anyone publishes.
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without control_folder kombu writes its exchange table to ./control in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any retry countdown we use, so Redis never redelivers a task still waiting.
        "visibility_timeout": 3 * 60 * 60,
        # Publishing with Redis down fails at once instead of retrying the connection for seconds
        # (CELERY_TASK_PUBLISH_RETRY does not cover connecting): the outbox sweep re-drives the row.
        "max_retries": 0,
        # No queue_order_strategy: kombu's "priority" orders the queues as a Python set does (by hash seed),
        # so it put `celery` first in some runs (commit 25fac32). Its default, round robin, takes the urgent
        # queue in turn, so a sign-in link waits behind at most what is in hand; the worker-urgent service
        # (docker-compose) takes only `urgent` for when every other slot is busy.
    }
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that publishes while the broker is down must not hang: the outbox sweep re-drives later.
CELERY_TASK_PUBLISH_RETRY = env_bool("CELERY_TASK_PUBLISH_RETRY", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"


# --- Job heartbeats (/healthz) -------------------------------------------------------------------

# Every worker writes its heartbeat this often (s); beat's is the outbox sweep, every minute.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
# /healthz says "degraded" when the newest worker heartbeat, or beat's, is older than this (s).
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 3 * 60)
BEAT_STALE_SECONDS = env_int("BEAT_STALE_SECONDS", 5 * 60)


# --- Security ------------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# Sent by hubportal.middleware.SecurityHeadersMiddleware. Scripts and styles come from this site only
# (no inline <script> or style=""); fonts from the NHS.UK font host that nhsuk-frontend's CSS names.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self' https://assets.nhs.uk", "connect-src 'self'", "manifest-src 'self'",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
# Nothing here needs a device feature: each is switched off for this site and anything it embeds.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in [
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
])

# Health checks come from load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]


# --- API for BI (issue 14) -----------------------------------------------------------------------

# Read-only API tokens for the figures (intake/api.py): a hub lead picks a lifetime up to the maximum.
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
# Weeks per page of /api/v1/hubs/<hub>/metrics/weekly, and the most a client may ask for.
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 52)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 260)


# --- Logging -------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Emailed links carry tokens in their paths: logs that write paths redact them (hubportal.logs).
    "filters": {"redact_tokens": {"()": "hubportal.logs.RedactTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["redact_tokens"]},
        "django.server": {"filters": ["redact_tokens"]},
        # Sign-in events, as structured records (hubportal.auth.auth_event): never a token or code.
        "hubportal.auth": {"level": "INFO", "filters": ["redact_tokens"]},
    },
}

for folder in (VAR_DIR, Path(EMAIL_FILE_PATH), *([Path(MEDIA_ROOT)] if MEDIA_ROOT else [])):
    folder.mkdir(parents=True, exist_ok=True)
