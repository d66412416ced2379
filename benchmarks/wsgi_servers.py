"""How the exam-day benchmarks serve a WSGI app: gunicorn (the deployed server) or granian.

gunicorn runs with the repository's ``gunicorn.conf.py`` (gthread workers, the app preloaded in
the master); granian (a Rust HTTP server, ``--interface wsgi``) runs the same number of worker
processes, each with as many blocking threads for the app as gunicorn has threads, and its own
defaults otherwise. Both bind to loopback only.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("gunicorn", "granian")
#: the listen queue both get (gunicorn's default; granian's is 1,024)
BACKLOG = 2048


def server_command(server, app_spec, port, workers, threads):
    """The command line that serves ``app_spec`` (``module:attribute``) on 127.0.0.1:``port``."""
    if server == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--backlog",
            str(BACKLOG),
            "--access-logfile",
            "/dev/null",
            app_spec,
        ]
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--http",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--backlog",
            str(BACKLOG),
            "--no-access-log",
            "--respawn-failed-workers",
            "--workers-kill-timeout",
            "20",
            "--working-dir",
            str(ROOT),
            app_spec,
        ]
    raise ValueError(f"server must be one of {SERVERS}, not {server!r}")


def server_env(env, workers, threads):
    """The environment the app reads its serving from: gunicorn.conf.py's ``nworkers_changed`` sets
    these for gunicorn; granian has no such hook, so they are set for both alike."""
    return dict(env, WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads))


def describe(command):
    """The command as a person would type it (without the interpreter's path)."""
    words = command[2:] if command[1] == "-m" else command
    return " ".join(w.replace(str(ROOT) + "/", "") for w in words)


def stop_server(process, timeout=30):
    """Stop a server started in its own session: SIGTERM to its main process, which stops its
    workers (sent to the whole group instead, a granian worker still importing the app can miss
    it and leave the main process waiting for ever); the group is killed after ``timeout`` s."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
