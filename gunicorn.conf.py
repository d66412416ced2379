"""Production gunicorn settings; every value can be overridden on the command line."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
preload_app = True
accesslog = "-"
errorlog = "-"


def post_fork(server, worker):
    """No pooled database connection may cross the fork: each worker opens its own."""
    from flask import Flask

    from examapp.extensions import db

    app = worker.app.wsgi()
    if isinstance(app, Flask) and "sqlalchemy" in app.extensions:
        with app.app_context():
            db.engine.dispose(close=False)
