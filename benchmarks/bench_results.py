"""The results reports at city scale: the unit table and the xlsx export, live and sealed.

    .venv/bin/python benchmarks/bench_results.py
    .venv/bin/python benchmarks/bench_results.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/results_bench --people 10000

Target (docs/benchmarks.md): with 10,000 submitted attempts of 80 answers (800,000 answer
rows) on PostgreSQL, the city unit table renders in under 1 s and the xlsx export completes
in under 5 s. The database is emptied and migrated first (never point it at one you want to
keep). Bulk rows (people, roster, attempts, answers) go in with COPY, as a closed exam would
leave them; the bank, the exam and its paper go through the services. A benchmark, not a
test: the machines are shared and noisy, so read the figures, do not assert them.
"""

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from werkzeug.exceptions import MethodNotAllowed, NotFound  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from examapp import create_app  # noqa: E402
from examapp.auth.models import Role, User  # noqa: E402
from examapp.auth.passwords import GENERATED_PASSWORD_METHOD  # noqa: E402
from examapp.bank.content import Difficulty, QType, QuestionData  # noqa: E402
from examapp.bank.models import Question, QuestionVersion, Status  # noqa: E402
from examapp.bank.services import create_category, create_question  # noqa: E402
from examapp.clock import FrozenClock, SystemClock  # noqa: E402
from examapp.demo.data import CITY, DISTRICTS, GIVEN, SURNAMES  # noqa: E402
from examapp.exams.models import Exam  # noqa: E402
from examapp.exams.services import ExamSettings, close_exam, create_exam, publish_exam, set_blueprint  # noqa: E402
from examapp.extensions import db  # noqa: E402
from examapp.org.models import Unit, UnitKind  # noqa: E402
from examapp.org.services import create_unit  # noqa: E402
from examapp.results.export import build_workbook  # noqa: E402
from examapp.results.scores import district_summaries, live_unit_scores, unit_scores  # noqa: E402
from examapp.results.services import seal_exam  # noqa: E402
from examapp.sitting.models import AttemptState, SubmitReason  # noqa: E402
from examapp.staff.services import create_user  # noqa: E402

PASSWORD = "Bench-passw0rd"  # noqa: S105 - accounts in a throwaway benchmark database
MAX_PEOPLE = 20000
ZONE = ZoneInfo("Asia/Shanghai")
CATEGORIES = ["社会保险", "就业再就业政策", "劳动关系与劳动合同", "劳动保障监察"]
#: per category: (type, questions in the bank, drawn per paper); 4 x (15 + 5) = 80 questions x 1.25 = 100 points
PAPER = [(QType.SINGLE, 75, 15), (QType.JUDGE, 25, 5)]
POINTS = Decimal("1.25")
DURATION = 90  # minutes
STREETS_PER_DISTRICT = 4
ROAD_NAMES = [
    "建设路",
    "人民路",
    "解放路",
    "文化路",
    "花园路",
    "东风路",
    "南阳路",
    "工人路",
    "航海路",
    "嵩山路",
    "陇海路",
    "未来路",
    "经三路",
    "纬五路",
    "农业路",
    "丰产路",
    "黄河路",
    "金水路",
    "大学路",
    "桐柏路",
]


# --- preparing the data --------------------------------------------------------------


