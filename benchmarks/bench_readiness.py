"""Unit readiness at city scale on PostgreSQL: 600 assessed units, 10,000 examinees, 20 mocks each.

    .venv/bin/python benchmarks/bench_readiness.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_readiness

Target (docs/readiness.md): the whole city's /readiness page (an exam admin's) renders in under 2 s.
The database is emptied and migrated first (never point it at one you want to keep). Rows are written
with Core executemany: the units (15 districts, their streets and communities), the examinee
accounts, 20 submitted mocks each over the last 90 days (scores around each unit's level) and 20
practice answers each. Mock items are not written: the city page reads the mocks' scores, never their
items (a unit's page and a district's export read the items of that unit's or district's people only).
A benchmark, not a test: read the figures, do not assert them.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402


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


def fill(app, units, people, mocks, practice, seed):
    from flask_migrate import upgrade

    from examapp.auth.models import User
    from examapp.auth.passwords import hash_password
    from examapp.bank.models import QuestionVersion
    from examapp.clock import utcnow
    from examapp.extensions import db
    from examapp.org.models import Unit
    from examapp.practice.models import MockAttempt, PracticeAnswer
    from tests.exam_factories import small_bank

    rng = random.Random(seed)
    now = utcnow()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        began = time.perf_counter()
        rows = [{"id": 1, "code": "410100", "name": "郑州市", "kind": "city", "parent_id": None, "path": "/1/"}]
        assessed = []
        next_id = 2
        districts = 15
        per_district = units // districts
        for d in range(districts):
            did = next_id
            next_id += 1
            rows.append(
                {
                    "id": did,
                    "code": f"D{d:02d}",
                    "name": f"第{d + 1}区",
                    "kind": "district",
                    "parent_id": 1,
                    "path": f"/1/{did}/",
                }
            )
            streets = max(1, per_district // 8)
            made = 0
            for s in range(streets):
                sid = next_id
                next_id += 1
                rows.append(
                    {
                        "id": sid,
                        "code": f"D{d:02d}S{s:02d}",
                        "name": f"街道{d}-{s}",
                        "kind": "street",
                        "parent_id": did,
                        "path": f"/1/{did}/{sid}/",
                    }
                )
                assessed.append(sid)
                made += 1
                for c in range(per_district // streets - 1):
                    cid = next_id
                    next_id += 1
                    rows.append(
                        {
                            "id": cid,
                            "code": f"D{d:02d}S{s:02d}C{c:02d}",
                            "name": f"社区{d}-{s}-{c}",
                            "kind": "community",
                            "parent_id": sid,
                            "path": f"/1/{did}/{sid}/{cid}/",
                        }
                    )
                    assessed.append(cid)
                    made += 1
        db.session.execute(
            insert(Unit.__table__), [dict(r, is_active=True, created_at=now, updated_at=now) for r in rows]
        )
        db.session.execute(text("SELECT setval('units_id_seq', :n)"), {"n": next_id})
        hashed = hash_password("Bench-passw0rd")
        users = [
            {
                "username": "admin",
                "name": "管理员",
                "role": "exam_admin",
                "unit_id": 1,
                "password_hash": hashed,
                "must_change_password": False,
            }
        ]
        level = {u: min(0.995, rng.gauss(0.965, 0.015)) for u in assessed}
        home = [assessed[i % len(assessed)] for i in range(people)]
        for i in range(people):
            users.append(
                {
                    "username": f"ks{i:05d}",
                    "name": f"考生{i}",
                    "role": "examinee",
                    "unit_id": home[i],
                    "password_hash": hashed,
                    "must_change_password": False,
                }
            )
        db.session.execute(
            insert(User.__table__),
            [dict(u, is_enabled=True, session_epoch=0, created_at=now, updated_at=now) for u in users],
        )
        ids = dict(db.session.execute(text("SELECT username, id FROM users")).all())
        small_bank(per_type=1)
        version = db.session.scalars(select(QuestionVersion).order_by(QuestionVersion.id)).first()
        question, category = version.question_id, version.category_id
        mock_rows, practice_rows = [], []
        for i in range(people):
            uid = ids[f"ks{i:05d}"]
            rate = min(0.999, rng.gauss(level[home[i]], 0.02))
            for _ in range(mocks):
                at = now - timedelta(days=rng.uniform(0, 90))
                score = round(100 * sum(rng.random() < rate for _ in range(20)) / 20, 2)
                mock_rows.append(
                    {
                        "user_id": uid,
                        "state": "submitted",
                        "started_at": at - timedelta(minutes=50),
                        "deadline_at": at + timedelta(minutes=10),
                        "submitted_at": at,
                        "score": score,
                    }
                )
            for _ in range(practice):
                at = now - timedelta(days=rng.uniform(0, 45))
                practice_rows.append(
                    {
                        "user_id": uid,
                        "question_id": question,
                        "question_version_id": version.id,
                        "category_id": category,
                        "correct": rng.random() < rate,
                        "answered_at": at,
                    }
                )
        for start in range(0, len(mock_rows), 20000):
            db.session.execute(insert(MockAttempt.__table__), mock_rows[start : start + 20000])
        for start in range(0, len(practice_rows), 20000):
            db.session.execute(insert(PracticeAnswer.__table__), practice_rows[start : start + 20000])
        db.session.commit()
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        print(
            f"filled {len(assessed)} assessed units, {people} examinees, {len(mock_rows)} mocks, "
            f"{len(practice_rows)} practice answers in {time.perf_counter() - began:.1f} s"
        )


def time_page(app, repeat):
    import re

    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"username": "admin", "password": "Bench-passw0rd", "csrf_token": token})
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get("/readiness")
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    body = response.get_data(as_text=True)
    print(f"/readiness (whole city, {body.count('data-unit=')} units): " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"median {statistics.median(times):.2f} s (target < 2 s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_readiness")
    parser.add_argument("--units", type=int, default=600)
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--mocks", type=int, default=20)
    parser.add_argument("--practice", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="time the page on the data already there")
    args = parser.parse_args()
    ensure_database(args.database_url)
    from examapp import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    if not args.reuse:
        fill(app, args.units, args.people, args.mocks, args.practice, args.seed)
    time_page(app, args.repeat)


if __name__ == "__main__":
    main()
