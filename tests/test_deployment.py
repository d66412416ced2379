"""Production settings: gunicorn.conf.py, the database pool, the login throttle's storage, static caching."""

import http.client
import json
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import url_for

from examapp import create_app
from examapp.config import DEFAULT_THREADS, ConfigurationError, build_config
from examapp.extensions import db

from .conftest import app_config

ROOT = Path(__file__).parents[1]
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
YEAR = 365 * 24 * 3600
#: every variable gunicorn.conf.py or the pool and throttle settings read
DEPLOYMENT_ENV = (
    "GUNICORN_BIND", "GUNICORN_WORKERS", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_KEEPALIVE", "GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_ACCESS_LOG", "GUNICORN_ERROR_LOG", "GUNICORN_LOG_LEVEL", "GUNICORN_CMD_ARGS", "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT", "DB_POOL_RECYCLE", "RATELIMIT_STORAGE_URI", "EXAMAPP_ENV", "DATABASE_URL",
)  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch):
    """No deployment variable from the machine running the tests leaks in; returns a setter."""
    for name in DEPLOYMENT_ENV:
        # set, then delete: monkeypatch then also removes what a hook writes (nworkers_changed)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))

    return set_env


def load_gunicorn_conf():
    return runpy.run_path(str(GUNICORN_CONF))


def cores():
    return len(os.sched_getaffinity(0))


class FakeServer:
    """What gunicorn's hooks use of the arbiter: its settings, the loaded app, a logger."""

    def __init__(self, app, workers=4, threads=4):
        self.cfg = type("Cfg", (), {"workers": workers, "threads": threads, "preload_app": True})()
        self.app = type("App", (), {"wsgi": staticmethod(lambda: app)})()
        self.log = logging.getLogger("test.gunicorn")


def scratch_app(tmp_path, **config):
    return create_app(app_config(f"sqlite:///{tmp_path}/scratch.sqlite3", **config))


# --- gunicorn.conf.py --------------------------------------------------------------


def test_gunicorn_defaults_suit_a_two_core_exam_day(clean_env):
    conf = load_gunicorn_conf()
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] == 2 * cores()
    assert conf["threads"] == DEFAULT_THREADS == 4  # the pool is sized from the same default
    assert conf["preload_app"] is True
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["timeout"] == 30 and conf["graceful_timeout"] == 30
    # longer than nginx's upstream keepalive_timeout (60 s), so gunicorn never closes first
    assert conf["keepalive"] > 60
    # a city's open attempt pages fit in the workers' connection slots
    assert 4 * conf["worker_connections"] >= 10_000  # the 2-core box's 4 workers
    # no worker is replaced in the middle of an exam day (it would cut off its open pages)
    assert conf["max_requests"] == 0
    assert conf["worker_tmp_dir"] == ("/dev/shm" if Path("/dev/shm").is_dir() else None)
    assert conf["accesslog"] == "-" and "%(M)sms" in conf["access_log_format"]


def test_gunicorn_settings_follow_the_environment(clean_env):
    clean_env(
        GUNICORN_BIND="10.0.0.11:8000", GUNICORN_WORKERS=3, GUNICORN_THREADS=8, GUNICORN_TIMEOUT=45,
        GUNICORN_GRACEFUL_TIMEOUT=20, GUNICORN_KEEPALIVE=90, GUNICORN_MAX_REQUESTS=200000, GUNICORN_ACCESS_LOG="",
    )  # fmt: skip
    conf = load_gunicorn_conf()
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("10.0.0.11:8000", 3, 8)
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (45, 20, 90)
    assert conf["max_requests"] == 200000 and conf["accesslog"] is None
    clean_env(WEB_CONCURRENCY=6)
    assert load_gunicorn_conf()["workers"] == 3  # GUNICORN_WORKERS wins
    os.environ.pop("GUNICORN_WORKERS")
    assert load_gunicorn_conf()["workers"] == 6


def test_gunicorn_tells_the_app_its_workers_and_threads_before_preloading(clean_env, tmp_path):
    conf = load_gunicorn_conf()
    conf["nworkers_changed"](FakeServer(None, workers=5, threads=7), 5, None)
    assert os.environ["WEB_CONCURRENCY"] == "5" and os.environ["GUNICORN_THREADS"] == "7"
    settings = build_config(str(tmp_path), {"SECRET_KEY": "x"})
    assert settings["SERVING_PROCESSES"] == 5
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 7


def test_post_fork_gives_the_worker_a_fresh_pool(clean_env, tmp_path):
    app = scratch_app(tmp_path)
    conf = load_gunicorn_conf()
    worker = type("Worker", (), {"app": FakeServer(app).app})()
    with app.app_context():
        inherited = db.engine.pool
        with db.engine.connect():
            pass
        assert inherited.checkedin() == 1  # a connection the master would hand down
    conf["post_fork"](None, worker)
    with app.app_context():
        assert db.engine.pool is not inherited and db.engine.pool.checkedin() == 0
        db.engine.dispose()


def test_the_master_opens_no_database_connection(clean_env, tmp_path, caplog):
    """Loading the app and gunicorn's master hooks leave the pool empty: nothing to cross a fork."""
    clean_env(DB_POOL_SIZE=2)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.sqlite3"})
    conf = load_gunicorn_conf()
    server = FakeServer(app, workers=4, threads=4)
    with caplog.at_level(logging.INFO, logger="test.gunicorn"):
        conf["when_ready"](server)
    with app.app_context():
        pool = db.engine.pool
        assert pool.checkedin() == 0 and pool.checkedout() == 0
    assert "4 workers x 4 threads; database pool 2 + 2 per worker; login throttle in memory" in caplog.text
    assert "DB_POOL_SIZE=2 is below the 4 threads" in caplog.text


