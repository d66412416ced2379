"""Production gunicorn settings, sized for exam day on the target box.

The box: 2 cores shared by the app and PostgreSQL; ~10,000 examinees log in within
minutes, save answers for an hour (each save a small JSON POST) and submit in the same
minute. Every value can be overridden by the environment variable named beside it (or
by gunicorn's own ``GUNICORN_CMD_ARGS`` and command line, which win over this file).
docs/deployment.md explains the choices and how to add app servers.
"""

import os


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores():
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threaded workers. A request is short and spends most of its time waiting for
# PostgreSQL (an answer save is one statement); a thread waiting on the database
# releases the GIL, so threads overlap those waits cheaply. Processes are what give
# the Python work (templates, JSON, password hashing at login) both cores. Two per
# core, not the classic 2 x cores + 1: PostgreSQL runs on the same cores and needs
# its share. On the target box that is 4 workers x 4 threads = 16 requests in
# flight; benchmarks/bench_save.py measured 4 x 4 and 6 x 2 alike (docs/benchmarks.md).
worker_class = "gthread"
workers = _env_int("GUNICORN_WORKERS", _env_int("WEB_CONCURRENCY", 2 * _cores()))
# examapp/config.py sizes each worker's database pool to this (same variable, same default)
threads = _env_int("GUNICORN_THREADS", 4)

# The master restarts a worker whose main loop has not checked in for `timeout`
# seconds. A gthread worker's main loop keeps checking in while its threads serve,
# so only a stuck process trips it, not a slow request; the slowest real requests
# (an xlsx export at city scale, a question import) take a few seconds.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# On a reload or restart, requests in flight get this long to finish; a submit
# (grade and score in one transaction) takes well under a second.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection stays open. Longer than nginx's upstream
# keepalive_timeout (60 s by default): gunicorn must never close a connection at the
# moment nginx reuses it, because nginx does not retry a POST (an answer save) on
# another connection and the examinee's page would get a 502. Idle connections wait
# in the worker's poller and hold no thread.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)
# Open connections a worker holds (idle keep-alive ones included). On exam day every
# attempt page keeps its connection between saves: with gunicorn's default of 1,000 a
# worker, 4 workers held 4,146 of 9,000 open pages and no new request was answered
# within 2 s; at 3,000 they held all 9,000 and answered every new request within
# 2 ms (benchmarks/bench_idle_connections.py, docs/benchmarks.md). An idle
# connection costs a socket and a few kilobytes, no thread.
worker_connections = _env_int("GUNICORN_WORKER_CONNECTIONS", 3000)

# The app is imported once in the master and forked into the workers (less memory,
# faster restarts); post_fork below makes sure no database connection crosses a fork.
preload_app = True

# Workers are never replaced after a number of requests (0 = never). A replaced worker
# stops accepting and gets `graceful_timeout` to finish, but on exam day it holds up to
# `worker_connections` open attempt pages, and whatever is still open then is killed: in
# the city-scale run (docs/benchmarks.md) each restart at 50,000 requests cut a worker's
# pages off 30 s later and hundreds of saves failed and had to be re-sent. Restart the
# service between exam days instead (docs/deployment.md); set GUNICORN_MAX_REQUESTS to
# bound a memory growth if one is ever seen.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# The workers' heartbeat files go to memory: on a disk-backed /tmp a busy disk can
# stall the heartbeat and get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# "-" is stderr (journald under systemd); an empty GUNICORN_ACCESS_LOG turns the access
# log off when nginx's log (with $request_time) is enough.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# peer (nginx), the client address nginx passed on, the request, status, bytes, the time
# taken in milliseconds and the worker's pid
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms %(p)s'


def nworkers_changed(server, new_value, old_value):
    """Tell the app how it is served, before the master preloads it.

    Gunicorn calls this as soon as it has its final settings (this file, then
    GUNICORN_CMD_ARGS, then the command line) and before ``preload_app`` imports
    wsgi.py. ``create_app`` reads WEB_CONCURRENCY to refuse an in-memory login
    throttle when several workers serve in production, and GUNICORN_THREADS to
    size each worker's database pool.
    """
    os.environ["WEB_CONCURRENCY"] = str(new_value)
    os.environ["GUNICORN_THREADS"] = str(server.cfg.threads)


def when_ready(server):
    """Log how the app is served, for the exam-day morning check. Opens no connection."""
    app = _preloaded_flask_app(server)
    if app is None:
        return
    pool = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    storage = app.config["RATELIMIT_STORAGE_URI"].split(":", 1)[0]
    server.log.info(
        "examapp %s: %d workers x %d threads; database pool %s + %s per worker; login throttle in %s",
        app.config["EXAMAPP_ENV"],
        server.cfg.workers,
        server.cfg.threads,
        pool.get("pool_size"),
        pool.get("max_overflow"),
        storage,
    )
    if pool.get("pool_size", server.cfg.threads) < server.cfg.threads:
        server.log.warning(
            "DB_POOL_SIZE=%s is below the %d threads of a worker: requests will wait for a connection",
            pool.get("pool_size"),
            server.cfg.threads,
        )


def post_fork(server, worker):
    """No pooled database connection may cross the fork: each worker opens its own."""
    from flask import Flask

    from examapp.extensions import db

    app = worker.app.wsgi()
    if isinstance(app, Flask) and "sqlalchemy" in app.extensions:
        with app.app_context():
            db.engine.dispose(close=False)


def _preloaded_flask_app(server):
    """The Flask app the master has already imported, or None (never imports it here)."""
    if not server.cfg.preload_app:
        return None
    from flask import Flask

    app = server.app.wsgi()
    return app if isinstance(app, Flask) and "SQLALCHEMY_ENGINE_OPTIONS" in app.config else None
