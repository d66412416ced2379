"""Exam day for the whole city: N examinees log in, start together, save their answers and hand in together.

    .venv/bin/python benchmarks/exam_day.py --people 500            # make bench
    .venv/bin/python benchmarks/exam_day.py --people 10000          # make bench N=10000
    .venv/bin/python benchmarks/exam_day.py --people 500 --faults   # make bench FAULTS=1
    .venv/bin/python benchmarks/exam_day.py --people 500 --server granian --login password

The database (``--database-url``, PostgreSQL on loopback; created if missing) is emptied and
migrated, then holds a published exam of 80 questions (single, multiple, true/false and
fill-in, 1.25 points each) drawn per person from a bank of 320 (at publish), and N examinees on
its roster who have set their own passwords and (``--login ticket``, the default) been issued a
登录码 for their 准考证号. examapp is served by gunicorn with the repository's ``gunicorn.conf.py``
or by granian (``--server``, see ``wsgi_servers.py``; workers and threads from the command
line), and locust
(``benchmarks/exam_day_locust.py``, one process, one greenlet per examinee, on loopback)
plays the day in phases:

1. login wave: everyone arrives within the window (N / --login-rate s) and logs in through
   the form, with the 准考证号 and 登录码 (straight to the exam's start page) or with the
   username and password (the lobby, then the exam's start page); the mix is reported;
2. synchronized start: at the signal everyone clicks 开始答题 within --start-spread s and
   loads the attempt page, reading the paper from it;
3. the floor: a bare Flask + SQLAlchemy upsert (``benchmarks/bare_save_app.py``, served the
   same way) and examapp's save endpoint, each driven back to back by --floor-clients
   clients (the save by that many examinees), in alternating rounds;
4. steady autosave: everyone answers every question (or the first --answers) once and changes
   some (--changes),
   at an aggregate offered rate of --save-rate saves/s, as the page saves them (each with
   how long ago it was given; queued and re-sent in order with backoff while failing; the
   page asks for its state only when no reply gave it the time for 30 s);
5. submit burst: the window's close is everyone's deadline (the exam's close is set when
   the login wave is over, before anyone starts, as an admin sets it the day before),
   and everyone hands in within its last --submit-spread s (the page's submit, with
   what is still queued; the reply comes before the score, the attempt in ``grading``);
   --no-submit of them closed the browser instead and are left to the sweep;
   then the grading: how long after the last submit every score is computed (the app's
   grading threads), read from the database every second;
6. the sweep: ``flask exams close-overdue`` once deadline + grace has passed.

At the end every attempt is read back and compared with what each examinee was told:
an answer acknowledged (its sequence number in ``acked`` or ``stale`` of a 200 reply) must
be stored under its own sequence number, or a newer one of the same person; an attempt in
``grading`` counts as handed in. With ``--faults`` a worker of the app's server is killed (SIGKILL) a third into the save phase and
PostgreSQL is stopped for 10 s halfway through it. With ``--profile`` py-spy samples the
app's workers and pg_stat_activity is sampled, per phase (summaries at the end, raw stacks
in benchmarks/results/). A benchmark, not a test: the figures
are printed against the targets, not asserted; the exit status is 1 only when an
acknowledged answer was lost or an attempt was left neither submitted nor resumable.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust.contrib.fasthttp import FastHttpSession  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.stats import StatsCSV  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from exam_day_bank import PAPER, build_bank  # noqa: E402
from exam_day_locust import LOGIN_PASSWORD, LOGIN_TICKET, PASSWORD, Day, Examinee, clock, sleep_until  # noqa: E402
from wsgi_servers import SERVERS as SERVER_NAMES  # noqa: E402
from wsgi_servers import describe, server_command, server_env, stop_server  # noqa: E402

from examapp import create_app  # noqa: E402
from examapp.auth.models import Role, User  # noqa: E402
from examapp.clock import utcnow  # noqa: E402
from examapp.demo.data import CITY, DISTRICTS  # noqa: E402
from examapp.exams.models import RosterEntry  # noqa: E402
from examapp.exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint  # noqa: E402
from examapp.extensions import db  # noqa: E402
from examapp.org.models import UnitKind  # noqa: E402
from examapp.org.services import create_unit  # noqa: E402

try:  # the ticket login (登录码) of issue 23
    from examapp.exams.paperwork import issue_ticket_codes  # noqa: E402
except ImportError:
    issue_ticket_codes = None

LOG_DIR = ROOT / "benchmarks" / "results"
MAX_PEOPLE = 20_000
QUESTIONS = 4 * sum(drawn for _qtype, _bank, drawn in PAPER)
GRACE_SECONDS = 60  # the exam's default: saves still taken this long after the deadline
TARGETS = {
    "login_rate": 50,
    "login_p95": 1.0,
    "start_within": 60,
    "start_p95": 1.0,
    "save_rate": 400,
    "save_p95": 0.3,
    "submit_within": 60,
    "submit_p95": 1.0,
    "graded_within": 120,
    "ratio": 0.5,
}


# --- preparing the day ----------------------------------------------------------------


def ensure_database(url):
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def password_hash():
    """The hash a person's own password gets (the app's own function, so logins cost what they will)."""
    try:
        from examapp.auth.passwords import hash_password
    except ImportError:  # before argon2id: the model's method for chosen passwords
        user = User(password_hash="")
        user.set_password(PASSWORD)
        return user.password_hash
    return hash_password(PASSWORD)


def build_units(people):
    """The city, its districts, 4 streets each and communities under them: about 17 people per unit."""
    city = create_unit(None, code=CITY[0], name=CITY[1], kind=UnitKind.CITY, parent=None)
    assessed = []
    per_street = max(1, round(people / 17 / (len(DISTRICTS) * 4)) - 1)
    for code, name, _streets in DISTRICTS:
        district = create_unit(None, code=code, name=name, kind=UnitKind.DISTRICT, parent=city)
        for s in range(1, 5):
            street = create_unit(
                None, code=f"{code}{s:02d}", name=f"{name}第{s}街道", kind=UnitKind.STREET, parent=district
            )
            assessed.append((street, district))
            for c in range(1, per_street + 1):
                community = create_unit(
                    None,
                    code=f"{code}{s:02d}{c:03d}",
                    name=f"第{s}街道第{c}社区",
                    kind=UnitKind.COMMUNITY,
                    parent=street,
                )
                assessed.append((community, district))
    return city, assessed


def prepare(app, people, duration_minutes, login):
    """Empty and migrate the database; a published exam and ``people`` examinees on its roster.

    Returns the exam's id, {examinee number: (准考证号, 登录码)} (None for ``--login password``)
    and the seconds the steps took."""
    from flask_migrate import upgrade

    steps, at = {}, clock()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        city, assessed = build_units(people)
        categories = build_bank()
        now = utcnow()
        exam = create_exam(
            None,
            ExamSettings(
                title="2026 年度劳动保障业务知识考试（压测）",
                instructions="闭卷考试，独立作答。",
                opens_at=now - timedelta(minutes=5),
                closes_at=now + timedelta(hours=12),
                duration_minutes=duration_minutes,
                grace_seconds=GRACE_SECONDS,
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
        hashed, rng = password_hash(), random.Random(people)
        db.session.execute(
            insert(User),
            [
                {
                    "username": f"day{i:05d}",
                    "name": f"考生{i:05d}",
                    "role": Role.EXAMINEE,
                    "unit_id": rng.choice(assessed)[0].id,
                    "password_hash": hashed,
                    "must_change_password": False,
                    "is_enabled": True,
                }
                for i in range(people)
            ],
        )
        add_to_roster(None, exam, units=[city])
        db.session.flush()
        steps["people, units, bank and roster"], at = clock() - at, clock()
        publish_exam(None, exam)  # papers are drawn here
        db.session.flush()
        steps["publish (papers drawn)"], at = clock() - at, clock()
        tickets = None
        if login == "ticket":
            entries = db.session.scalars(select(RosterEntry).where(RosterEntry.exam_id == exam.id)).all()
            codes = issue_ticket_codes(None, entries)
            numbers = {
                user_id: int(username[3:])
                for user_id, username in db.session.execute(
                    select(User.id, User.username).where(User.username.like("day%"))
                )
            }
            tickets = {numbers[e.user_id]: (e.ticket_number, codes[e.id]) for e in entries}
            steps["ticket codes issued"], at = clock() - at, clock()
        db.session.commit()
        exam_id = exam.id
        with db.engine.connect() as conn:  # as autovacuum would, after a load this size
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        steps["commit and VACUUM ANALYZE"] = clock() - at
        db.engine.dispose()
    return exam_id, tickets, steps


# --- serving ------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: servers (gunicorn or granian masters) this run started: stopped on the way out, whatever the way
SERVERS = []


def stop_servers_and_exit(signum, _frame):
    for process in SERVERS:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    os._exit(128 + signum)


def serve(server, app_spec, env, workers, threads):
    port = free_port()
    command = server_command(server, app_spec, port, workers, threads)
    env = server_env(env, workers, threads)
    log = open(LOG_DIR / f"exam_day_{app_spec.split(':')[0].rsplit('.', 1)[-1]}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log, process.port, process.command = log, port, command
    SERVERS.append(process)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            gevent.sleep(0.2)
    process.kill()
    raise SystemExit(f"{app_spec} did not start; see {log.name}")


def stop(process):
    stop_server(process)
    process.log.close()


def tree(pid):
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class CpuMeter:
    """CPU seconds per phase of: the app's gunicorn, the floor's, PostgreSQL, this load generator, the machine."""

    def __init__(self, app_pid, bare_pid):
        self.groups = {
            "app": lambda: tree(app_pid),
            "floor app": lambda: tree(bare_pid),
            "postgres": self._postgres,
            "load generator": lambda: [psutil.Process()],
        }
        self.phase, self.seconds, self.wall = "prepare", defaultdict(Counter), Counter()
        self.last, self.cache, self.started = {}, {}, time.time()
        self.machine = self._machine()
        self.overflows = self._listen_overflows()
        self.at = clock()
        self.profiler = None

    def _postgres(self):
        return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]

    @staticmethod
    def _listen_overflows():
        """Connections the kernel dropped because a listener's accept queue was full (the whole box)."""
        with open("/proc/net/netstat", encoding="ascii") as netstat:
            lines = [line.split() for line in netstat if line.startswith("TcpExt:")]
        return int(dict(zip(lines[0], lines[1], strict=True)).get("ListenOverflows", 0))

    @staticmethod
    def _machine():
        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0)

    def sample(self):
        for group, processes in self.groups.items():
            for process in processes():
                try:
                    times = process.cpu_times()
                    key = (process.pid, process.create_time())
                except psutil.Error:
                    continue
                used = times.user + times.system
                before = self.last.get(key, 0.0 if key[1] > self.started else used)
                self.seconds[self.phase][group] += max(0.0, used - before)
                self.last[key] = used
        machine, now, overflows = self._machine(), clock(), self._listen_overflows()
        self.seconds[self.phase]["machine"] += machine - self.machine
        self.seconds[self.phase]["listen overflows"] += overflows - self.overflows
        self.wall[self.phase] += now - self.at
        self.machine, self.at, self.overflows = machine, now, overflows

    def set_phase(self, phase):
        self.sample()
        self.phase = phase
        if self.profiler:
            self.profiler.set_phase(phase)

    def run(self):
        while True:
            gevent.sleep(1.0)
            self.sample()


