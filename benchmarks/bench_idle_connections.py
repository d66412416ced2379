"""Can a new page still be served while thousands of pages hold their connections open?

On exam day every attempt page keeps its keep-alive connection between saves. This probe
starts examapp under gunicorn with the repository's ``gunicorn.conf.py``, opens ``--idle``
connections (in batches, as pages arrive) that each make one request and then stay open (as the
pages do between saves),
and then times ``--probes`` requests, each on a new connection, to ``/healthz``:

    .venv/bin/python benchmarks/bench_idle_connections.py --idle 9000
    .venv/bin/python benchmarks/bench_idle_connections.py --idle 9000 --worker-connections 1000

It prints how many idle connections gunicorn took, and the probes' latency and failures.
A benchmark, not a test.
"""

import argparse
import contextlib
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(REQUEST)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def one_request(port, timeout):
    """Seconds for a request on a new connection, or None when it got no answer in time."""
    began = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(REQUEST)
            if not s.recv(64).startswith(b"HTTP/1.1 200"):
                return None
    except OSError:
        return None
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=9000, help="connections held open")
    parser.add_argument("--batch", type=int, default=250, help="connections opened at a time")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds a probe waits")
    parser.add_argument("--worker-connections", type=int, help="override gunicorn.conf.py's value")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    # stopped from outside (a timeout, Ctrl-C): still stop the gunicorn it started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.idle + 1000), hard))
    port = free_port()
    instance = tempfile.mkdtemp(prefix="examapp-idle-")
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{instance}/probe.sqlite3",
        SECRET_KEY="probe",
        GUNICORN_WORKERS=str(args.workers),
        GUNICORN_THREADS=str(args.threads),
    )
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
    if args.worker_connections:
        command += ["--worker-connections", str(args.worker_connections)]
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=dict(env, FLASK_APP="wsgi.py"),
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        command + ["wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    held = []
    try:
        wait_ready(port)
        # the pages arrive over the login wave, not in one instant: batches of --batch
        answered = 0
        for start in range(0, args.idle, args.batch):
            batch = []
            for _ in range(min(args.batch, args.idle - start)):
                s = socket.socket()
                s.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    s.connect(("127.0.0.1", port))
                batch.append(s)
            time.sleep(0.2)
            for s in batch:
                with contextlib.suppress(OSError):
                    s.send(REQUEST)
            pending, deadline = set(batch), time.monotonic() + 5
            while pending and time.monotonic() < deadline:
                for s in list(pending):
                    try:
                        if s.recv(64):
                            answered += 1
                        pending.discard(s)
                    except BlockingIOError:
                        pass
                    except OSError:
                        pending.discard(s)
                time.sleep(0.02)
            held.extend(batch)
        print(f"idle connections opened: {args.idle}; answered and held by gunicorn: {answered}")
        times = [one_request(port, args.timeout) for _ in range(args.probes)]
        ok = sorted(t for t in times if t is not None)
        failed = len(times) - len(ok)
        if ok:
            q = statistics.quantiles(ok, n=100) if len(ok) > 1 else [ok[0]] * 99
            print(
                f"probes on new connections: {len(ok)} answered, {failed} not within {args.timeout:.0f} s; "
                f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, max {ok[-1] * 1000:.0f} ms"
            )
        else:
            print(f"probes on new connections: none answered within {args.timeout:.0f} s ({failed} tried)")
    finally:
        for s in held:
            s.close()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
