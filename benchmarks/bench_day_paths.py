"""What one exam-day request costs on each path: SQL statements, CPU and wall time per request.

    .venv/bin/python benchmarks/bench_day_paths.py                      # 200 people, every path
    .venv/bin/python benchmarks/bench_day_paths.py --people 100 --json benchmarks/results/day_paths.json

The database (``--database-url``, PostgreSQL database ``bench_paths`` by default; created
if missing) is emptied and migrated, then holds the exam of ``benchmarks/exam_day.py``: 80
questions per person drawn from a bank of 320 (4 categories x single / multiple / judge /
blank) and ``--people`` examinees on its roster with argon2id passwords of their own. The
app (production settings: pool pre-ping, the login throttle in Redis when it is up) is
driven in this one process through Flask's test client, one person after another, as the
exam-day benchmark's examinees do:

* login: GET /login, POST /login, GET /exam/<id> (the start page). Every roster row gets a
  登录码; ``--ticket-share`` of the people (0.9 by default) log in with 准考证号 + 登录码 and land
  on the exam's start page, the rest with their own password (argon2id) and open the lobby
  first. The authentication mix is printed (and written with ``--json``): it dominates a
  login wave;
* start: POST /exam/<id> (开始答题: the draw and the attempt), GET /attempt/<id>;
* save: --saves answer saves each (POST save, one answer per request, as the page sends: its
  token in the X-Exam-Page header), each followed by the floor's request: a bare Flask +
  SQLAlchemy upsert of the same answer (``bare_save_app.py``, table ``bare_answers``, no
  pre-ping), in this process through its own test client, so both are measured alike;
* submit: POST submit (JSON, with one last save, the page's token in X-Exam-Page), GET result
  (the score is computed right after the hand-in by the process's grading thread, whose CPU
  falls in whichever request runs beside it; ``GRADING_MODE=deferred`` leaves it out).

Per request kind it prints requests, SQL statements per request (counted with a SQLAlchemy
``before_cursor_execute`` listener; the pool's pre-ping on checkout is not a statement and
is counted apart as checkouts), the app's CPU milliseconds per request (this process's CPU
time, the test client's own small share included), the database backends' CPU ms per
request (PostgreSQL processes serving this database, from /proc) and wall p50 / p95.
Requests run one at a time, so wall time has no queueing in it; CPU time and statement
counts are what to compare between runs on a shared, noisy machine.
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import socket
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import psutil
from sqlalchemy import create_engine, event, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bare_save_app import create_bare_app  # noqa: E402
from exam_day_bank import PAPER, build_bank  # noqa: E402

from examapp import create_app  # noqa: E402
from examapp.auth.models import Role, User  # noqa: E402
from examapp.auth.passwords import hash_password  # noqa: E402
from examapp.clock import utcnow  # noqa: E402
from examapp.exams.models import RosterEntry  # noqa: E402
from examapp.exams.paperwork import issue_ticket_codes  # noqa: E402
from examapp.exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint  # noqa: E402
from examapp.extensions import db  # noqa: E402
from examapp.org.models import UnitKind  # noqa: E402
from examapp.org.services import create_unit  # noqa: E402

PASSWORD = "Bench-passw0rd"  # noqa: S105 - accounts in a throwaway benchmark database
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PAGE_DATA = re.compile(r'data-(token|csrf)="([^"]*)"')
SECTION = re.compile(r'<section class="attempt-question" id="q\d+" data-position="(\d+)" data-qtype="(\w+)"')
OPTION_VALUE = re.compile(r'name="q\d+"\s+id="q\d+-[^"]*"\s+value="([^"]*)"')


def ensure_database(url):
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(app, people):
    """Empty and migrate the database; a published exam with ``people`` examinees on its roster.
    Returns (exam id, {username: (ticket number, login code)}): every roster row gets a code."""
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        city = create_unit(None, code="410100", name="郑州市", kind=UnitKind.CITY, parent=None)
        district = create_unit(None, code="410105", name="金水区", kind=UnitKind.DISTRICT, parent=city)
        street = create_unit(None, code="41010501", name="经八路街道", kind=UnitKind.STREET, parent=district)
        communities = [
            create_unit(None, code=f"41010501{c:03d}", name=f"第{c}社区", kind=UnitKind.COMMUNITY, parent=street)
            for c in range(1, 6)
        ]
        categories = build_bank()
        now = utcnow()
        exam = create_exam(
            None,
            ExamSettings(
                title="2026 年度劳动保障业务知识考试（单请求压测）",
                instructions="闭卷考试，独立作答。",
                opens_at=now - timedelta(minutes=5),
                closes_at=now + timedelta(hours=6),
                duration_minutes=120,
                grace_seconds=60,
            ),
        )
        set_blueprint(
            None,
            exam,
            [
                {"category_id": category.id, "qtype": qtype, "count": drawn, "points": "1.25"}
                for category in categories
                for qtype, _count, drawn in PAPER
            ],
        )
        hashed = hash_password(PASSWORD)
        db.session.execute(
            insert(User),
            [
                {
                    "username": f"path{i:05d}",
                    "name": f"考生{i:05d}",
                    "role": Role.EXAMINEE,
                    "unit_id": communities[i % len(communities)].id,
                    "password_hash": hashed,
                    "must_change_password": False,
                    "is_enabled": True,
                }
                for i in range(people)
            ],
        )
        add_to_roster(None, exam, units=[city])
        publish_exam(None, exam)
        entries = db.session.scalars(select(RosterEntry).where(RosterEntry.exam_id == exam.id)).all()
        codes = issue_ticket_codes(None, entries)
        tickets = {entry.user.username: (entry.ticket_number, codes[entry.id]) for entry in entries}
        db.session.commit()
        exam_id = exam.id
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        db.session.remove()
    return exam_id, tickets


class Meter:
    """Statements, checkouts, CPU and wall time of each request, by kind."""

    def __init__(self, engine, database, show_sql=False, profile=None):
        self.database, self.show_sql, self.shown = database, show_sql, set()
        self.profile = profile  # a request kind whose requests run under cProfile
        self.profiler = cProfile.Profile() if profile else None
        self.current = None
        self.statements = self.checkouts = 0
        self.rows = defaultdict(list)  # kind -> [(statements, checkouts, cpu s, db cpu s, wall s)]
        event.listen(engine, "before_cursor_execute", self._count)
        event.listen(engine.pool, "checkout", self._checkout)
        self.backends = {}

    def _count(self, _conn, _cursor, statement, *_args):
        self.statements += 1
        if self.show_sql and self.current not in self.shown:
            print(f"  [{self.current}] {' '.join(statement.split())[:160]}")

    def _checkout(self, *_args):
        self.checkouts += 1

    def _db_cpu(self):
        """CPU seconds so far of the PostgreSQL backends serving this database (new ones from zero)."""
        total = 0.0
        for process in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(process.info["cmdline"] or ())
            if f" {self.database} " not in cmdline or not cmdline.startswith("postgres:"):
                continue
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def run(self, kind, call):
        statements, checkouts, db_cpu = self.statements, self.checkouts, self._db_cpu()
        self.current = kind
        profiler = self.profiler if kind == self.profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        response = call()
        if profiler:
            profiler.disable()
        self.shown.add(kind)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db_cpu = self._db_cpu() - db_cpu
        self.rows[kind].append((self.statements - statements, self.checkouts - checkouts, cpu, db_cpu, wall))
        return response

    def summary(self):
        out = {}
        for kind, rows in self.rows.items():
            walls = sorted(r[4] for r in rows)
            out[kind] = {
                "requests": len(rows),
                "statements": statistics.fmean(r[0] for r in rows),
                "statements_max": max(r[0] for r in rows),
                "checkouts": statistics.fmean(r[1] for r in rows),
                "cpu_ms": 1000 * statistics.fmean(r[2] for r in rows),
                "db_cpu_ms": 1000 * statistics.fmean(r[3] for r in rows),
                "wall_p50_ms": 1000 * walls[len(walls) // 2],
                "wall_p95_ms": 1000 * walls[min(len(walls) - 1, int(len(walls) * 0.95))],
            }
        return out


def expect(response, *statuses):
    if response.status_code not in statuses:
        raise SystemExit(
            f"{response.request.method} {response.request.path}: {response.status_code}, expected {statuses}"
        )
    return response


def play(app, meter, exam_id, people, saves_each, bare=None, tickets=None, ticket_share=1.0):
    """``bare``: a test client of the floor (``bare_save_app``), measured after each save.
    ``tickets``: {username: (准考证号, 登录码)}; the first ``ticket_share`` of the people log in with
    them (straight to the exam's start page), the rest with their own password (argon2id, then
    the lobby). Returns the authentication mix {kind: count}."""
    clients = [app.test_client() for _ in range(people)]
    mix = {"登录码 (准考证号 + 登录码)": 0, "own password (argon2id)": 0}
    # login wave
    for i, client in enumerate(clients):
        page = expect(meter.run("GET /login", lambda c=client: c.get("/login")), 200).get_data(as_text=True)
        username = f"path{i:05d}"
        csrf = CSRF_FIELD.search(page).group(1)
        if tickets and i < round(ticket_share * people):
            number, code = tickets[username]
            form = {"username": number, "password": code, "csrf_token": csrf}
            reply = expect(meter.run("POST /login (登录码)", lambda c=client, f=form: c.post("/login", data=f)), 302)
            if not reply.headers["Location"].endswith(f"/exam/{exam_id}"):
                raise SystemExit(f"a ticket login went to {reply.headers['Location']}, not the exam")
            mix["登录码 (准考证号 + 登录码)"] += 1
        else:
            form = {"username": username, "password": PASSWORD, "csrf_token": csrf}
            expect(meter.run("POST /login (password)", lambda c=client, f=form: c.post("/login", data=f)), 302)
            expect(meter.run("GET / (lobby)", lambda c=client: c.get("/")), 200)
            mix["own password (argon2id)"] += 1
        page = expect(meter.run("GET /exam/<id>", lambda c=client: c.get(f"/exam/{exam_id}")), 200)
        client.start_csrf = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    # synchronized start
    for client in clients:
        form = {"csrf_token": client.start_csrf, "pledge": "y"}
        response = expect(
            meter.run("POST /exam/<id>", lambda c=client, f=form: c.post(f"/exam/{exam_id}", data=f)), 302
        )
        client.attempt_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        page = expect(meter.run("GET /attempt/<id>", lambda c=client: c.get(f"/attempt/{c.attempt_id}")), 200)
        page = page.get_data(as_text=True)
        data = dict(PAGE_DATA.findall(page))
        client.token, client.csrf = data["token"], data["csrf"]
        client.paper = {}
        starts = list(SECTION.finditer(page))
        for k, match in enumerate(starts):
            chunk = page[match.end() : starts[k + 1].start() if k + 1 < len(starts) else len(page)]
            client.paper[int(match.group(1))] = (
                match.group(2),
                OPTION_VALUE.findall(chunk),
                chunk.count('type="text"'),
            )
        if len(client.paper) != 80:
            raise SystemExit(f"the attempt page showed {len(client.paper)} questions, not 80")
        client.seq = 0
    # autosave, as the page sends it (its token in X-Exam-Page beside the CSRF token), each save
    # followed by the floor's: the bare upsert of the same answer, so both are measured alike
    for client in clients:
        for position in sorted(client.paper)[:saves_each]:
            client.seq += 1
            response = answer_for(client.paper[position])
            save = {"seq": client.seq, "position": position, "response": response, "flagged": False}
            payload = {"token": client.token, "saves": [save]}
            url = f"/attempt/{client.attempt_id}/save"
            headers = {"X-CSRFToken": client.csrf, "X-Exam-Page": client.token}
            # a page's first save in a process takes the app's full path (it learns the paper)
            kind = "POST save" if client.seq > 1 else "POST save (page's first)"
            expect(meter.run(kind, lambda c=client, p=payload, u=url, h=headers: c.post(u, json=p, headers=h)), 200)
            if bare is not None:
                floor = {"attempt": client.attempt_id, "position": position, "seq": client.seq, "response": "A"}
                expect(meter.run("bare upsert (floor)", lambda f=floor: bare.post("/save", json=f)), 200)
    # submit burst: the last answer goes with the submit, as the page sends what is still queued
    for client in clients:
        position = sorted(client.paper)[-1]
        client.seq += 1
        save = {
            "seq": client.seq,
            "position": position,
            "response": answer_for(client.paper[position]),
            "flagged": False,
        }
        payload = {"token": client.token, "saves": [save]}
        url = f"/attempt/{client.attempt_id}/submit"
        reply = expect(
            meter.run(
                "POST submit",
                lambda c=client, p=payload, u=url: c.post(
                    u, json=p, headers={"X-CSRFToken": c.csrf, "X-Exam-Page": c.token}
                ),
            ),
            200,
        ).get_json()
        if reply.get("status") != "submitted":
            raise SystemExit(f"submit refused: {reply}")
        expect(meter.run("GET result", lambda c=client, u=reply["result_url"]: c.get(u)), 200)
    return mix


def count_lean_saves():
    """Count the saves the lean path (examapp/sitting/lean.py) tries and takes."""
    from examapp.sitting import lean

    counts = {"tried": 0, "taken": 0}
    original = lean.lean_save

    def counted(*args, **kwargs):
        counts["tried"] += 1
        reply = original(*args, **kwargs)
        counts["taken"] += reply is not None
        return reply

    lean.lean_save = counted
    return counts


def answer_for(question):
    qtype, values, blanks = question
    if qtype == "single":
        return values[0]
    if qtype == "multiple":
        return "".join(sorted(values[:2]))
    if qtype == "judge":
        return "T"
    return ["5"] * blanks


def bench_app(database_url, secret):
    """(app, database name, login throttle storage) on an emptied and migrated ``database_url``;
    the login throttle in the local Redis when one answers, else in memory."""
    database = database_url.rsplit("/", 1)[1]
    if database in ("test", "exam_day", "postgres"):
        raise SystemExit(f"refusing to empty database {database!r}")
    ensure_database(database_url)
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        throttle = "redis://127.0.0.1:6379/0"
    except OSError:
        throttle = "memory://"
    os.environ.setdefault("WEB_CONCURRENCY", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret, "RATELIMIT_STORAGE_URI": throttle})
    return app, database, throttle


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_paths")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--saves", type=int, default=10, help="answer saves per person")
    parser.add_argument(
        "--ticket-share",
        type=float,
        default=0.9,
        help="share of people logging in with 准考证号 + 登录码 (the rest with their own password); default 0.9",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of each kind's first request")
    parser.add_argument("--profile", metavar="KIND", help='cProfile the requests of one kind, e.g. "POST /exam/<id>"')
    args = parser.parse_args()
    app, database, throttle = bench_app(args.database_url, "day-paths-bench")
    started = time.perf_counter()
    exam_id, tickets = prepare(app, args.people)
    print(f"prepared {args.people} people in {time.perf_counter() - started:.1f} s; login throttle in {throttle}")
    with app.app_context():
        meter = Meter(db.engine, database, args.show_sql, args.profile)
    bare_engine = create_engine(args.database_url)
    event.listen(bare_engine, "before_cursor_execute", meter._count)
    event.listen(bare_engine.pool, "checkout", meter._checkout)
    bare = create_bare_app(bare_engine).test_client()
    lean = count_lean_saves()
    mix = play(app, meter, exam_id, args.people, args.saves, bare=bare, tickets=tickets, ticket_share=args.ticket_share)
    print("authentication mix: " + ", ".join(f"{kind} {count}" for kind, count in mix.items()))
    print(f"saves answered by the lean path: {lean['taken']} of {lean['tried']} it tried")
    figures = meter.summary()
    print(
        f"{'request':<20} {'n':>6} {'SQL/req':>8} {'max':>5} {'chk/req':>8} {'CPU ms':>8} {'DB CPU ms':>10} "
        f"{'p50 ms':>8} {'p95 ms':>8}"
    )
    for kind, f in figures.items():
        print(
            f"{kind:<20} {f['requests']:>6} {f['statements']:>8.1f} {f['statements_max']:>5} {f['checkouts']:>8.2f} "
            f"{f['cpu_ms']:>8.2f} {f['db_cpu_ms']:>10.2f} {f['wall_p50_ms']:>8.2f} {f['wall_p95_ms']:>8.2f}"
        )
    if meter.profiler:
        print(f"\ncProfile of {args.profile!r} (CPU figures above include the profiler's overhead):")
        pstats.Stats(meter.profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"people": args.people, "authentication": mix, "paths": figures}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