class Profiler:
    """py-spy over the app's gunicorn workers (one file of collapsed stacks per phase), and
    pg_stat_activity of the benchmark's database sampled four times a second."""

    def __init__(self, app_pid, url):
        self.app_pid, self.process, self.phase = app_pid, None, None
        self.activity = defaultdict(Counter)
        self.engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        gevent.spawn(self._sample_activity)

    def path(self, phase):
        return LOG_DIR / f"exam_day_profile_{phase}.txt"

    def set_phase(self, phase):
        self.stop()
        self.phase = phase
        if phase in ("login", "start", "capacity", "save", "submit"):
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(self.app_pid),
                    "--subprocesses",
                    "--nonblocking",
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--output",
                    str(self.path(phase)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def _sample_activity(self):
        query = text(
            "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') AS waiting, left(query, 70) AS q "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND state <> 'idle'"
        )
        while True:
            gevent.sleep(0.25)
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(query).all()
            except Exception:  # noqa: BLE001, S112 - PostgreSQL may be restarting (--faults)
                continue
            counts = self.activity[self.phase]
            counts["samples"] += 1
            for state, waiting, q in rows:
                counts[(state, waiting, " ".join(q.split()))] += 1

    def summary(self, top=12):
        for phase in ("login", "start", "capacity", "save", "submit"):
            path = self.path(phase)
            if not path.exists():
                continue
            inclusive, leaf, total = Counter(), Counter(), 0
            for row in path.read_text(errors="replace").splitlines():
                stack, _, count = row.rpartition(" ")
                if not count.isdigit():
                    continue
                frames = [re.sub(r":\d+\)$", ")", f).replace(str(ROOT) + "/", "") for f in stack.split(";")]
                frames = [re.sub(r"/[^ ]*/site-packages/", "", f) for f in frames]
                total += int(count)
                leaf[frames[-1]] += int(count)
                for frame in set(frames):
                    if "examapp/" in frame or "(benchmarks/" in frame:
                        inclusive[frame] += int(count)
            print(f"\n   {phase}: {total} samples of busy threads in the app's workers (py-spy, 50 Hz)")
            for frame, count in inclusive.most_common(top):
                print(f"     {100 * count / total:5.1f} %  {frame}")
            print("     hottest leaves:")
            for frame, count in leaf.most_common(6):
                print(f"     {100 * count / total:5.1f} %  {frame}")
            activity = self.activity.get(phase)
            if activity and activity["samples"]:
                samples = activity["samples"]
                print(f"     pg_stat_activity, {samples} samples: average non-idle backends by state / wait / query")
                for key, count in sorted(
                    ((k, v) for k, v in activity.items() if k != "samples"), key=lambda kv: -kv[1]
                )[:8]:
                    print(f"     {count / samples:5.2f}  {key[0]:<20} {key[1]:<24} {key[2]}")


# --- the day --------------------------------------------------------------------------------


def wait_for(condition, timeout, what):
    deadline = clock() + timeout
    while not condition():
        if clock() > deadline:
            print(f"   !! gave up waiting for {what} after {timeout:.0f} s")
            return False
        gevent.sleep(0.2)
    return True


def floor_client(session, day, index, windows, people):
    seq = 0
    for begin, end in windows:
        sleep_until(begin)
        while clock() < end:
            seq += 1
            body = json.dumps(
                {
                    "attempt": random.randint(1, people),
                    "position": random.randint(1, QUESTIONS),
                    "seq": seq,
                    "response": random.choice("ABCD"),
                }
            )
            started = clock()
            response = session.request(
                "POST", "/save", name="floor: POST /save", data=body, headers={"Content-Type": "application/json"}
            )
            status = response.status_code or 0
            day.record("floor", "POST /save (bare)", started, clock() - started, status, status == 200)


def restart_postgres(log):
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    log.append((clock(), "PostgreSQL stop"))
    subprocess.run([*command, "stop"], check=True)
    gevent.sleep(10)
    subprocess.run([*command, "start"], check=True)
    log.append((clock(), "PostgreSQL started"))


def kill_worker(server, log):
    workers = tree(server.pid)[1:]
    victim = random.choice(workers)
    victim.send_signal(signal.SIGKILL)
    log.append((clock(), f"SIGKILL server worker {victim.pid} (of {len(workers)})"))


class GradingWatch:
    """Attempts handed in and not yet graded (state ``grading``), counted every second from the
    save phase on, until none is left after the last submit."""

    def __init__(self, url, exam_id):
        self.engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        self.exam_id = exam_id
        self.counts = []  # (clock, attempts in grading; None while the database did not answer)
        self.greenlet = gevent.spawn(self._run)

    def _count(self):
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    text("SELECT count(*) FROM attempts WHERE exam_id = :e AND state = 'grading'"), {"e": self.exam_id}
                ).scalar()
        except Exception:  # noqa: BLE001 - PostgreSQL may be restarting (--faults)
            return None

    def _run(self):
        while True:
            at = clock()
            count = self._count()
            self.counts.append((clock(), count))  # when the answer came: a 0 is then certain
            gevent.sleep(max(0.0, at + 1.0 - clock()))

    def finish(self, last_submit, timeout):
        """Wait until a count after ``last_submit`` is 0 (at most ``timeout`` s after it).

        Returns {"within": s from the last submit to that count (None: never), "peak", "left"}."""
        while True:
            done = [at for at, count in self.counts if count == 0 and at >= last_submit]
            if done or clock() > last_submit + timeout:
                break
            gevent.sleep(0.2)
        self.greenlet.kill()
        self.engine.dispose()
        after = [count for at, count in self.counts if at >= last_submit and count is not None]
        return {
            "within": done[0] - last_submit if done else None,
            "peak": max((count for _at, count in self.counts if count is not None), default=0),
            "left": after[-1] if after else None,
            "polls": len(self.counts),
        }


