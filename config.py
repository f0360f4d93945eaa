"""Configuration: every value from the environment, with safe defaults.

Environment variables (all optional):

- ``KPI_DATABASE_URL``   SQLAlchemy URL; default ``sqlite:///<instance>/kpi.db``.
  PostgreSQL: ``postgresql+psycopg://user:pass@host:5432/kpi``.
- ``KPI_SECRET_KEY``     default: generated on first run and kept in ``instance/secret_key``.
- ``KPI_UPLOAD_FOLDER``  evidence files, outside the web root; default ``instance/uploads``.
- ``KPI_TIMEZONE``       display time zone; default ``Asia/Shanghai`` (times are stored in UTC).
- ``KPI_SMTP_HOST`` / ``KPI_SMTP_PORT`` / ``KPI_SMTP_USER`` / ``KPI_SMTP_PASSWORD`` /
  ``KPI_SMTP_FROM`` / ``KPI_SMTP_TLS``  e-mail for reminders; no host means in-app notices only.
- ``KPI_MAX_UPLOAD_MB``  largest accepted upload (the whole request); default 20.
- ``KPI_EVIDENCE_MAX_MB``  largest uploaded evidence file (self-report, target table, award,
  excellence and veto files; ``app.services.files``); default 10.
- ``KPI_PUBLIC_URL``     absolute base URL printed on QR slips and given to CAS as the service
  address; default taken from the request.
- ``KPI_SESSION_IDLE_MINUTES`` / ``KPI_SESSION_MAX_HOURS``  a sign-in ends after this long without
  a request (default 120 minutes) and this long after it began (default 12 hours).
- ``KPI_VOTE_SESSION_MINUTES``  how long a vote code's ballot stays open in the browser; default 30.
- ``KPI_BACKUP_DIR``     where the scheduler writes the daily backup; unset: no scheduled backup.
- ``KPI_BACKUP_KEEP``    how many daily backups to keep there; default 7.
- ``KPI_BACKUP_HOUR``    local hour from which the day's backup is made; default 2 (02:00).
- ``KPI_SMTP_SSL`` (implicit TLS, port 465), ``KPI_SMTP_CA_FILE`` (CA to verify the mail server
  with), ``KPI_SMTP_MAX_ATTEMPTS`` / ``KPI_SMTP_RETRY_SECONDS`` (retries with doubling backoff).
- ``KPI_LDAP_URL``, ``KPI_LDAP_BASE_DN``, ``KPI_LDAP_BIND_PATTERN`` or ``KPI_LDAP_BIND_DN`` /
  ``KPI_LDAP_BIND_PASSWORD`` + ``KPI_LDAP_USER_FILTER``, ``KPI_LDAP_EMPLOYEE_NO_ATTR``,
  ``KPI_LDAP_STARTTLS``, ``KPI_LDAP_CA_FILE``, ``KPI_LDAP_TIMEOUT``: campus directory sign-in.
- ``KPI_CAS_URL``, ``KPI_CAS_EMPLOYEE_NO_ATTR``, ``KPI_CAS_CA_FILE``: CAS 3.0 sign-in (统一身份认证).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("KPI_INSTANCE_PATH", BASE_DIR / "instance"))


def _env(name: str, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    INSTANCE_PATH = str(INSTANCE_DIR)
    DATABASE_URL = _env("KPI_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'kpi.db'}")
    SECRET_KEY = _env("KPI_SECRET_KEY")  # None: generated and kept under instance/
    UPLOAD_FOLDER = _env("KPI_UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    TIMEZONE = _env("KPI_TIMEZONE", "Asia/Shanghai")
    PUBLIC_URL = _env("KPI_PUBLIC_URL")
    # exports that build a whole document in memory (results workbook/JSON, PDFs): how many run at
    # once per worker, and how long the others wait before a 503 (app/web/heavy.py)
    HEAVY_EXPORTS = int(_env("KPI_HEAVY_EXPORTS", "1"))
    HEAVY_WAIT = float(_env("KPI_HEAVY_WAIT", "45"))

    SMTP_HOST = _env("KPI_SMTP_HOST")
    SMTP_PORT = int(_env("KPI_SMTP_PORT", "25"))
    SMTP_USER = _env("KPI_SMTP_USER")
    SMTP_PASSWORD = _env("KPI_SMTP_PASSWORD")
    SMTP_FROM = _env("KPI_SMTP_FROM", "kpi@localhost")
    SMTP_TLS = _env_bool("KPI_SMTP_TLS", False)  # STARTTLS on a plain connection (port 25/587)
    SMTP_SSL = _env_bool("KPI_SMTP_SSL", False)  # implicit TLS (port 465)
    SMTP_CA_FILE = _env("KPI_SMTP_CA_FILE")  # verify the server against this CA (else the system's)
    SMTP_TIMEOUT = int(_env("KPI_SMTP_TIMEOUT", "20"))
    # A failed send is retried after SMTP_RETRY_SECONDS, doubling each time, up to
    # SMTP_MAX_ATTEMPTS attempts in all; then the notice's e-mail is marked failed.
    SMTP_MAX_ATTEMPTS = int(_env("KPI_SMTP_MAX_ATTEMPTS", "5"))
    SMTP_RETRY_SECONDS = int(_env("KPI_SMTP_RETRY_SECONDS", "120"))

    # Campus directory (LDAP) sign-in: off without a URL. Either a bind pattern with
    # {username}, or a service account that searches BASE_DN with USER_FILTER.
    LDAP_URL = _env("KPI_LDAP_URL")  # ldap://host:389 or ldaps://host:636
    LDAP_BASE_DN = _env("KPI_LDAP_BASE_DN", "")
    LDAP_BIND_PATTERN = _env("KPI_LDAP_BIND_PATTERN")  # e.g. uid={username},ou=people,dc=example,dc=edu
    LDAP_BIND_DN = _env("KPI_LDAP_BIND_DN")
    LDAP_BIND_PASSWORD = _env("KPI_LDAP_BIND_PASSWORD")
    LDAP_USER_FILTER = _env("KPI_LDAP_USER_FILTER", "(uid={username})")
    LDAP_EMPLOYEE_NO_ATTR = _env("KPI_LDAP_EMPLOYEE_NO_ATTR", "employeeNumber")
    LDAP_STARTTLS = _env_bool("KPI_LDAP_STARTTLS", False)
    LDAP_CA_FILE = _env("KPI_LDAP_CA_FILE")
    LDAP_TIMEOUT = int(_env("KPI_LDAP_TIMEOUT", "5"))

    # CAS 3.0 sign-in (统一身份认证): off without a URL, e.g. https://cas.example.edu/cas/
    CAS_URL = _env("KPI_CAS_URL")
    CAS_EMPLOYEE_NO_ATTR = _env("KPI_CAS_EMPLOYEE_NO_ATTR")  # empty: the CAS user name is the 工号
    CAS_CA_FILE = _env("KPI_CAS_CA_FILE")  # verify the CAS server against this CA

    MAX_CONTENT_LENGTH = int(_env("KPI_MAX_UPLOAD_MB", "20")) * 1024 * 1024
    EVIDENCE_MAX_MB = int(_env("KPI_EVIDENCE_MAX_MB", "10"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("KPI_SECURE_COOKIES", False)
    REMEMBER_COOKIE_DURATION = 0
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session: a meeting may take hours
    # A sign-in ends after this long without a request, and this long after it began at the latest.
    SESSION_IDLE_MINUTES = int(_env("KPI_SESSION_IDLE_MINUTES", "120"))
    SESSION_MAX_HOURS = int(_env("KPI_SESSION_MAX_HOURS", "12"))
    # A vote code's ballot session (the signed cookie after the code was accepted) lasts this long.
    VOTE_SESSION_MINUTES = int(_env("KPI_VOTE_SESSION_MINUTES", "30"))

    # Failed sign-ins: after LOGIN_MAX_FAILURES within LOGIN_WINDOW_SECONDS from one address for one
    # name, that address may not sign in to that name for LOGIN_LOCK_SECONDS; after
    # LOGIN_MAX_FAILURES_PER_IP from one address, that address may not sign in at all. A name is
    # never locked by itself (the owner can still sign in elsewhere); the office sees repeated
    # failures per name on the audit page.
    LOGIN_MAX_FAILURES = int(_env("KPI_LOGIN_MAX_FAILURES", "5"))
    LOGIN_WINDOW_SECONDS = int(_env("KPI_LOGIN_WINDOW_SECONDS", "900"))
    LOGIN_LOCK_SECONDS = int(_env("KPI_LOGIN_LOCK_SECONDS", "900"))
    LOGIN_MAX_FAILURES_PER_IP = int(_env("KPI_LOGIN_MAX_FAILURES_PER_IP", "30"))

    # Unknown vote codes (typed wrong or guessed at /v): after VOTE_CODE_MAX_FAILURES within
    # VOTE_CODE_WINDOW_SECONDS from one address, that address may not try a code for
    # VOTE_CODE_LOCK_SECONDS. Generous on purpose: a whole meeting hall may share one address, and
    # spent, voided or scanned codes never count. 300 per 10 minutes still leaves a guesser about
    # one chance in 100,000 per address over a two-hour meeting against 2,000 codes of 8 characters.
    VOTE_CODE_MAX_FAILURES = int(_env("KPI_VOTE_CODE_MAX_FAILURES", "300"))
    VOTE_CODE_WINDOW_SECONDS = int(_env("KPI_VOTE_CODE_WINDOW_SECONDS", "600"))
    VOTE_CODE_LOCK_SECONDS = int(_env("KPI_VOTE_CODE_LOCK_SECONDS", "600"))

    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For / -Proto are trusted
    # for that many hops, so the throttles above see the phone's address, not the proxy's.
    PROXY_HOPS = int(_env("KPI_PROXY_HOPS", "0"))

    # argon2id cost (argon2-cffi defaults)
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    # Daily backup by the scheduler (app/jobs/backup.py): off without a directory.
    BACKUP_DIR = _env("KPI_BACKUP_DIR")
    BACKUP_KEEP = int(_env("KPI_BACKUP_KEEP", "7"))
    BACKUP_HOUR = int(_env("KPI_BACKUP_HOUR", "2"))

    # Scheduler: how often the runner wakes up to look for due reminders and windows to close.
    SCHEDULER_TICK_SECONDS = int(_env("KPI_SCHEDULER_TICK_SECONDS", "60"))
    TESTING = False


class TestConfig(Config):
    TESTING = True
    DATABASE_URL = _env("KPI_TEST_DATABASE_URL", "sqlite:///:memory:")
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    SMTP_HOST = None
    BACKUP_DIR = None
    LDAP_URL = None
    CAS_URL = None
