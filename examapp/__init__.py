"""examapp: the closed-book exam of Zhengzhou's labour-security accreditation."""

import logging
from datetime import UTC

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access

# Models are imported so that Alembic and relationships see every table.
from .accreditation.hearing import models as _hearing_models  # noqa: F401
from .accreditation.inspection import models as _inspection_models  # noqa: F401
from .accreditation.onsite import models as _onsite_models  # noqa: F401
from .accreditation.recommend import models as _recommendation_models  # noqa: F401
from .audit import models as _audit_models  # noqa: F401
from .auth import models as _auth_models  # noqa: F401
from .bank import models as _bank_models  # noqa: F401
from .clock import SystemClock, local_time
from .config import build_config
from .cycles import models as _cycle_models  # noqa: F401
from .exams import models as _exam_models  # noqa: F401
from .extensions import csrf, db, login_manager, migrate
from .imports import models as _import_models  # noqa: F401
from .integrity import models as _integrity_models  # noqa: F401
from .numbers import plain
from .org import models as _org_models  # noqa: F401
from .practice import models as _practice_models  # noqa: F401
from .request_context import client_address
from .results import models as _results_models  # noqa: F401
from .sitting import models as _sitting_models  # noqa: F401
from .web import ids, transaction


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(build_config(app.instance_path, config))
    app.extensions["clock"] = app.config.get("CLOCK") or SystemClock()
    if app.config["LEAN_SAVE"]:
        from .sitting.lean import LeanSave

        app.wsgi_app = LeanSave(app, app.wsgi_app)  # inside the proxy fix: it needs the client's address
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"]
        )
    logging.basicConfig(level=logging.INFO)
    register_extensions(app)
    ids.init_app(app)  # before any route: an id beyond the database's integers is a 404
    register_blueprints(app)
    register_hooks(app)
    register_template_helpers(app)
    register_static_versions(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    from .auth.throttle import LoginThrottle

    LoginThrottle(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    from .auth.services import load_session_user

    @login_manager.user_loader
    def load_user(user_id):
        # one statement: the user joined with this login's server-side row (see auth.services)
        return load_session_user(user_id)


def _configure_sqlite(engine, busy_timeout_ms):
    """WAL, full sync, foreign keys, busy timeout; and transactions SQLAlchemy controls, taken IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN (savepoints work)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # IMMEDIATE takes the write lock up front: two transactions that read and
        # then write would otherwise deadlock, and SQLite fails one at once
        # instead of letting it wait out the busy timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_blueprints(app):
    from .accreditation.blueprints import BLUEPRINTS as accreditation_bps
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .bank.views import bp as bank_bp
    from .exams.views import bp as exams_bp
    from .home.views import bp as home_bp
    from .integrity.views import bp as integrity_bp
    from .monitor.views import bp as monitor_bp
    from .org.views import bp as org_bp
    from .practice.mock_views import bp as mock_bp
    from .practice.views import bp as practice_bp
    from .readiness.views import bp as readiness_bp
    from .results.analysis_views import bp as analysis_bp
    from .results.corrections_views import bp as corrections_bp
    from .results.late_views import bp as late_review_bp
    from .results.views import bp as results_bp
    from .sitting.views import bp as sitting_bp
    from .staff.views import bp as staff_bp

    for bp in (
        home_bp,
        auth_bp,
        org_bp,
        staff_bp,
        audit_bp,
        bank_bp,
        exams_bp,
        monitor_bp,
        sitting_bp,
        results_bp,
        analysis_bp,
        late_review_bp,
        corrections_bp,
        *accreditation_bps,
        integrity_bp,
        practice_bp,
        mock_bp,
        readiness_bp,
    ):
        app.register_blueprint(bp)


def register_hooks(app):
    # the request's commit or rollback (examapp/web/transaction.py); the refusal recorder
    # (audit.refusals.write_noted_refusal) rolls back and commits its own entry, whichever runs first
    transaction.init_app(app)
    # a refused request is written to the audit log (access stays below audit)
    from .audit.refusals import note_refusal

    app.extensions["refusal_recorder"] = note_refusal

    @app.before_request
    def remember_client_address():
        client_address.set(request.remote_addr)

    app.before_request(access.guard)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        if current_user.is_authenticated and request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response


def register_template_helpers(app):
    @app.template_filter("local_dt")
    def local_dt(value, fmt="%Y-%m-%d %H:%M"):
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return local_time(value).strftime(fmt)

    from .audit.services import ACTION_LABELS

    app.add_template_filter(lambda action: ACTION_LABELS.get(action, action), "action_label")

    @app.template_filter("points")
    def points(value):
        """A Decimal score or mark without trailing zeros: 1.00 -> 1, 1.50 -> 1.5."""
        return "" if value is None else plain(value)

    @app.context_processor
    def inject_access():
        from .auth.models import Role

        def can(permission, obj=None):
            return current_user.is_authenticated and access.can(current_user, permission, obj)

        return {"can": can, "Role": Role}


def register_static_versions(app):
    """Static URLs carry ``?v=`` and a hash of the file, so browsers may keep them a year.

    A changed file gets a new URL; ``SEND_FILE_MAX_AGE_DEFAULT`` (and nginx, when it
    serves /static/) set the long max-age. A hash rather than the file's mtime keeps
    the URL the same on every app server.
    """
    import hashlib
    import os

    from werkzeug.security import safe_join

    from .web import static_modules

    static_modules.init_app(app)  # folders of ES modules: one version for the whole folder
    digests = {}  # (path, mtime, size) -> hash: a file changed under a running server gets a new one

    @app.url_defaults
    def add_static_version(endpoint, values):
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        path = safe_join(app.static_folder, values["filename"])
        if path is None or not os.path.isfile(path):
            return  # the URL is built as before and answers 404
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in digests:
            with open(path, "rb") as fh:
                digests[key] = hashlib.sha256(fh.read()).hexdigest()[:12]
        values["v"] = digests[key]


def register_errorhandlers(app):
    from werkzeug.exceptions import HTTPException

    from .home.errors import handle_http_error

    app.register_error_handler(HTTPException, handle_http_error)

    from flask_wtf.csrf import CSRFError

    from .home.errors import handle_csrf_error

    app.register_error_handler(CSRFError, handle_csrf_error)


def register_commands(app):
    from .cli import register

    register(app)