def ensure_database(url):
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def _copy_value(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(table, columns, rows, batch=20000):
    """COPY ``rows`` (tuples in ``columns`` order) into ``table`` on the session's connection."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        lines = []
        for row in rows:
            lines.append("\t".join(_copy_value(v) for v in row) + "\n")
            if len(lines) >= batch:
                copy.write("".join(lines))
                lines.clear()
        if lines:
            copy.write("".join(lines))


def next_ids(table, count):
    """``count`` fresh ids from ``table``'s own sequence (so COPY can carry them)."""
    query = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"  # noqa: S608
    return list(db.session.scalars(text(query), {"n": count}))


def build_units(people):
    """The city, its 15 districts, 4 streets (one a township) each and communities under them.

    Communities per street follow ``people`` so that each assessed unit has about 17 people
    (10,200 rostered: 60 streets and townships + 540 communities = 600 assessed units).
    """
    communities_per_street = max(1, min(30, round(people / 17 / (len(DISTRICTS) * STREETS_PER_DISTRICT)) - 1))
    city = create_unit(None, code=CITY[0], name=CITY[1], kind=UnitKind.CITY, parent=None)
    districts = [
        create_unit(None, code=code, name=name, kind=UnitKind.DISTRICT, parent=city)
        for code, name, _streets in DISTRICTS
    ]
    rng = random.Random(7)
    now = datetime.now(UTC)
    streets = []
    for district in districts:
        for i, road in enumerate(rng.sample(ROAD_NAMES, STREETS_PER_DISTRICT), start=1):
            township = i == STREETS_PER_DISTRICT
            streets.append(
                {
                    "code": f"{district.code}{i:02d}",
                    "name": road.removesuffix("路") + ("镇" if township else "街道"),
                    "kind": UnitKind.TOWNSHIP if township else UnitKind.STREET,
                    "parent_id": district.id,
                    "path": "/pending/",
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    db.session.execute(insert(Unit), streets)
    street_ids = dict(db.session.execute(select(Unit.code, Unit.id).where(Unit.kind.in_(UnitKind.ASSESSED))).all())
    communities = [
        {
            "code": f"{street['code']}{j:03d}",
            "name": f"{rng.choice(ROAD_NAMES)}第{j}社区",
            "kind": UnitKind.COMMUNITY,
            "parent_id": street_ids[street["code"]],
            "path": "/pending/",
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }
        for street in streets
        for j in range(1, communities_per_street + 1)
    ]
    db.session.execute(insert(Unit), communities)
    for kind in (UnitKind.STREET, UnitKind.COMMUNITY):  # streets and townships first, then their communities
        kinds = (UnitKind.STREET, UnitKind.TOWNSHIP) if kind == UnitKind.STREET else (UnitKind.COMMUNITY,)
        db.session.execute(
            text(
                "UPDATE units AS u SET path = p.path || u.id || '/' FROM units AS p "
                "WHERE u.parent_id = p.id AND u.kind = ANY(:kinds)"
            ),
            {"kinds": list(kinds)},
        )
    assessed = db.session.execute(
        select(Unit.id, Unit.path).where(Unit.kind.in_(UnitKind.ASSESSED)).order_by(Unit.path)
    ).all()
    # the district is the second id of the path: /city/district/...
    return city, districts, [(unit_id, int(path.strip("/").split("/")[1])) for unit_id, path in assessed]


def build_bank():
    """Four categories, each with 75 single-choice and 25 true/false questions, published."""
    categories = []
    for c, name in enumerate(CATEGORIES):
        category = create_category(None, name)
        categories.append(category)
        for qtype, count, _drawn in PAPER:
            for n in range(count):
                number = f"{c + 1}-{qtype}-{n + 1}"
                if qtype == QType.SINGLE:
                    data = QuestionData(
                        qtype=qtype,
                        stem=f"（{number}）根据{name}的规定，下列说法正确的是（  ）。",
                        options=["甲项说法", "乙项说法", "丙项说法", "丁项说法"],
                        answer="ABCD"[n % 4],
                        explanation="依据相关条款作答。",
                        source=f"《{name}工作规范》第{n + 1}条",
                        difficulty=Difficulty.ALL[n % 3],
                        category_id=category.id,
                    )
                else:
                    data = QuestionData(
                        qtype=qtype,
                        stem=f"（{number}）{name}工作中，社区劳动保障工作站应当建立台账。",
                        options=[],
                        answer="T" if n % 2 else "F",
                        explanation="依据相关条款作答。",
                        source=f"《{name}工作规范》第{n + 1}条",
                        difficulty=Difficulty.ALL[n % 3],
                        category_id=category.id,
                    )
                create_question(None, data, status=Status.PUBLISHED)
    db.session.flush()
    pools = {}
    for category_id, qtype, version_id, answer in db.session.execute(
        select(Question.category_id, Question.qtype, QuestionVersion.id, QuestionVersion.answer)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .order_by(QuestionVersion.id)
    ):
        pools.setdefault((category_id, qtype), []).append((version_id, qtype, answer))
    return categories, pools


def draw(rng, categories, pools):
    """One examinee's paper: 15 + 5 from each category, shuffled; (version id, qtype, answer, option order)."""
    paper = []
    for category in categories:
        for qtype, _count, drawn in PAPER:
            for version_id, kind, answer in rng.sample(pools[(category.id, qtype)], drawn):
                order = rng.sample(range(4), 4) if kind == QType.SINGLE else None
                paper.append((version_id, kind, answer, order))
    rng.shuffle(paper)
    return paper


def answer_rows(rng, attempt_id, paper, ability, started_at, submitted_at):
    """The 80 answer rows of one submitted attempt, and its score (the sum of what they earned)."""
    rows, score = [], Decimal("0")
    span = max(1, int((submitted_at - started_at).total_seconds()) - 60)
    for position, (version_id, qtype, answer, order) in enumerate(paper, start=1):
        correct = rng.random() < ability
        if qtype == QType.SINGLE:
            response = answer if correct else rng.choice([x for x in "ABCD" if x != answer])
        else:
            response = answer if correct else ("F" if answer == "T" else "T")
        awarded = POINTS if correct else Decimal("0.00")
        score += awarded
        answered_at = started_at + timedelta(seconds=span * position // len(paper) + rng.randint(0, 50))
        rows.append(
            (
                attempt_id,
                position,
                version_id,
                POINTS,
                json.dumps(order) if order else None,
                json.dumps(response),
                position + rng.randint(0, 3),
                answered_at,
                rng.random() < 0.02,
                awarded,
            )
        )
    return rows, score


def prepare(app, sitters, seed):
    """Migrate an empty database and fill it with a closed exam: ``sitters`` submitted attempts of 80
    answers, and 2 % more people on the roster who did not sit (a quarter of them excused)."""
    clock = app.extensions["clock"]
    rng = random.Random(seed)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))

        started = time.perf_counter()
        absentees = round(sitters * 0.02)
        people = sitters + absentees
        city, districts, assessed = build_units(people)
        office, _ = create_user(
            None, username="benchoffice", name="压测办公室", role=Role.OFFICE, unit=city, password=PASSWORD
        )
        office.must_change_password = False
        categories, pools = build_bank()
        opens_at = clock.now() + timedelta(minutes=1)
        exam = create_exam(
            None,
            ExamSettings(
                title="2026 年度劳动保障工作示范社区业务知识考试（压测）",
                instructions="闭卷考试。",
                opens_at=opens_at,
                closes_at=opens_at + timedelta(hours=2),
                duration_minutes=DURATION,
                cycle_year=2026,
            ),
        )
        set_blueprint(
            None,
            exam,
            [
                {"category_id": category.id, "qtype": qtype, "count": drawn, "points": str(POINTS)}
                for category in categories
                for qtype, _count, drawn in PAPER
            ],
        )
        db.session.flush()
        setup_seconds = time.perf_counter() - started

        # people: a multinomial spread over the assessed units (about 17 each)
        started = time.perf_counter()
        now = clock.now()
        password_hash = generate_password_hash(PASSWORD, method=GENERATED_PASSWORD_METHOD)
        user_ids = next_ids("users", people)
        placed = [rng.choice(assessed) for _ in range(people)]
        copy_rows(
            "users",
            [
                "id",
                "username",
                "name",
                "role",
                "unit_id",
                "password_hash",
                "is_enabled",
                "must_change_password",
                "session_epoch",
                "created_at",
                "updated_at",
            ],
            (
                (
                    user_id,
                    f"bench{i:05d}",
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
                    Role.EXAMINEE,
                    unit_id,
                    password_hash,
                    True,
                    False,
                    0,
                    now,
                    now,
                )
                for i, (user_id, (unit_id, _district_id)) in enumerate(zip(user_ids, placed, strict=True))
            ),
        )
        entry_ids = next_ids("roster_entries", people)
        absent = set(rng.sample(range(people), absentees))
        excused = set(rng.sample(sorted(absent), len(absent) // 4))
        copy_rows(
            "roster_entries",
            [
                "id",
                "exam_id",
                "user_id",
                "unit_id",
                "district_id",
                "extra_minutes",
                "added_at",
                "excuse_reason",
                "excused_at",
                "excused_by_id",
            ],
            (
                (
                    entry_id,
                    exam.id,
                    user_id,
                    unit_id,
                    district_id,
                    0,
                    now,
                    "因公出差，经区劳动保障局批准缺考" if i in excused else None,
                    now if i in excused else None,
                    office.id if i in excused else None,
                )
                for i, (entry_id, user_id, (unit_id, district_id)) in enumerate(
                    zip(entry_ids, user_ids, placed, strict=True)
                )
            ),
        )
        publish_exam(None, exam)
        db.session.flush()
        people_seconds = time.perf_counter() - started

        # attempts and their answers: each unit's staff sit around its own level (mean 96.5 +- 2.5)
        started = time.perf_counter()
        unit_level = {unit_id: min(0.995, max(0.85, rng.gauss(0.965, 0.025))) for unit_id, _ in assessed}
        sitting = [i for i in range(people) if i not in absent]
        attempt_ids = next_ids("attempts", len(sitting))
        attempts, items = [], []
        for attempt_id, i in zip(attempt_ids, sitting, strict=True):
            started_at = opens_at + timedelta(seconds=rng.randint(0, 1200))
            deadline_at = min(started_at + timedelta(minutes=DURATION), opens_at + timedelta(hours=2))
            if rng.random() < 0.05:
                submitted_at, reason = deadline_at, SubmitReason.DEADLINE
            else:
                submitted_at, reason = (
                    started_at + timedelta(seconds=rng.randint(1500, DURATION * 60 - 60)),
                    SubmitReason.EXAMINEE,
                )
            ability = min(1.0, max(0.5, rng.gauss(unit_level[placed[i][0]], 0.03)))
            rows, score = answer_rows(rng, attempt_id, draw(rng, categories, pools), ability, started_at, submitted_at)
            items.extend(rows)
            attempts.append(
                (
                    attempt_id,
                    exam.id,
                    entry_ids[i],
                    user_ids[i],
                    AttemptState.SUBMITTED,
                    started_at,
                    deadline_at,
                    submitted_at,
                    reason,
                    score,
                    rng.randrange(2**31),
                    max(r[6] for r in rows),
                    max(r[7] for r in rows),
                    rng.choice([0, 0, 0, 0, 1, 2]),
                    started_at,
                    submitted_at,
                )
            )
        generate_seconds = time.perf_counter() - started
        started = time.perf_counter()
        copy_rows(
            "attempts",
            [
                "id",
                "exam_id",
                "roster_entry_id",
                "user_id",
                "state",
                "started_at",
                "deadline_at",
                "submitted_at",
                "submit_reason",
                "score",
                "seed",
                "last_seq",
                "last_saved_at",
                "departures",
                "created_at",
                "updated_at",
            ],
            attempts,
        )
        copy_rows(
            "attempt_items",
            [
                "attempt_id",
                "position",
                "question_version_id",
                "points",
                "option_order",
                "response",
                "response_seq",
                "answered_at",
                "flagged",
                "awarded",
            ],
            items,
        )
        db.session.commit()
        copy_seconds = time.perf_counter() - started

        # the window ends; the exam is closed by the service, as an admin would
        started = time.perf_counter()
        clock.set(opens_at + timedelta(hours=2, minutes=5))
        exam = db.session.get(Exam, exam.id)
        close_exam(None, exam)
        db.session.commit()
        with db.engine.connect() as conn:  # as autovacuum would have done after a load this size
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM (ANALYZE) users, roster_entries, attempts, attempt_items, units")
            )
        close_seconds = time.perf_counter() - started
        counts = {
            name: db.session.scalar(text(f"SELECT count(*) FROM {name}"))  # noqa: S608 - fixed table names
            for name in ("units", "users", "roster_entries", "attempts", "attempt_items", "questions")
        }
        district_id = next(d.id for d in districts if d.code == "410105")  # 金水区
        exam_id = exam.id
        db.session.remove()
    figures = {
        "units, bank (400 questions), exam": setup_seconds,
        "people and roster (COPY)": people_seconds,
        "attempts and answers generated": generate_seconds,
        "attempts and answers (COPY) + commit": copy_seconds,
        "close (service) + VACUUM ANALYZE": close_seconds,
    }
    return exam_id, district_id, counts, figures


# --- timing --------------------------------------------------------------------------


def logged_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "benchoffice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def has_route(app, path):
    try:
        app.url_map.bind("localhost").match(path, method="GET")
    except (NotFound, MethodNotAllowed):
        return False
    return True


def summary(times):
    times = sorted(wall for wall, _cpu in times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, times[-1]


def time_calls(fn, repeat):
    """``repeat`` calls of ``fn`` after one untimed warm-up call; returns ([(wall s, cpu s)], last result).

    The CPU seconds are this process's own (Python, templates, openpyxl), not PostgreSQL's:
    on a shared box, wall time well above them means waiting for a core or for the database.
    """
    result = fn()
    times = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    return times, result


def time_direct(app, exam_id, fn, repeat):
    """``fn(exam)`` in a fresh app context each time, as a request would see it."""

    def call():
        with app.app_context():
            exam = db.session.get(Exam, exam_id)
            try:
                return fn(exam)
            finally:
                db.session.remove()

    return time_calls(call, repeat)


def time_get(client, path, repeat):
    def call():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
        return response.get_data()

    return time_calls(call, repeat)


def measure(app, client, exam_id, district_id, state, repeat, export_repeat):
    """The city table and the export of the exam in its present state; [(label, times, note)]."""
    lines = []

    def city_figures(exam):
        scores = unit_scores(exam)
        district_summaries(scores)
        return scores

    times, scores = time_direct(app, exam_id, city_figures, repeat)
    lines.append((f"{state}: unit_scores + district_summaries (query only)", times, f"{len(scores)} units"))
    times, district = time_direct(app, exam_id, lambda e: unit_scores(e, district_id), repeat)
    lines.append((f"{state}: unit_scores of one district (query only)", times, f"{len(district)} units"))
    table = f"/exams/{exam_id}/results"
    if has_route(app, table):
        for label, path in (
            ("city unit table page", table),
            ("  filtered to one district", f"{table}?district={district_id}"),
            ("  sorted by average, ascending", f"{table}?sort=average&dir=asc"),
        ):
            times, body = time_get(client, path, repeat)
            lines.append((f"{state}: {label}", times, f"{len(body) / 1024:.0f} KB  GET {path}"))
    else:
        lines.append((f"{state}: city unit table page", None, f"no route {table} yet: query timed only"))
    times, data = time_direct(app, exam_id, lambda e: build_workbook(e, ZONE), export_repeat)
    lines.append((f"{state}: build_workbook (xlsx)", times, f"{len(data) / 1024:.0f} KB"))
    export = f"/exams/{exam_id}/results.xlsx"
    if has_route(app, export):
        times, body = time_get(client, export, export_repeat)
        lines.append((f"{state}: GET results.xlsx", times, f"{len(body) / 1024:.0f} KB"))
    else:
        lines.append((f"{state}: GET results.xlsx", None, f"no route {export} yet"))
    return lines


def load():
    """The machine's load average: these boxes are shared, and other runs weigh on the figures."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def print_lines(lines):
    for label, times, note in lines:
        if times is None:
            print(f"   {label:<58} {'—':>9} {'—':>9} {'—':>9} {'—':>9}   {note}")
            continue
        median, p95, worst = summary(times)
        cpu = statistics.median(c for _wall, c in times)
        print(f"   {label:<58} {median * 1000:9.1f} {p95 * 1000:9.1f} {worst * 1000:9.1f} {cpu * 1000:9.1f}   {note}")


def profile(app, exam_id):
    """Where the time goes: the plan of the live unit query, and the export's top functions."""
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        statements = []

        def remember(_conn, _cursor, statement, parameters, _context, _executemany):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", remember)
        live_unit_scores(exam)
        event.remove(db.engine, "before_cursor_execute", remember)
        statement, parameters = next((s, p) for s, p in statements if "GROUP BY" in s)
        plan = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = [line for (line,) in plan]
        print("\nEXPLAIN ANALYZE of the live unit query:\n   " + "\n   ".join(plan))
        db.session.remove()
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        profiler = cProfile.Profile()
        profiler.enable()
        build_workbook(exam, ZONE)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print("\ncProfile of build_workbook (cumulative, top 25):\n" + out.getvalue())
        db.session.remove()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/results_bench")
    parser.add_argument(
        "--people", type=int, default=10000, help=f"examinees who sat: submitted attempts (at most {MAX_PEOPLE})"
    )
    parser.add_argument("--repeat", type=int, default=10, help="requests per page (at most 50)")
    parser.add_argument("--export-repeat", type=int, default=10, help="exports per figure (at most 20)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--profile", action="store_true", help="also print EXPLAIN ANALYZE and a cProfile of the export"
    )
    args = parser.parse_args()
    people = max(100, min(args.people, MAX_PEOPLE))
    repeat, export_repeat = max(1, min(args.repeat, 50)), max(1, min(args.export_repeat, 20))
    if not args.database_url.startswith("postgresql") or not re.search(
        r"@(127\.0\.0\.1|localhost)[:/]", args.database_url
    ):
        raise SystemExit("PostgreSQL on loopback only (postgresql+psycopg://...@127.0.0.1:5432/...)")

    ensure_database(args.database_url)
    clock = FrozenClock(datetime.now(UTC) - timedelta(hours=3))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": "bench",
            "CLOCK": clock,
            "LOGIN_FAILURES_PER_ACCOUNT": 1000,
        }
    )
    logging.getLogger().setLevel(logging.WARNING)

    print(f"preparing {people:,} submitted attempts of 80 answers (and 2 % more rostered who were absent) ...")
    started = time.perf_counter()
    exam_id, district_id, counts, figures = prepare(app, people, args.seed)
    print(
        f"prepared in {time.perf_counter() - started:.1f} s: " + "; ".join(f"{k} {v:.1f} s" for k, v in figures.items())
    )
    print("   rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    app.extensions["clock"] = SystemClock()

    client = logged_in_client(app)
    header = f"   {'(ms)':<58} {'median':>9} {'p95':>9} {'max':>9} {'cpu med':>9}"
    print(f"\n1. closed exam, live figures ({repeat} requests per page, {export_repeat} exports); {load()}")
    print(header)
    print_lines(measure(app, client, exam_id, district_id, "live", repeat, export_repeat))
    if args.profile:
        profile(app, exam_id)

    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        office = db.session.scalar(select(User).where(User.username == "benchoffice"))
        started = time.perf_counter()
        scores = seal_exam(office, exam)
        db.session.commit()
        seal_seconds = time.perf_counter() - started
        stored = db.session.scalar(text("SELECT count(*) FROM unit_results WHERE exam_id = :e"), {"e": exam_id})
        db.session.remove()
    verdicts = {}
    for score in scores:
        verdicts[score.verdict_label] = verdicts.get(score.verdict_label, 0) + 1
    print(
        f"\n2. seal_exam + commit: {seal_seconds * 1000:.0f} ms ({stored} unit results stored; "
        + ", ".join(f"{k} {v}" for k, v in verdicts.items())
        + ")"
    )
    averages = sorted(s.average_shown for s in scores if s.average_shown is not None)
    print(f"   unit averages: min {averages[0]}, median {averages[len(averages) // 2]}, max {averages[-1]}")

    print(f"\n3. sealed exam, stored figures ({repeat} requests per page, {export_repeat} exports); {load()}")
    print(header)
    print_lines(measure(app, client, exam_id, district_id, "sealed", repeat, export_repeat))
    print(f"\n   at the end: {load()}")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
