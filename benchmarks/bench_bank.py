"""Question bank speed: importing 5,000 questions, and the question list at 20,000.

    .venv/bin/python benchmarks/bench_bank.py                       # a fresh SQLite file in a temp dir
    .venv/bin/python benchmarks/bench_bank.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The database is emptied and migrated first (never point it at one you want to keep).
Targets (docs/benchmarks.md): 5,000 questions imported in under 10 s; a filtered,
searched list page with 20,000 questions in under 200 ms. A benchmark, not a test:
the machines are shared and noisy, so read the figures, do not assert them.
"""

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from examapp import create_app  # noqa: E402
from examapp.auth.models import Role  # noqa: E402
from examapp.bank.importing import COLUMNS, apply_plan, check_rows  # noqa: E402
from examapp.bank.models import Question, QuestionCategory, Status  # noqa: E402
from examapp.bank.services import similar_questions  # noqa: E402
from examapp.extensions import db  # noqa: E402
from examapp.org.models import UnitKind  # noqa: E402
from examapp.org.services import create_unit  # noqa: E402
from examapp.spreadsheets import read_table, write_table  # noqa: E402
from examapp.staff.services import create_user  # noqa: E402

PASSWORD = "Bench-passw0rd"  # noqa: S105 - an account in a throwaway benchmark database
CATEGORIES = [
    "示范社区标准",
    "就业再就业政策",
    "劳动关系与劳动合同",
    "劳动保障监察",
    "办理程序与服务规范",
    "离退休人员社会化管理",
    "社会保险",
]
WORDS = [
    "用人单位",
    "劳动者",
    "劳动合同",
    "社会保险",
    "失业保险金",
    "街道",
    "社区",
    "劳动保障事务所",
    "工作站",
    "再就业",
    "下岗失业人员",
    "离退休人员",
    "工伤认定",
    "劳动保障监察",
    "仲裁",
    "试用期",
    "经济补偿",
    "最低工资",
    "养老保险",
    "医疗保险",
    "公益性岗位",
    "职业介绍",
    "培训",
    "档案",
    "台账",
]
SEARCH = "失业保险金"


def stem(rng, n, blanks=0):
    words = rng.sample(WORDS, 6)
    body = "，".join("".join(words[i : i + 2]) + rng.choice(["应当", "可以", "不得", "依法"]) for i in range(0, 6, 2))
    tail = "".join("____" + rng.choice(WORDS) for _ in range(blanks)) if blanks else "（  ）"
    return f"第{n}题：根据规定，{body}{tail}。"


def make_rows(count, start, seed):
    """``count`` distinct rows in the import format, all four types, seven categories."""
    rng = random.Random(seed)
    rows = []
    for n in range(start, start + count):
        kind = n % 10
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            {
                "分类": CATEGORIES[n % len(CATEGORIES)],
                "难度": "易中难"[n % 3],
                "解析": "依据相关条款作答。" * rng.randint(1, 4),
                "依据": f"《某某条例》第{n % 90 + 1}条",
            }
        )
        if kind < 4:
            row.update({"题型": "单选", "题干": stem(rng, n), "答案": "ABCD"[n % 4]})
            row.update({f"选项{c}": f"{c}选项{rng.choice(WORDS)}{n}" for c in "ABCD"})
        elif kind < 7:
            row.update({"题型": "多选", "题干": stem(rng, n), "答案": "ACD" if n % 2 else "AB"})
            row.update({f"选项{c}": f"{c}选项{rng.choice(WORDS)}{n}" for c in "ABCDE"})
        elif kind < 9:
            row.update({"题型": "判断", "题干": stem(rng, n).replace("（  ）", ""), "答案": "对" if n % 2 else "错"})
        else:
            row.update({"题型": "填空", "题干": stem(rng, n, blanks=2), "答案": "三十;30|十五;15"})
        rows.append(row)
    return rows


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def reset(app):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        city = create_unit(None, code="410100", name="郑州市", kind=UnitKind.CITY, parent=None)
        user, _ = create_user(
            None, username="benchadmin", name="基准测试", role=Role.EXAM_ADMIN, unit=city, password=PASSWORD
        )
        user.must_change_password = False
        db.session.commit()