def last_submit_at(day):
    """When the last hand-in that answered "submitted" got its reply (the load generator's clock)."""
    return max((s[2] + s[3] for s in day.samples if s[0] == "submit" and s[1] == "POST submit" and s[5]), default=None)


def play(args, exam_id, app_server, bare_server, save_seconds, tickets):
    """Run every phase; returns the Day (samples and examinees' ledgers) and the timetable."""
    day = Day(
        exam_id=exam_id,
        people=args.people,
        seed=args.seed,
        login_window=args.people / args.login_rate,
        start_spread=args.start_spread,
        save_rate=args.save_rate,
        changes=args.changes,
        poll_seconds=args.poll_seconds,
        no_submit=args.no_submit,
        submit_spread=args.submit_spread,
        capacity_clients=min(args.floor_clients, args.people),
        answers=args.answers,
        tickets=tickets,
    )
    env = Environment(user_classes=[Examinee], host=f"http://127.0.0.1:{app_server.port}")
    runner = env.create_local_runner()
    Examinee.day = day
    meter = CpuMeter(app_server.pid, bare_server.pid)
    if args.profile:
        meter.profiler = Profiler(app_server.pid, args.database_url)
    gevent.spawn(meter.run)
    timetable, faults = {}, []
    n = args.people

    runner.start(n, spawn_rate=min(n, 5000))
    wait_for(lambda: len(day.examinees) >= n, 120, "the examinees to be spawned")

    print(f"1. login wave: {n} arrive within {day.login_window:.0f} s ...", flush=True)
    meter.set_phase("login")
    day.login_at = timetable["login"] = clock() + 1
    day.login_go.set()
    wait_for(lambda: day.logged_in + day.finished >= n, day.login_window + 600, "the logins")

    closes_at = close_window(args.database_url, exam_id, args.window)
    print(
        f"2. synchronized start: {n} click within {args.start_spread:.0f} s; the window closes in "
        f"{args.window:.0f} s ({closes_at:%H:%M:%S} UTC) ...",
        flush=True,
    )
    meter.set_phase("start")
    day.start_at = timetable["start"] = clock() + 2
    day.hard_stop = day.start_at + args.window + 600
    day.start_go.set()
    wait_for(lambda: day.loaded + day.finished >= n, args.start_spread + 900, "the attempt pages")

    rounds, seconds = args.floor_rounds, args.floor_seconds
    print(
        f"3. the floor: {rounds} rounds of {seconds:.0f} s each, bare upsert then examapp save, "
        f"{day.capacity_clients} clients back to back ...",
        flush=True,
    )
    begin = clock() + 2
    floor_windows = [(begin + 2 * r * seconds, begin + (2 * r + 1) * seconds) for r in range(rounds)]
    day.capacity_windows = [(b + seconds, e + seconds) for b, e in floor_windows]
    timetable["floor"], timetable["capacity"] = floor_windows, day.capacity_windows
    for b, e in floor_windows:
        gevent.spawn_later(b - clock(), meter.set_phase, "floor")
        gevent.spawn_later(e - clock(), meter.set_phase, "capacity")
    sessions = [
        FastHttpSession(
            f"http://127.0.0.1:{bare_server.port}",
            env.events.request,
            None,
            concurrency=1,
            network_timeout=300.0,
            connection_timeout=60.0,
            max_retries=0,
        )
        for _ in range(day.capacity_clients)
    ]
    floor = [gevent.spawn(floor_client, s, day, i, floor_windows, n) for i, s in enumerate(sessions)]
    day.capacity_go.set()
    gevent.joinall(floor)
    sleep_until(day.capacity_windows[-1][1] + 1)

    print(f"4. steady autosave: {args.save_rate:.0f} saves/s offered for about {save_seconds:.0f} s ...", flush=True)
    meter.set_phase("save")
    grading = GradingWatch(args.database_url, exam_id)
    day.save_at = timetable["save"] = clock() + 1
    timetable["save_planned"] = save_seconds
    day.save_go.set()
    if args.faults:
        gevent.spawn_later(day.save_at + save_seconds * 0.3 - clock(), kill_worker, app_server, faults)
        gevent.spawn_later(day.save_at + save_seconds * 0.5 - clock(), restart_postgres, faults)
    first = min((e.deadline - e.hands_in_early for e in day.examinees if e.deadline), default=clock())
    to_submit = gevent.spawn_later(max(0.0, first - 3 - clock()), meter.set_phase, "submit")
    timetable["deadline"] = max((e.deadline for e in day.examinees if e.deadline), default=clock())
    print(
        f"5. submit burst in the last {args.submit_spread:.0f} s before the deadline (in about "
        f"{timetable['deadline'] - clock():.0f} s) ...",
        flush=True,
    )
    wait_for(lambda: day.finished >= n, day.hard_stop - clock() + 60, "every examinee to finish")
    timetable["finished"] = clock()
    to_submit.kill()
    runner.quit()
    last_submit = last_submit_at(day)
    if last_submit is not None:
        meter.set_phase("grading")
        print(
            f"   waiting for every score (at most {args.grading_timeout:.0f} s after the last submit) ...", flush=True
        )
        timetable["grading"] = grading.finish(last_submit, args.grading_timeout)
    else:
        grading.finish(clock(), 0)
    meter.set_phase("sweep")
    if meter.profiler:
        meter.profiler.stop()
    return day, env, meter, timetable, faults


