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


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


#: gunicorn threads per worker when GUNICORN_THREADS is unset (gunicorn.conf.py has the same default)
DEFAULT_THREADS = 4


class ConfigurationError(RuntimeError):
    """A setting that would fail on exam day; ``create_app`` raises it before anything is served."""


def database_pool_options():
    """The connection pool of one process, sized to the gunicorn threads that share it.

    A thread holds at most one connection during a request, so ``pool_size`` equal to
    the threads never makes a request wait; ``max_overflow`` is a small margin for a
    path that takes a second connection. Each app server opens at most
    workers x (pool_size + max_overflow) connections, which PostgreSQL's
    ``max_connections`` must cover (docs/deployment.md).
    """
    return {
        "pool_pre_ping": True,
        "pool_size": _env_int("DB_POOL_SIZE", _env_int("GUNICORN_THREADS", DEFAULT_THREADS)),
        "max_overflow": _env_int("DB_MAX_OVERFLOW", 2),
        #: seconds a request waits for a free connection before failing (the exam page retries a save)
        "pool_timeout": _env_int("DB_POOL_TIMEOUT", 10),
        #: seconds after which a connection is replaced (firewalls and PgBouncer drop idle ones)
        "pool_recycle": _env_int("DB_POOL_RECYCLE", 1800),
    }


def serving_processes():
    """How many processes serve requests: gunicorn's workers, published by gunicorn.conf.py."""
    return _env_int("WEB_CONCURRENCY", _env_int("GUNICORN_WORKERS", 1))


def check_login_throttle_storage(settings):
    """Refuse to count failed logins in process memory when several processes serve in production.

    Each process would keep its own counts, so an account could be tried five times per
    worker, and unlocking it would clear one worker's count only. Refusing at start is
    chosen over falling back to a Redis address: a guessed address that is not there
    would fail every login on exam morning instead of failing the deployment now.
    """
    processes = settings["SERVING_PROCESSES"]
    if (
        settings["EXAMAPP_ENV"] == "production"
        and processes > 1
        and settings["RATELIMIT_STORAGE_URI"].startswith("memory:")
    ):
        raise ConfigurationError(
            f"生产环境由 {processes} 个进程提供服务，登录失败计数却存放在进程内存中"
            f"（RATELIMIT_STORAGE_URI={settings['RATELIMIT_STORAGE_URI']}），各进程各计各的，"
            "登录限制形同虚设。请设置 RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0"
            "（多台应用服务器时指向同一个 Redis），或只用一个进程（GUNICORN_WORKERS=1）。"
            "见 docs/deployment.md。"
        )


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
        "SQLALCHEMY_ENGINE_OPTIONS": database_pool_options(),
        #: processes serving requests (gunicorn workers); see check_login_throttle_storage
        "SERVING_PROCESSES": serving_processes(),
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
        #: the exam page's one-answer saves answered by their page token before Flask's request
        #: machinery (examapp/sitting/lean.py); off, every save takes the app's own save view
        "LEAN_SAVE": _env_bool("LEAN_SAVE", True),
        # The CSRF token lives as long as the session: an exam can run past an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        # WTForms messages come from its bundled zh catalogue (see examapp.forms), not Flask-Babel
        "WTF_I18N_ENABLED": False,
        "WTF_CSRF_SSL_STRICT": production,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(8 * 1024 * 1024))),
        "UPLOAD_MAX_BYTES": int(os.environ.get("MAX_UPLOAD_BYTES", str(8 * 1024 * 1024))),
        "UPLOAD_MAX_ROWS": int(os.environ.get("UPLOAD_MAX_ROWS", "20000")),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        #: browsers keep static files a year: their URLs carry ?v=<content hash> (examapp/__init__.py)
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        #: failed logins allowed per account / per client address in the window
        "LOGIN_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_FAILURES_PER_ADDRESS": int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "100")),
        "LOGIN_FAILURE_WINDOW_MINUTES": int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")),
        #: argon2id cost for chosen passwords (OWASP minimum); raising it upgrades hashes at login
        "PASSWORD_ARGON2_MEMORY_KIB": int(os.environ.get("PASSWORD_ARGON2_MEMORY_KIB", "19456")),
        "PASSWORD_ARGON2_TIME_COST": int(os.environ.get("PASSWORD_ARGON2_TIME_COST", "2")),
        "PASSWORD_ARGON2_PARALLELISM": int(os.environ.get("PASSWORD_ARGON2_PARALLELISM", "1")),
        #: number of proxies in front of the app whose X-Forwarded-For we trust
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "DISPLAY_TIMEZONE": "Asia/Shanghai",
        #: recommendation materials and inspection photos: a folder outside the web root, shared by
        #: every app server (default instance/uploads/accreditation)
        "ACCREDITATION_UPLOAD_FOLDER": os.environ.get("ACCREDITATION_UPLOAD_FOLDER") or None,
        #: the address residents' phones reach the public questionnaire at (QR codes); default: this request's
        "QUESTIONNAIRE_BASE_URL": os.environ.get("QUESTIONNAIRE_BASE_URL") or None,
        #: questionnaire answers accepted per client address in the window (a flood is refused)
        "QUESTIONNAIRE_RESPONSES_PER_ADDRESS": int(os.environ.get("QUESTIONNAIRE_RESPONSES_PER_ADDRESS", "30")),
        "QUESTIONNAIRE_WINDOW_MINUTES": int(os.environ.get("QUESTIONNAIRE_WINDOW_MINUTES", "10")),
    }
    settings.update(overrides)
    check_login_throttle_storage(settings)
    return settings