def import_file(app, filename, data):
    """The path of ``flask bank import``: parse, check every row, create, commit."""
    with app.app_context():
        rows, parse = timed(lambda: read_table(filename, data, COLUMNS, max_bytes=64 * 2**20, max_rows=20000))
        (plan, problems), check = timed(lambda: check_rows(None, rows))
        assert not problems, problems[:3]
        _, apply = timed(lambda: (apply_plan(None, plan, filename, status=Status.PUBLISHED), db.session.commit()))
        db.session.remove()
    return parse, check, apply


def logged_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "benchadmin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def web_import(app, client, filename, data):
    """Upload -> preview -> confirm, as an admin does it in the browser."""
    import io

    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/bank/import").get_data(as_text=True)
    ).group(1)
    steps = {}
    response, steps["upload"] = timed(
        lambda: client.post(
            "/bank/import",
            data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    preview = response.headers["Location"]
    page, steps["preview"] = timed(lambda: client.get(preview))
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response, steps["confirm"] = timed(lambda: client.post(preview, data={"csrf_token": token, "publish": "y"}))
    assert response.status_code == 302
    return steps


def list_timings(client, url, repeat):
    times = []
    for _ in range(repeat):
        response, seconds = timed(lambda: client.get(url))
        assert response.status_code == 200
        times.append(seconds * 1000)
    return response, times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    parser.add_argument("--repeat", type=int, default=30, help="requests per list URL")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-bank-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "UPLOAD_MAX_BYTES": 64 * 2**20,
            "MAX_CONTENT_LENGTH": 64 * 2**20,
            "LOGIN_FAILURES_PER_ACCOUNT": 1000,
        }
    )
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    reset(app)
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")

    csv_data = write_table(list(COLUMNS), make_rows(5000, 1, seed=1), "csv")
    print(
        f"\n1. import 5,000 questions, csv ({len(csv_data) / 2**20:.1f} MB) into an empty bank (flask bank import path)"
    )
    parse, check, apply = import_file(app, "bench.csv", csv_data)
    print(
        f"   parse {parse:.2f} s + check {check:.2f} s + create and commit {apply:.2f} s"
        f" = {parse + check + apply:.2f} s"
    )

    xlsx_data = write_table(list(COLUMNS), make_rows(5000, 5001, seed=2), "xlsx")
    print(f"2. import 5,000 more, xlsx ({len(xlsx_data) / 2**20:.1f} MB), into a bank of 5,000")
    parse, check, apply = import_file(app, "bench.xlsx", xlsx_data)
    print(
        f"   parse {parse:.2f} s + check {check:.2f} s + create and commit {apply:.2f} s"
        f" = {parse + check + apply:.2f} s"
    )

    client = logged_in_client(app)
    web_data = write_table(list(COLUMNS), make_rows(5000, 10001, seed=3), "csv")
    print("3. import 5,000 more through the pages (upload, preview, confirm), into a bank of 10,000")
    steps = web_import(app, client, "web.csv", web_data)
    print("   " + " + ".join(f"{k} {v:.2f} s" for k, v in steps.items()) + f" = {sum(steps.values()):.2f} s")

    import_file(app, "fill.csv", write_table(list(COLUMNS), make_rows(5000, 15001, seed=4), "csv"))
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Question))
        category_id = db.session.scalar(select(QuestionCategory.id).where(QuestionCategory.name == "社会保险"))
    print(f"\n4. question list with {total:,} questions ({args.repeat} requests each; ms: median / p95 / max)")
    urls = {
        "filtered + searched": f"/bank/?q={SEARCH}&category={category_id}&qtype=single&difficulty=easy&status=all",
        "searched only": f"/bank/?q={SEARCH}",
        "search with no match (full scan)": "/bank/?q=没有这样的题干",
        "first page, no filter": "/bank/",
        "page 200 of 400": "/bank/?page=200",
    }
    for label, path in urls.items():
        response, times = list_timings(client, path, args.repeat)
        shown = re.search(r"共 (\d+) 条", response.get_data(as_text=True))
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"   {label:<34} {statistics.median(times):7.1f} {p95:7.1f} {max(times):7.1f}"
            f"   ({shown.group(1) if shown else '?'} matches)  {path}"
        )

    with app.app_context():
        sample = "第20001题：根据规定，用人单位社会保险应当，劳动者街道可以，仲裁试用期依法（  ）。"
        found, seconds = timed(lambda: similar_questions(sample))
        print(
            f"\n5. near-duplicate check of one stem against {total:,} stems (on save): {seconds * 1000:.0f} ms,"
            f" {len(found)} similar"
        )
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
