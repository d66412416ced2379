"""Fixtures: one migrated database per run, a rolled-back transaction per test."""

import os
import re

import pytest
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from examapp import create_app
from examapp.clock import FrozenClock
from examapp.config import normalise_database_url
from examapp.extensions import db

from .factories import Factory

TEST_PASSWORD = "Passw0rd-test"


def test_database_url(tmp_path_factory, name="test"):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / f"{name}.sqlite3")


def reset_database(app):
    """Bring a database to an empty, fully migrated schema."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.session.remove()


def empty_all_tables():
    """Delete every row (the tables reference each other in a cycle, so constraints are set aside)."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in tables:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')


def app_config(url, **extra):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "RATELIMIT_STORAGE_URI": "memory://",
        **extra,
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        app_config(
            test_database_url(tmp_path_factory),
            ACCREDITATION_UPLOAD_FOLDER=str(tmp_path_factory.mktemp("accreditation_uploads")),
        )
    )
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request, app):
    """Every test runs inside one transaction that is rolled back afterwards.

    No app context stays pushed while the test runs: Flask reuses a pushed
    context for requests, which would share ``g`` (the logged-in user, the
    CSRF token) between clients. Each context gets its own session, joined
    to the test's transaction through a savepoint.
    """
    if "e2e" in request.keywords:
        yield
        return
    app.extensions["login_throttle"].reset()
    if "committed" in request.keywords:
        # Several connections must see the data: it is committed, and every table emptied afterwards.
        try:
            yield
        finally:
            with app.app_context():
                db.session.remove()
                empty_all_tables()
        return
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False),
        scopefunc=_app_ctx_id,
    )
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (and make no requests)."""
    with app.app_context():
        yield


@pytest.fixture
def clock(app):
    frozen = FrozenClock()
    previous = app.extensions["clock"]
    app.extensions["clock"] = frozen
    yield frozen
    app.extensions["clock"] = previous


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    return Factory(app)


@pytest.fixture
def world(make):
    """Two districts with streets and communities, and one account per role."""
    return make.world()


def csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password=TEST_PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def post(client, path, data=None, page=None, **kwargs):
    """POST with the CSRF token taken from ``page`` (default: the home page)."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page or "/")
    return client.post(path, data=data, **kwargs)


@pytest.fixture
def as_role(app, world):
    """Return a logged-in client for a role name of ``world.accounts``."""

    def _client(role):
        c = app.test_client()
        response = login(c, world.accounts[role].username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return _client
