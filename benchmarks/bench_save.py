"""The answer-save endpoint under concurrent load, beside a bare Flask + SQLAlchemy upsert.

    .venv/bin/python benchmarks/bench_save.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/save_bench
    .venv/bin/python benchmarks/bench_save.py --server granian

Both apps are served the same way (gunicorn with gunicorn.conf.py, or granian: ``--server``,
see ``wsgi_servers.py``; the same workers and threads, loopback only)
against the same PostgreSQL, and driven by the same bounded client in the same run: first
the bare endpoint (the floor), then examapp's save endpoint. The figure that matters is the
ratio of their throughputs (target: examapp at least half the bare endpoint's), since these
machines are shared and noisy. examapp's saves are sent as the attempt page sends them: with
the page's token in the ``X-Exam-Page`` header beside the CSRF token, so that one answer's save
is answered by the lean path (``examapp/sitting/lean.py``). The database is emptied and
migrated first.
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from wsgi_servers import SERVERS, describe, server_command, server_env, stop_server  # noqa: E402

LOG_DIR = ROOT / "benchmarks" / "results"
LOG_DIR.mkdir(exist_ok=True)
PASSWORD = "Bench-passw0rd"  # noqa: S105 - accounts in a throwaway benchmark database


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database_url, people):
    """Migrate an empty database; a published exam with ``people`` examinees who have started."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from examapp import create_app
    from examapp.bank.content import Difficulty, QType, QuestionData
    from examapp.bank.models import Status
    from examapp.bank.services import create_category, create_question
    from examapp.clock import utcnow
    from examapp.exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint
    from examapp.extensions import db
    from examapp.org.models import UnitKind
    from examapp.org.services import create_unit
    from examapp.sitting.services import start_attempt
    from examapp.staff.services import create_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        city = create_unit(None, code="410100", name="郑州市", kind=UnitKind.CITY, parent=None)
        district = create_unit(None, code="410105", name="金水区", kind=UnitKind.DISTRICT, parent=city)
        street = create_unit(None, code="41010501", name="经八路街道", kind=UnitKind.STREET, parent=district)
        community = create_unit(None, code="41010501001", name="红专路社区", kind=UnitKind.COMMUNITY, parent=street)
        category = create_category(None, "社会保险")
        for i in range(100):
            create_question(
                None,
                QuestionData(
                    qtype=QType.SINGLE,
                    stem=f"压测单选题 {i}：（  ）",
                    options=["甲", "乙", "丙", "丁"],
                    answer="B",
                    explanation="解析",
                    source="《中华人民共和国社会保险法》",
                    difficulty=Difficulty.EASY,
                    category_id=category.id,
                ),
                status=Status.PUBLISHED,
            )
        users = []
        for i in range(people):
            user, _ = create_user(
                None, username=f"bench{i:05d}", name=f"压测{i}", role="examinee", unit=community, password=PASSWORD
            )
            user.must_change_password = False
            users.append(user)
        now = utcnow()
        from datetime import timedelta

        exam = create_exam(
            None,
            ExamSettings(
                title="压测考试",
                instructions="",
                opens_at=now - timedelta(minutes=5),
                closes_at=now + timedelta(hours=3),
                duration_minutes=120,
            ),
        )
        set_blueprint(None, exam, [{"category_id": category.id, "qtype": QType.SINGLE, "count": 80, "points": "1.25"}])
        add_to_roster(None, exam, units=[community])
        publish_exam(None, exam)
        attempt_ids = [start_attempt(exam, user).id for user in users]
        db.session.commit()
        db.engine.dispose()
    return attempt_ids


