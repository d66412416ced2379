"""Integrity findings: time at city scale (PostgreSQL), and detection figures on simulated sittings.

    # 10,000 attempts x 80 answers in PostgreSQL, then time `compute_findings` (load + analyse + store)
    .venv/bin/python benchmarks/bench_integrity.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_integrity

    # detection and false-alarm figures: 2,000 people per sitting, five seeds, no database
    .venv/bin/python benchmarks/bench_integrity.py --simulate --people 2000 --seeds 5

Target (docs/integrity.md): the computation for 10,000 attempts finishes in under 30 s on
the 2-core machine. The database is emptied and migrated first (never point it at one you
want to keep). The sitting is the simulation of tests/integrity_factories.py (its planted
cases included), written with COPY as a closed exam would leave it. A benchmark, not a
test: read the figures, do not assert them.
"""

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from examapp.integrity.analysis import Settings, analyse  # noqa: E402
from tests.integrity_factories import simulate, to_sitting  # noqa: E402


def ensure_database(url):
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    if name in ("test", "postgres") or name.startswith("exam_day"):
        raise SystemExit(f"refusing to empty the database {name!r}: pick one of your own")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def _copy_value(value):
    from datetime import datetime

    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(session):
    """A ``bulk(table, rows)`` for write_plan: COPY, JSON columns encoded."""
    import json

    def bulk(table, rows):
        if not rows:
            return
        columns = list(rows[0])
        json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
        cursor = session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            lines = []
            for row in rows:
                values = [
                    json.dumps(row[c], ensure_ascii=False) if c in json_columns and row[c] is not None else row[c]
                    for c in columns
                ]
                lines.append("\t".join(_copy_value(v) for v in values) + "\n")
                if len(lines) >= 20000:
                    copy.write("".join(lines))
                    lines.clear()
            if lines:
                copy.write("".join(lines))

    return bulk


def prepare(app, people, seed):
    from flask_migrate import upgrade

    from examapp.exams.services import publish_exam
    from examapp.extensions import db
    from examapp.org.models import UnitKind
    from examapp.org.services import create_unit
    from tests import exam_factories
    from tests.integrity_factories import write_plan

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        began = time.perf_counter()
        plan = simulate(people=people, seed=seed, bank=400, paper=80, extras=True, copy_pairs=10)
        city = create_unit(None, code="410100", name="郑州市", kind=UnitKind.CITY, parent=None)
        exam = exam_factories.exam(None)
        write_plan(plan, exam, city, bulk=copy_rows(db.session))
        publish_exam(None, exam)
        db.session.commit()
        rows = db.session.execute(text("SELECT count(*) FROM attempt_items")).scalar()
        print(f"prepared {len(plan.attempts)} attempts, {rows} answer rows in {time.perf_counter() - began:.0f} s")
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return exam.id


def time_compute(app, exam_id, repeat):
    from examapp.exams.models import Exam
    from examapp.extensions import db
    from examapp.integrity.services import compute_findings
    from examapp.integrity.signals import load_sitting

    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        for i in range(repeat):
            began = time.perf_counter()
            sitting = load_sitting(exam)
            loaded = time.perf_counter()
            drafts, stats = analyse(sitting, Settings())
            analysed = time.perf_counter()
            run = compute_findings(exam)
            db.session.commit()
            total = time.perf_counter() - analysed
            print(
                f"run {i + 1}: load {loaded - began:.1f} s, analyse {analysed - loaded:.1f} s; "
                f"compute_findings (load + analyse + store) {total:.1f} s; "
                f"{run.attempts} attempts, {run.findings} findings, "
                f"{stats['pairs_sharing_wrong_answers']} pairs sharing >= 3 wrong answers"
            )


def simulate_figures(people, seeds, copy_pairs):
    """Detection of planted cases and findings naming nobody planted, over ``seeds`` sittings."""
    totals = {"same_device": [0, 0], "copying": [0, 0], "speed": [0, 0], "two_addresses": [0, 0]}
    by_copied = {}
    false_alarms, honest_units_flagged, seconds = [], 0, []
    for seed in range(1, seeds + 1):
        plan = simulate(people=people, seed=seed, extras=True, copy_pairs=copy_pairs, bank=120)
        sitting = to_sitting(plan)
        began = time.perf_counter()
        drafts, _stats = analyse(sitting, Settings())
        seconds.append(time.perf_counter() - began)
        keys = {d.key for d in drafts}
        from tests.integrity_factories import planted_keys

        planted = planted_keys(plan)
        for kind, wanted in planted.items():
            totals[kind][0] += len(wanted & keys)
            totals[kind][1] += len(wanted)
        for source, copier in plan.copy_pairs:
            given = {q: r for q, r, ok in plan.attempts[source].answers if not ok}
            taken = {q: r for q, r, ok in plan.attempts[copier].answers}
            copied = sum(1 for q, r in given.items() if taken.get(q) == r)
            band = "<10" if copied < 10 else "10-14" if copied < 15 else "15-19" if copied < 20 else ">=20"
            from examapp.integrity.analysis import finding_key

            hit = finding_key("copying", [source + 1, copier + 1]) in keys
            same = plan.attempts[source].unit == plan.attempts[copier].unit
            cell = by_copied.setdefault((band, "same unit" if same else "across units"), [0, 0])
            cell[0] += hit
            cell[1] += 1
        planted_ids = {i + 1 for i in plan.impersonated + plan.fast + plan.two_places}
        planted_ids |= {i + 1 for pair in plan.copy_pairs for i in pair}
        planted_units = {plan.attempts[i].unit for pair in plan.copy_pairs for i in pair}
        planted_units |= {plan.attempts[i].unit for i in plan.impersonated}
        for d in drafts:
            innocent = set(d.attempt_ids) - planted_ids
            if d.kind == "unit":
                if d.unit_ids[0] not in planted_units:
                    false_alarms.append((seed, d.kind, d.summary[:60]))
                honest_units_flagged += d.unit_ids[0] == plan.honest_unit
            elif innocent:
                false_alarms.append((seed, d.kind, d.summary[:60]))
    print(
        f"{seeds} sittings of {people} people (+ planted), bank 120, paper 80; analyse {min(seconds):.2f}-"
        f"{max(seconds):.2f} s each"
    )
    for kind, (found, wanted) in totals.items():
        print(f"  {kind:<14} found {found}/{wanted}")
    for (band, family), (hit, n) in sorted(by_copied.items()):
        print(f"  copying, {family:<12} {band:>5} identical wrong answers in all: {hit}/{n}")
    print(f"  findings naming someone not planted: {len(false_alarms)}; honest unit flagged: {honest_units_flagged}")
    for alarm in false_alarms:
        print("   ", alarm)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_integrity")
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--simulate", action="store_true", help="detection figures, no database")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--copy-pairs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="time the exam already in the database")
    args = parser.parse_args()
    if args.simulate:
        simulate_figures(args.people, args.seeds, args.copy_pairs)
        return
    logging.disable(logging.INFO)
    ensure_database(args.database_url)
    from examapp import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    if args.reuse:
        with app.app_context():
            from examapp.extensions import db

            exam_id = db.session.execute(text("SELECT max(id) FROM exams")).scalar()
    else:
        exam_id = prepare(app, args.people, args.seed)
    time_compute(app, exam_id, args.repeat)


if __name__ == "__main__":
    main()