# --- the database pool --------------------------------------------------------------


def test_pool_is_sized_to_the_threads_and_follows_the_environment(clean_env, tmp_path):
    options = build_config(str(tmp_path), {"SECRET_KEY": "x"})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {
        "pool_pre_ping": True, "pool_size": DEFAULT_THREADS, "max_overflow": 2, "pool_timeout": 10,
        "pool_recycle": 1800,
    }  # fmt: skip
    clean_env(GUNICORN_THREADS=6)
    assert build_config(str(tmp_path), {"SECRET_KEY": "x"})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 6
    clean_env(DB_POOL_SIZE=3, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT=5, DB_POOL_RECYCLE=600)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3"})
    with app.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool.timeout(), pool._recycle) == (3, 0, 5, 600)


# --- the login throttle's storage ---------------------------------------------------------


def test_production_refuses_an_in_memory_throttle_with_several_workers(clean_env, tmp_path):
    production = {"EXAMAPP_ENV": "production", "SERVING_PROCESSES": 4}
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_URI=memory://"):
        scratch_app(tmp_path, **production)
    clean_env(EXAMAPP_ENV="production", WEB_CONCURRENCY=2)
    with pytest.raises(ConfigurationError, match="2 个进程"):
        build_config(str(tmp_path), {"SECRET_KEY": "x"})


def test_production_accepts_redis_or_a_single_process(clean_env, tmp_path):
    app = scratch_app(
        tmp_path, EXAMAPP_ENV="production", SERVING_PROCESSES=4, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"
    )
    assert type(app.extensions["login_throttle"].storage).__name__ == "RedisStorage"
    assert scratch_app(tmp_path, EXAMAPP_ENV="production", SERVING_PROCESSES=1).config["SERVING_PROCESSES"] == 1
    # development (flask run, tests) may count in memory whatever the worker count says
    assert scratch_app(tmp_path, SERVING_PROCESSES=4).config["EXAMAPP_ENV"] == "development"


# --- static files -----------------------------------------------------------------------


def test_static_urls_carry_a_content_version_and_are_cached_for_a_year(app, client):
    with app.test_request_context():
        css = url_for("static", filename="css/app.css")
    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{12}", css)
    assert css in client.get("/login").get_data(as_text=True)
    with client.get(css) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == YEAR and response.cache_control.public


def test_static_files_stay_cacheable_for_a_logged_in_user(app, as_role):
    with app.test_request_context():
        js = url_for("static", filename="js/attempt/main.js")
    with as_role("examinee").get(js) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == YEAR and not response.cache_control.no_store


def test_a_changed_static_file_gets_a_new_url(clean_env, tmp_path):
    app = scratch_app(tmp_path)
    static = tmp_path / "static"
    static.mkdir()
    app.static_folder = str(static)
    (static / "a.js").write_text("one", encoding="utf-8")
    with app.test_request_context():
        first = url_for("static", filename="a.js")
        assert url_for("static", filename="a.js") == first
        (static / "a.js").write_text("two, longer", encoding="utf-8")
        second = url_for("static", filename="a.js")
        assert second != first and second.startswith("/static/a.js?v=")
        assert url_for("static", filename="missing.js") == "/static/missing.js"
        assert url_for("static", filename="a.js", v="pinned") == "/static/a.js?v=pinned"


# --- gunicorn itself ------------------------------------------------------------------------


def gunicorn_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_ENV}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/g.sqlite3", SECRET_KEY="gunicorn-test", EXAMAPP_ENV="production")
    env.update(extra)
    return env


def gunicorn_command(*args):
    return [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--no-control-socket", *args, "wsgi:app"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_refuses_to_start_with_an_in_memory_throttle(tmp_path):
    # the worker count comes from the command line: the config hook must pass it on to the app
    result = subprocess.run(
        gunicorn_command("--workers", "2", "--bind", f"127.0.0.1:{free_port()}"),
        cwd=ROOT, env=gunicorn_env(tmp_path), capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "RATELIMIT_STORAGE_URI=memory://" in result.stderr and "2 个进程" in result.stderr
    assert "Booting worker" not in result.stderr


def test_gunicorn_serves_the_app_with_this_configuration(tmp_path):
    port = free_port()
    env = gunicorn_env(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", GUNICORN_THREADS="3")
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            gunicorn_command("--workers", "2", "--bind", f"127.0.0.1:{port}"),
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            status, _, health = _wait_for(port, "/healthz", server, log_path)
            assert (status, json.loads(health)) == (200, {"status": "ok"})
            status, _, page = http_get(port, "/login")
            css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page.decode()).group(1)
            status, headers, _ = http_get(port, css)
            assert status == 200 and f"max-age={YEAR}" in headers["Cache-Control"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = log_path.read_text(encoding="utf-8")
    summary = "examapp production: 2 workers x 3 threads; database pool 3 + 2 per worker; login throttle in redis"
    assert summary in output
    assert output.count("Booting worker") >= 2
    assert re.search(r'"GET /healthz HTTP/1.1" 200 \d+ \d+ms', output)


def http_get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _wait_for(port, path, server, log_path, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text(encoding="utf-8")
        try:
            return http_get(port, path)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {path}:\n" + log_path.read_text(encoding="utf-8"))