def close_window(url, exam_id, seconds):
    """Set the window's close ``seconds`` from now, before anyone starts: it is everyone's deadline."""
    engine = create_engine(url)
    with engine.begin() as conn:
        closes_at = conn.execute(
            text("UPDATE exams SET closes_at = now() + make_interval(secs => :s) WHERE id = :e RETURNING closes_at"),
            {"s": seconds, "e": exam_id},
        ).scalar()
    engine.dispose()
    return closes_at


def sweep(engine, exam_id, env):
    """Wait for deadline + grace of every attempt still open, then run the cron's command once."""
    with engine.connect() as conn:
        latest = conn.execute(
            text("SELECT max(deadline_at) FROM attempts WHERE exam_id = :e AND state = 'in_progress'"), {"e": exam_id}
        ).scalar()
        now = conn.execute(text("SELECT now()")).scalar()
    if latest is None:
        return None
    wait = (latest - now).total_seconds() + GRACE_SECONDS + 1
    print(f"6. the sweep: waiting {max(0, wait):.0f} s for deadline + grace of the last open attempt ...", flush=True)
    gevent.sleep(max(0.0, wait))
    started = clock()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "exams", "close-overdue", "--exam", str(exam_id)],
        cwd=ROOT,
        env=dict(env, FLASK_APP="wsgi.py"),
        capture_output=True,
        text=True,
    )
    seconds = clock() - started
    found = re.search(r"(\d+)", result.stdout)
    return {
        "seconds": seconds,
        "closed": int(found.group(1)) if found else None,
        "output": result.stdout.strip(),
        "returncode": result.returncode,
        "stderr": result.stderr.strip()[-2000:],
    }


# --- reading it back ------------------------------------------------------------------------


