"""Browser tests: a real Chromium, through Playwright, against the app served from a thread.

The app runs on its own database (never the unit tests' one), loaded with the demo
data and fixed passwords for the four demo accounts.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from examapp import create_app
from examapp.clock import OffsetClock
from examapp.demo import load_demo
from examapp.extensions import db

from ..conftest import app_config, reset_database, test_database_url

#: username -> password of the demo accounts the browser logs in with
PASSWORDS = {
    "admin": "Admin-e2e-2024",
    "office": "Office-e2e-2024",
    "jinshui": "Jinshui-e2e-2024",
    "kaosheng": "Kaosheng-e2e-2024",
}

VIEWPORT = {"width": 1280, "height": 900}


def _chromium_path():
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@pytest.fixture(scope="session")
def chromium_executable():
    path = _chromium_path()
    if path is None:
        reason = "Chromium is not installed (apt-get install -y chromium fonts-wqy-microhei)"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(f"E2E_REQUIRED=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    return path


@pytest.fixture(autouse=True)
def _needs_chromium(chromium_executable):
    """Every browser test skips (or, under E2E_REQUIRED=1, fails) without Chromium."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_executable):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "zh-CN"}


@pytest.fixture
def context(context):
    """A broken page fails in seconds, not after Playwright's default 30 s."""
    context.set_default_timeout(10_000)
    return context


def e2e_database_url(tmp_path_factory):
    """A fresh SQLite file, or the PostgreSQL test database's ``<name>_e2e`` sibling."""
    url = test_database_url(tmp_path_factory, "e2e")
    if not url.startswith("postgresql"):
        return url
    parsed = make_url(url)
    e2e_url = parsed.set(database=f"{parsed.database}_e2e")
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": e2e_url.database})
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(e2e_url.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()
    return e2e_url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory, chromium_executable):
    app = create_app(app_config(e2e_database_url(tmp_path_factory)))
    reset_database(app)
    with app.app_context():
        load_demo(passwords=PASSWORDS)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def app(e2e_app):
    """The root conftest's autouse fixture asks for ``app``; here it is the e2e app,
    so a browser-only run does not build the unit tests' database for nothing."""
    return e2e_app


@pytest.fixture(scope="session")
def live_server(e2e_app):
    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server):
    """Playwright resolves ``page.goto("/login")`` against the live server."""
    return live_server


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    """``SCREENSHOT_DIR`` (e.g. docs/screenshots) if set, else a temporary folder."""
    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        path = Path(target)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(page, screenshot_dir):
    def _take(name):
        path = screenshot_dir / name
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return _take


@pytest.fixture
def login(page):
    """Log in through the real form; the caller waits (``expect``) for what should follow."""

    def _login(username, password=None):
        page.goto("/login")
        page.locator('input[name="username"]').fill(username)
        page.locator('input[name="password"]').fill(password or PASSWORDS[username])
        page.get_by_role("button", name="登录", exact=True).click()
        return page

    return _login


@pytest.fixture
def server_clock(e2e_app):
    """The served app's clock as real time plus a shift the test moves; put back afterwards."""
    clock = OffsetClock()
    previous = e2e_app.extensions["clock"]
    e2e_app.extensions["clock"] = clock
    yield clock
    e2e_app.extensions["clock"] = previous