def serve(server, app_spec, port, env, workers, threads):
    command = server_command(server, app_spec, port, workers, threads)
    env = server_env(env, workers, threads)
    log = open(LOG_DIR / f"{app_spec.split(':')[0]}.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log, process.command = log, command
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{app_spec} did not start; see {log.name}")


def stop(process):
    stop_server(process)
    process.log.close()


class Client:
    """One examinee's browser: a keep-alive connection with the session cookie."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                # the server closed a kept-alive connection (idle past its keep-alive while the
                # other endpoint was measured): reconnect and send again once, as a browser does
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    return 0, b""
        self.last_headers = {name.lower() for name, _ in response.getheaders()}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def login(self, username):
        _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request(
            "POST",
            "/login",
            body=urlencode({"username": username, "password": PASSWORD, "csrf_token": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302, status

    def open_attempt(self, attempt_id):
        status, page = self.request("GET", f"/attempt/{attempt_id}")
        assert status == 200, status
        self.token = re.search(rb'data-token="([^"]+)"', page).group(1).decode()
        self.csrf = re.search(rb'data-csrf="([^"]+)"', page).group(1).decode()


def drive(make_request, clients, seconds):
    """Every client sends requests back to back for ``seconds``; returns (count, errors, latencies)."""
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run(client, index):
        seq = 0
        local = []
        while time.perf_counter() < stop_at:
            seq += 1
            started = time.perf_counter()
            ok = make_request(client, index, seq)
            local.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), errors[0], latencies, time.perf_counter() - started


def report(name, count, errors, latencies, elapsed):
    latencies = sorted(latencies)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0] * 99
    rate = count / elapsed
    print(
        f"{name:<28} {rate:8.1f} req/s   p50 {q[49] * 1000:6.1f} ms   p95 {q[94] * 1000:6.1f} ms   "
        f"p99 {q[98] * 1000:6.1f} ms   errors {errors}"
    )
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/save_bench")
    parser.add_argument("--clients", type=int, default=32, help="concurrent examinees (at most 500)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase (at most 120)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of both endpoints")
    parser.add_argument("--server", choices=SERVERS, default="gunicorn", help="what serves both apps")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    clients_n = max(1, min(args.clients, 500))
    seconds = max(1.0, min(args.seconds, 120.0))

    from sqlalchemy import create_engine, text

    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    name = args.database_url.rsplit("/", 1)[1]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()

    print(f"preparing {clients_n} examinees with started attempts of 80 questions ...")
    attempt_ids = prepare(args.database_url, clients_n)
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        SECRET_KEY="bench",
        BARE_DATABASE_URL=args.database_url,
        DB_POOL_SIZE=str(args.threads),
        DB_MAX_OVERFLOW="2",
    )
    print(
        f"{args.server}: {args.workers} workers x {args.threads} threads each; {clients_n} clients; "
        f"{args.rounds} rounds of {seconds:.0f} s for each endpoint"
    )

    # The floor (a bare Flask + SQLAlchemy endpoint doing one upsert) and examapp are both
    # served for the whole run and measured in alternating rounds, so a noisy neighbour on
    # the machine weighs on both alike.
    bare_port, app_port = free_port(), free_port()
    bare = serve(args.server, "benchmarks.bare_save_app:app", bare_port, env, args.workers, args.threads)
    server = serve(args.server, "wsgi:app", app_port, env, args.workers, args.threads)
    print(f"serving with {describe(server.command)} (and the floor alike)")
    try:
        bare_clients = [Client(bare_port) for _ in range(clients_n)]
        app_clients = [Client(app_port) for _ in range(clients_n)]
        for index, (client, attempt_id) in enumerate(zip(app_clients, attempt_ids, strict=True)):
            client.login(f"bench{index:05d}")
            client.open_attempt(attempt_id)
        seqs = [1000] * clients_n
        #: saves answered by the lean path (no Content-Security-Policy: Flask's after_request never ran)
        lean = [0, 0]

        def bare_save(client, index, seq):
            body = json.dumps(
                {
                    "attempt": attempt_ids[index],
                    "position": random.randint(1, 80),
                    "seq": seq,
                    "response": random.choice("ABCD"),
                }
            )
            status, _ = client.request("POST", "/save", body=body, headers={"Content-Type": "application/json"})
            return status == 200

        def examapp_save(client, index, _seq):
            seqs[index] += 1
            body = json.dumps(
                {
                    "token": client.token,
                    "saves": [
                        {"seq": seqs[index], "position": random.randint(1, 80), "response": random.choice("ABCD")}
                    ],
                }
            )
            status, data = client.request(
                "POST",
                f"/attempt/{attempt_ids[index]}/save",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "X-CSRFToken": client.csrf,
                    "X-Exam-Page": client.token,
                    "Accept": "application/json",
                },
            )
            saved = status == 200 and b'"saved"' in data
            if saved:
                lean["content-security-policy" in client.last_headers] += 1
            return saved

        drive(bare_save, bare_clients, 2)  # warm up both
        drive(examapp_save, app_clients, 2)
        totals = {"bare": [0, 0, [], 0.0], "examapp": [0, 0, [], 0.0]}
        for round_no in range(1, args.rounds + 1):
            for name, make_request, clients in (
                ("bare", bare_save, bare_clients),
                ("examapp", examapp_save, app_clients),
            ):
                count, errors, latencies, elapsed = drive(make_request, clients, seconds)
                label = "bare Flask+SQLAlchemy upsert" if name == "bare" else "examapp /attempt/<id>/save"
                report(f"round {round_no}: {label}", count, errors, latencies, elapsed)
                total = totals[name]
                total[0] += count
                total[1] += errors
                total[2].extend(latencies)
                total[3] += elapsed
    finally:
        stop(bare)
        stop(server)
    print("all rounds:")
    floor = report("bare Flask+SQLAlchemy upsert", *totals["bare"])
    rate = report("examapp /attempt/<id>/save", *totals["examapp"])
    print(f"ratio examapp / bare = {rate / floor:.2f} (target >= 0.50)")
    print(f"examapp saves answered by the lean path: {lean[0]}, by the app's view: {lean[1]}")


if __name__ == "__main__":
    main()