def verify(engine, exam_id, day, duration_minutes):
    """Compare every examinee's ledger with the database; the counts of everything that went wrong."""
    with engine.connect() as conn:
        closes_at = conn.execute(text("SELECT closes_at FROM exams WHERE id = :e"), {"e": exam_id}).scalar()
        attempts = {
            row.id: row
            for row in conn.execute(
                text(
                    "SELECT a.id, u.username, a.state, a.submit_reason, a.started_at, a.deadline_at FROM attempts a "
                    "JOIN users u ON u.id = a.user_id WHERE a.exam_id = :e"
                ),
                {"e": exam_id},
            )
        }
        items = {
            (row.attempt_id, row.position): (row.response_seq, row.response)
            for row in conn.execute(
                text(
                    "SELECT i.attempt_id, i.position, i.response_seq, i.response FROM attempt_items i "
                    "JOIN attempts a ON a.id = i.attempt_id WHERE a.exam_id = :e"
                ),
                {"e": exam_id},
            )
        }
    check = Counter()
    check["attempts"] = len(attempts)
    for attempt in attempts.values():
        check[f"state {attempt.state}" + (f" ({attempt.submit_reason})" if attempt.submit_reason else "")] += 1
        expected = min(attempt.started_at + timedelta(minutes=duration_minutes), closes_at)
        check["deadline intact" if attempt.deadline_at == expected else "deadline changed"] += 1
        if attempt.state not in ("submitted", "grading", "in_progress"):
            check["neither submitted nor resumable"] += 1
    for examinee in day.examinees:
        if examinee.attempt_id is None:
            check["examinees without an attempt"] += 1
            continue
        if attempts[examinee.attempt_id].username != examinee.username:
            check["attempt of someone else"] += 1
        sent = defaultdict(dict)
        for seq, (position, response, _at) in examinee.given.items():
            sent[position][seq] = response
        for position, by_seq in sent.items():
            stored_seq, stored = items[(examinee.attempt_id, position)]
            acked = max((s for s in by_seq if s in examinee.acked), default=0)
            handed = max((s for s in by_seq if s in examinee.handed_in), default=0)
            last = max(by_seq)
            check["answers given (questions)"] += 1
            if stored_seq < acked:
                check["answers lost: acknowledged, not stored"] += 1
            elif stored_seq and stored_seq not in by_seq:
                check["answers lost: stored under a wrong sequence"] += 1
            elif stored_seq and stored != by_seq[stored_seq]:
                check["answers lost: stored content differs"] += 1
            if stored_seq < handed:
                check["handed in with the submit, not stored"] += 1
            if last in examinee.acked:
                check["last answer acknowledged"] += 1
            elif last in examinee.handed_in:
                check["last answer handed in with the submit"] += 1
            elif stored_seq == last:
                check["last answer stored, reply not seen"] += 1
            else:
                check["last answer never acknowledged"] += 1
        for position in range(1, QUESTIONS + 1):
            stored_seq, _stored = items.get((examinee.attempt_id, position), (0, None))
            if stored_seq and position not in sent:
                check["stored answers nobody gave"] += 1
    check["answers lost"] = sum(v for k, v in check.items() if k.startswith("answers lost:"))
    return check


# --- the report --------------------------------------------------------------------------------


def quantile(values, q):
    return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0


def figures(samples, phase, kinds=None):
    """count, ok, errors, 5xx, connection errors, rate over the requests' own span, p50/p95/p99/max (s)."""
    rows = [s for s in samples if s[0] == phase and (kinds is None or s[1] in kinds)]
    latencies = sorted(s[3] for s in rows)
    span = (max(s[2] + s[3] for s in rows) - min(s[2] for s in rows)) if rows else 0.0
    return {
        "count": len(rows),
        "ok": sum(1 for s in rows if s[5]),
        "errors": sum(1 for s in rows if not s[5]),
        "5xx": sum(1 for s in rows if s[4] >= 500),
        "no reply": sum(1 for s in rows if s[4] == 0),
        "span": span,
        "rate": len(rows) / span if span else 0.0,
        "p50": quantile(latencies, 0.50),
        "p95": quantile(latencies, 0.95),
        "p99": quantile(latencies, 0.99),
        "max": latencies[-1] if latencies else 0.0,
    }


def line(label, f, rate=None):
    rate = f["rate"] if rate is None else rate
    return (
        f"   {label:<34} {f['count']:>8} {rate:>8.1f} {f['p50'] * 1000:>8.0f} {f['p95'] * 1000:>8.0f} "
        f"{f['p99'] * 1000:>8.0f} {f['max'] * 1000:>8.0f} {f['errors']:>7} {f['5xx']:>5}"
    )


HEADER = (
    f"   {'request':<34} {'count':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
    f"{'errors':>7} {'5xx':>5}"
)


def verdict(ok):
    return "met" if ok else "MISSED"


def phase_kinds(samples, phase):
    return sorted({s[1] for s in samples if s[0] == phase})


