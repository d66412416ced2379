"""Configuration read from the environment.

Every setting can be overridden by the ``config`` mapping given to
``create_app``; tests use that to point at their own database.
"""

import os
import secrets
from pathlib import Path


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url):
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_secret_key(instance_path):
    """Return SECRET_KEY from the environment, or one kept under instance/.

    The generated key is written once with owner-only permissions so that
    sessions survive a restart of a single-box installation.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def build_config(instance_path, overrides=None):
    """Settings from the environment, then ``overrides`` (a test's or a script's)."""
    overrides = overrides or {}
    production = os.environ.get("EXAMAPP_ENV", "development") == "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "examapp.sqlite3")
    settings = {
        "EXAMAPP_ENV": "production" if production else "development",
        "SECRET_KEY": overrides.get("SECRET_KEY") or load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "pool_size": int(os.environ.get("DB_POOL_SIZE", "5")),
            "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "5")),
        },
        #: seconds SQLite waits for a competing writer before giving up
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "10000")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_NAME": "examapp_session",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_LIFETIME_SECONDS", "43200")),
        # A login lasts the lifetime from sign-in; not re-signing the cookie on every
        # response keeps the answer-save path cheap on exam day.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # The CSRF token lives as long as the session: an exam can run past an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        # WTForms messages come from its bundled zh catalogue (see examapp.forms), not Flask-Babel
        "WTF_I18N_ENABLED": False,
        "WTF_CSRF_SSL_STRICT": production,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(8 * 1024 * 1024))),
        "UPLOAD_MAX_BYTES": int(os.environ.get("MAX_UPLOAD_BYTES", str(8 * 1024 * 1024))),
        "UPLOAD_MAX_ROWS": int(os.environ.get("UPLOAD_MAX_ROWS", "20000")),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        #: failed logins allowed per account / per client address in the window
        "LOGIN_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_FAILURES_PER_ADDRESS": int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "100")),
        "LOGIN_FAILURE_WINDOW_MINUTES": int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")),
        #: number of proxies in front of the app whose X-Forwarded-For we trust
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "DISPLAY_TIMEZONE": "Asia/Shanghai",
    }
    settings.update(overrides)
    return settings