def report(args, day, meter, timetable, faults, sweep_result, check, duration_minutes):
    samples, n, out = day.samples, args.people, {}
    t = TARGETS

    def table(phase):
        print(HEADER)
        for kind in phase_kinds(samples, phase):
            f = figures(samples, phase, {kind})
            out[f"{phase}: {kind}"] = f
            print(line(kind, f))

    print(f"\n1. login wave ({args.login_rate:.0f}/s offered: {n} arrivals within {day.login_window:.0f} s)")
    table("login")
    posts = {k for k in phase_kinds(samples, "login") if k.startswith("POST /login")}
    login = figures(samples, "login", posts)
    logged_in = [s for s in samples if s[0] == "login" and s[1] in posts and s[5]]
    span = max(s[2] + s[3] for s in logged_in) - timetable["login"] if logged_in else 0
    login_rate = len(logged_in) / span if span else 0
    mix = {how: day.login_mix.get(how, 0) for how in (LOGIN_TICKET, LOGIN_PASSWORD)}
    out["logins"] = {"count": len(logged_in), "seconds": span, "rate": login_rate, "p95": login["p95"], "mix": mix}
    print(
        f"   authentication mix: {mix[LOGIN_TICKET]} with a ticket code (准考证号 + 登录码), {mix[LOGIN_PASSWORD]} with a password (argon2id)"
    )
    print(
        f"   => {len(logged_in)} logins in {span:.1f} s: {login_rate:.1f}/s, p95 {login['p95'] * 1000:.0f} ms "
        f"[target >= {t['login_rate']}/s, p95 < 1 s: {verdict(login_rate >= t['login_rate'] and login['p95'] < 1)}]"
        + ("  (the offered rate bounds the figure)" if args.login_rate < 1.2 * t["login_rate"] else "")
    )

    print(f"\n2. synchronized start (clicks spread over {args.start_spread:.0f} s)")
    table("start")
    started = [e for e in day.examinees if e.loaded_at]
    waits = sorted(e.loaded_at - e.clicked_at for e in started)
    within = max(e.loaded_at for e in started) - timetable["start"] if started else 0
    start_p95 = quantile(waits, 0.95)
    out["starts"] = {
        "count": len(started),
        "within": within,
        "click_to_page_p50": quantile(waits, 0.5),
        "click_to_page_p95": start_p95,
        "click_to_page_max": waits[-1] if waits else 0,
    }
    print(
        f"   => {len(started)} started, the last page loaded {within:.1f} s after the signal; click to page "
        f"loaded p50 {quantile(waits, 0.5) * 1000:.0f} ms, p95 {start_p95 * 1000:.0f} ms, max "
        f"{(waits[-1] if waits else 0) * 1000:.0f} ms [target all within {t['start_within']} s, p95 < 1 s: "
        f"{verdict(len(started) == n and within <= t['start_within'] and start_p95 < 1)}]"
    )

    print(
        f"\n3. the floor ({args.floor_rounds} alternating rounds of {args.floor_seconds:.0f} s, "
        f"{day.capacity_clients} clients back to back each)"
    )
    print(HEADER)
    window = args.floor_rounds * args.floor_seconds
    floor = figures(samples, "floor")
    capacity = figures(samples, "capacity")
    floor_rate, capacity_rate = floor["count"] / window, capacity["count"] / window
    print(line("bare Flask+SQLAlchemy upsert", floor, floor_rate))
    print(line("examapp POST /attempt/<id>/save", capacity, capacity_rate))
    ratio = capacity_rate / floor_rate if floor_rate else 0
    out["floor"], out["capacity"], out["ratio"] = floor, capacity, ratio
    print(
        f"   => save throughput / floor = {capacity_rate:.0f} / {floor_rate:.0f} = {ratio:.2f} "
        f"[target >= {t['ratio']}: {verdict(ratio >= t['ratio'])}]"
    )

    planned = timetable["save_planned"]
    print(
        f"\n4. steady autosave ({args.save_rate:.0f} saves/s offered, {planned:.0f} s planned; "
        f"state asked after {args.poll_seconds:.0f} s without news)"
    )
    table("save")
    saves = [s for s in samples if s[0] == "save" and s[1].startswith("POST save")]
    begin, end = timetable["save"] + 0.1 * planned, timetable["save"] + 0.9 * planned
    steady = [s for s in saves if begin <= s[2] + s[3] < end]
    steady_rate = sum(1 for s in steady if s[5]) / (end - begin)
    steady_latencies = sorted(s[3] for s in steady)
    save_p95 = quantile(steady_latencies, 0.95)
    five = sum(1 for s in samples if s[4] >= 500)
    out["steady"] = {
        "rate": steady_rate,
        "p50": quantile(steady_latencies, 0.5),
        "p95": save_p95,
        "p99": quantile(steady_latencies, 0.99),
        "window": [0.1 * planned, 0.9 * planned],
    }
    print(
        f"   => middle 80 % of the phase: {steady_rate:.0f} saves/s acknowledged, p50 "
        f"{quantile(steady_latencies, 0.5) * 1000:.0f} ms, p95 {save_p95 * 1000:.0f} ms, p99 "
        f"{quantile(steady_latencies, 0.99) * 1000:.0f} ms [target >= {t['save_rate']}/s, p95 < 300 ms: "
        f"{verdict(steady_rate >= t['save_rate'] and save_p95 < t['save_p95'])}]"
        + ("  (the offered rate bounds the figure)" if args.save_rate < 1.2 * t["save_rate"] else "")
    )
    answered_by = {f"{by}, {size}": count for (by, size), count in sorted(day.saves_answered_by.items())}
    out["saves answered by"] = answered_by
    print(
        "   save requests answered by (all phases; the lean path needs the X-Exam-Page header): "
        + (", ".join(f"{k} {v}" for k, v in answered_by.items()) or "none")
    )
    for moment, what in faults:
        print(f"   fault at save phase + {moment - timetable['save']:.0f} s: {what}")

    print(f"\n5. submit burst (hand-ins spread over the last {args.submit_spread:.0f} s before the common deadline)")
    table("submit")
    submits = [s for s in samples if s[0] == "submit" and s[1] == "POST submit" and s[5]]
    submit = figures(samples, "submit", {"POST submit"})
    span = (max(s[2] + s[3] for s in submits) - min(s[2] for s in submits)) if submits else 0
    late = max((s[2] + s[3] for s in submits), default=timetable["deadline"]) - timetable["deadline"]
    expected = sum(1 for e in day.examinees if e.will_submit and e.attempt_id)
    out["submits"] = {
        "count": len(submits),
        "expected": expected,
        "within": span,
        "p95": submit["p95"],
        "after_deadline": late,
    }
    print(
        f"   => {len(submits)} of {expected} submitted within {span:.1f} s (the last {late:+.1f} s from the "
        f"deadline), p95 {submit['p95'] * 1000:.0f} ms [target all within {t['submit_within']} s, p95 < 1 s: "
        f"{verdict(len(submits) == expected and span <= t['submit_within'] and submit['p95'] < 1)}]"
    )

    graded = timetable.get("grading")
    out["grading"] = graded
    if graded:
        within = graded["within"]
        print(
            f"   grading: {graded['peak']} attempts at most waited for their score; "
            + (
                f"every score computed within {within:.0f} s of the last submit"
                if within is not None
                else f"{graded['left']} still in grading {args.grading_timeout:.0f} s after the last submit"
            )
            + f" [target within {t['graded_within']} s: {verdict(within is not None and within <= t['graded_within'])}]"
        )

    print("\n6. the sweep (flask exams close-overdue)")
    if sweep_result:
        out["sweep"] = sweep_result
        print(
            f"   {'; '.join(sweep_result['output'].splitlines())} in {sweep_result['seconds']:.1f} s "
            "(the command, Python start included)"
            + (f"; exit {sweep_result['returncode']}: {sweep_result['stderr']}" if sweep_result["returncode"] else "")
        )
    else:
        print("   nothing left open")
    if "idle" in {s[0] for s in samples}:
        print("\n   pages waiting between phases")
        table("idle")

    print(
        f"\nCPU per phase (% of one core; the machine has {os.cpu_count()}, so {100 * os.cpu_count()} % is everything)"
    )
    groups = ["app", "postgres", "load generator", "floor app", "machine"]
    print(f"   {'phase':<10} {'seconds':>8} " + " ".join(f"{g:>15}" for g in groups) + "  accept queue full")
    out["cpu"] = {}
    for phase, wall in meter.wall.items():
        if wall < 0.5:
            continue
        used = meter.seconds[phase]
        overflows = int(used["listen overflows"])
        out["cpu"][phase] = {
            "seconds": wall,
            **{g: 100 * used[g] / wall for g in groups},
            "listen overflows": overflows,
        }
        print(
            f"   {phase:<10} {wall:>8.0f} "
            + " ".join(f"{100 * used[g] / wall:>14.0f}%" for g in groups)
            + f"  {overflows:>17,}"
        )
    print("   (accept queue full: connections the kernel dropped at a full listen queue, /proc/net/netstat)")

    print("\nWhat the examinees saw")
    waits = [e.acked[seq] - e.given[seq][2] for e in day.examinees for seq in e.acked if seq in e.given]
    saw = sum(1 for e in day.examinees if e.failed_saves)
    statuses = Counter(s[4] for s in samples if not s[5])
    out["examinees"] = {
        "saw a failed save": saw,
        "save retries": sum(e.save_retries for e in day.examinees),
        "longest wait for an acknowledgement": max(waits, default=0),
        "submits retried": sum(1 for e in day.examinees if e.submit_tries > 1),
        "failed requests by status": dict(statuses),
        "connection errors": dict(day.connection_errors),
        "stopped": dict(Counter(e.stopped for e in day.examinees if e.stopped)),
        "gave up": dict(Counter(e.gave_up for e in day.examinees if e.gave_up)),
        "answers not given before the deadline": sum(e.unanswered for e in day.examinees),
        "crashes": day.crashes[:5],
        "5xx": five,
    }
    print(
        f"   failed requests by status: {dict(statuses) or 'none'} (0: no reply); 5xx in all: {five} "
        + ("(faults injected: the target is for a day without)" if args.faults else f"[target 0: {verdict(five == 0)}]")
    )
    if day.connection_errors:
        print(f"   connection errors: {dict(day.connection_errors)}")
    print(
        f"   {saw} examinees saw a save fail and retried ({out['examinees']['save retries']} retries); "
        f"longest wait from answering to acknowledgement {max(waits, default=0):.1f} s; "
        f"p99 {quantile(sorted(waits), 0.99):.2f} s"
    )
    print(
        f"   submits that needed a retry: {out['examinees']['submits retried']}; pages stopped: "
        f"{out['examinees']['stopped'] or 'none'}; gave up: {out['examinees']['gave up'] or 'none'}; "
        f"answers not given before the deadline: {out['examinees']['answers not given before the deadline']}"
    )
    if day.error_times:
        # requests that got no reply, per minute of wall clock (gunicorn's log has the same clock)
        per_minute = Counter((time.strftime("%H:%M", time.gmtime(at)), name) for at, name in day.error_times)
        out["examinees"]["no reply per minute (UTC)"] = {f"{m} {n}": c for (m, n), c in sorted(per_minute.items())}
        busiest = sorted(per_minute.items(), key=lambda kv: -kv[1])[:6]
        print("   no reply, busiest minutes (UTC): " + ", ".join(f"{m} {n} {c}" for (m, n), c in busiest))
    restarts = worker_restarts()
    if restarts:
        out["server worker restarts"] = restarts
        print(f"   {args.server} restarted workers (max_requests or a crash) at: {', '.join(restarts)}")
    for username, crash in day.crashes[:5]:
        print(f"   !! examinee {username} crashed: {crash}")

    print("\nRead back from the database")
    for key in sorted(check):
        if not key.startswith("answers lost"):
            print(f"   {key}: {check[key]}")
    lost = check["answers lost"]
    for key in sorted(k for k in check if k.startswith("answers lost:")):
        print(f"   {key}: {check[key]}")
    print(f"   answers lost: {lost}")
    out["check"] = dict(check)
    out["run"] = {
        "people": n,
        "server": args.server,
        "login": args.login,
        "answers": args.answers or QUESTIONS,
        "login_rate": args.login_rate,
        "start_spread": args.start_spread,
        "submit_spread": args.submit_spread,
        "prepare_seconds": args.prepare_steps,
        "faults": args.faults,
        "duration_minutes": duration_minutes,
        "workers": args.workers,
        "threads": args.threads,
        "save_rate": args.save_rate,
        "timetable_seconds": {
            k: (v - timetable["login"])
            for k, v in timetable.items()
            if isinstance(v, float) and k not in ("save_planned",)
        },
    }
    return out, lost


def worker_restarts():
    """When the app's server restarted a worker during the run (gunicorn's log, UTC; granian's log
    has no clock, so only which worker)."""
    log = LOG_DIR / "exam_day_wsgi.log"
    if not log.exists():
        return []
    text_ = log.read_text(errors="replace")
    found = re.findall(
        r"^\[(\S+ \d\d:\d\d:\d\d) [^]]*\] \[\d+\] \[\w+\] (Autorestarting worker|Worker \(pid:\d+\) was sent SIGKILL)",
        text_,
        flags=re.M,
    )
    restarts = [f"{at[11:]} ({'max_requests' if what.startswith('Auto') else 'killed'})" for at, what in found]
    return restarts + [f"{worker} (exited)" for worker in re.findall(r"Unexpected exit from (worker-\d+)", text_)]


def machine():
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    memory = psutil.virtual_memory().total / 2**30
    return f"{model}, {os.cpu_count()} cores, {memory:.0f} GB; Python {platform.python_version()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/exam_day")
    parser.add_argument("--people", type=int, default=500, help=f"examinees (at most {MAX_PEOPLE:,})")
    parser.add_argument(
        "--server", choices=SERVER_NAMES, default="gunicorn", help="what serves the app and the floor (wsgi_servers.py)"
    )
    parser.add_argument(
        "--login",
        choices=("ticket", "password"),
        default="ticket" if issue_ticket_codes else "password",
        help="how everyone logs in: 准考证号 + 登录码 (no argon2id) or username + password (default: ticket)",
    )
    parser.add_argument("--workers", type=int, default=4, help="server workers (the same for the floor)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (granian: blocking threads)")
    parser.add_argument("--login-rate", type=float, default=50, help="arrivals per second in the login wave")
    parser.add_argument(
        "--start-spread",
        type=float,
        help="seconds over which everyone clicks start (default N / 200, between 5 and 50)",
    )
    parser.add_argument("--save-rate", type=float, default=500, help="saves per second offered by the whole city")
    parser.add_argument("--answers", type=int, help=f"questions each person answers (default all {QUESTIONS})")
    parser.add_argument("--changes", type=float, default=0.1, help="answers changed later, per question")
    parser.add_argument("--poll-seconds", type=float, default=30, help="the page's time check (0: none)")
    parser.add_argument("--no-submit", type=float, default=0.02, help="share who close the browser early")
    parser.add_argument(
        "--submit-spread",
        type=float,
        help="seconds before the deadline within which everyone hands in (default: as --start-spread)",
    )
    parser.add_argument(
        "--start-allowance",
        type=float,
        help="seconds the window leaves for the start phase (default: the spread + 10 + N / 250); "
        "more keeps the save phase at its planned rate when the starts are slow",
    )
    parser.add_argument("--floor-clients", type=int, default=32)
    parser.add_argument("--floor-seconds", type=float, default=8, help="each round, for each endpoint")
    parser.add_argument("--floor-rounds", type=int, default=2)
    parser.add_argument("--faults", action="store_true", help="kill a worker and restart PostgreSQL mid-save")
    parser.add_argument("--profile", action="store_true", help="py-spy the app and sample pg_stat_activity")
    parser.add_argument(
        "--grading-timeout", type=float, default=600, help="seconds after the last submit to wait for every score"
    )
    parser.add_argument("--output", help="the figures' JSON (default benchmarks/results/exam_day_<N>[_<server>].json)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.login == "ticket" and issue_ticket_codes is None:
        raise SystemExit("--login ticket: this examapp has no ticket login codes (examapp.exams.paperwork)")
    args.people = max(10, min(args.people, MAX_PEOPLE))
    args.login_rate = max(0.5, min(args.login_rate, 1000.0))
    args.save_rate = max(1.0, min(args.save_rate, 5000.0))
    args.answers = max(1, min(args.answers, QUESTIONS)) if args.answers else None
    args.grading_timeout = max(10.0, min(args.grading_timeout, 3600.0))
    args.start_spread = max(1.0, min(args.start_spread or max(5.0, min(50.0, args.people / 200)), 600.0))
    args.changes = max(0.0, min(args.changes, 1.0))
    args.no_submit = max(0.0, min(args.no_submit, 0.5))
    args.submit_spread = max(1.0, min(args.submit_spread or args.start_spread, 600.0))
    args.poll_seconds = max(0.0, args.poll_seconds) and max(5.0, args.poll_seconds)
    args.floor_clients = max(1, min(args.floor_clients, 256))
    args.floor_seconds = max(2.0, min(args.floor_seconds, 60.0))
    args.floor_rounds = max(1, min(args.floor_rounds, 5))
    if not args.database_url.startswith("postgresql") or not re.search(
        r"@(127\.0\.0\.1|localhost)[:/]", args.database_url
    ):
        raise SystemExit("PostgreSQL on loopback only (postgresql+psycopg://...@127.0.0.1:5432/...)")
    signal.signal(signal.SIGTERM, stop_servers_and_exit)
    signal.signal(signal.SIGHUP, stop_servers_and_exit)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    LOG_DIR.mkdir(exist_ok=True)
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("locust").setLevel(logging.ERROR)

    answered = args.answers or QUESTIONS
    saves_each = answered + round(answered * args.changes)
    save_seconds = saves_each * args.people / args.save_rate
    start_seconds = args.start_allowance or (args.start_spread + 10 + args.people / 250)
    floor_seconds = 2 * args.floor_rounds * args.floor_seconds + 4
    #: from the start signal to the window's close, everyone's deadline
    args.window = math.ceil(start_seconds + floor_seconds + 4 + save_seconds + 15 + args.submit_spread + 10)
    #: the exam's duration only has to outlast the window (deadline = min(start + duration, close))
    args.duration = max(90, math.ceil(args.window / 60) + 30)

    print(
        f"exam day: {args.people:,} examinees, {QUESTIONS} questions each, {answered} answered ({saves_each} saves), "
        f"exam of {args.duration} min closing {args.window} s after the start signal, grace {GRACE_SECONDS} s"
        + (", with faults" if args.faults else "")
    )
    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"command: {' '.join(sys.argv)}")
    ensure_database(args.database_url)
    redis_up = True
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        redis_up = False
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        BARE_DATABASE_URL=args.database_url,
        SECRET_KEY="exam-day-bench",
        EXAMAPP_ENV="production",
        SESSION_COOKIE_SECURE="0",
        DB_POOL_SIZE=str(args.threads),
        DB_MAX_OVERFLOW="2",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0" if redis_up else "memory://",
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "exam-day-bench"})
    started = clock()
    exam_id, tickets, args.prepare_steps = prepare(app, args.people, args.duration, args.login)
    engine = create_engine(args.database_url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    print(
        f"prepared in {clock() - started:.1f} s (PostgreSQL {version}): "
        + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in args.prepare_steps.items())
        + f"; logins with {'ticket codes' if tickets else 'passwords'}",
        flush=True,
    )

    app_server = serve(args.server, "wsgi:app", env, args.workers, args.threads)
    bare_server = serve(args.server, "benchmarks.bare_save_app:app", env, args.workers, args.threads)
    print(
        f"serving with {describe(app_server.command)} (and the floor alike); "
        f"login throttle storage {env['RATELIMIT_STORAGE_URI']}",
        flush=True,
    )
    try:
        day, locust_env, meter, timetable, faults = play(args, exam_id, app_server, bare_server, save_seconds, tickets)
    finally:
        stop(app_server)
        stop(bare_server)
    engine.dispose()  # PostgreSQL may have restarted under the pool
    sweep_result = sweep(engine, exam_id, env)
    meter.set_phase("verify")
    check = verify(engine, exam_id, day, args.duration)
    out, lost = report(args, day, meter, timetable, faults, sweep_result, check, args.duration)
    if meter.profiler:
        print("\nWhere the app's time went (--profile)")
        meter.profiler.summary()
    name = f"exam_day_{args.people}" + (f"_{args.server}" if args.server != "gunicorn" else "")
    name += "_faults" if args.faults else ""
    figures_path = Path(args.output) if args.output else LOG_DIR / f"{name}.json"
    figures_path.parent.mkdir(parents=True, exist_ok=True)
    figures_path.write_text(json.dumps(out, indent=1, default=str, ensure_ascii=False))
    import csv

    requests_path = figures_path.with_name(figures_path.stem + "_requests.csv")
    with open(requests_path, "w", newline="") as f:
        StatsCSV(locust_env, [0.5, 0.95, 0.99]).requests_csv(csv.writer(f))
    print(f"\nfigures: {figures_path}; locust's per-request table: {requests_path}")
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    broken = check["neither submitted nor resumable"] + check["examinees without an attempt"] + len(day.crashes)
    sys.exit(1 if lost or broken else 0)


if __name__ == "__main__":
    main()
