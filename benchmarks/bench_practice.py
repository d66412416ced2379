"""What a practice answer costs next to an exam save: SQL statements, app CPU and wall time per request.

    .venv/bin/python benchmarks/bench_practice.py --people 100 --saves 5 --answers 5

The machinery of ``benchmarks/bench_day_paths.py``: the same database (PostgreSQL ``bench_practice``
by default; emptied and migrated), the same exam of 80 questions from a bank of 320, the same
examinees driven one at a time through Flask's test client. First the exam day of
``bench_day_paths`` (login, start, ``--saves`` answer saves each, submit); then, the exam handed
in so the closed book lets them practise, each person opens practice questions (random, the whole
bank) and answers ``--answers`` of them as the practice page sends them (JSON, X-CSRFToken): the
answer is checked, graded, stored and noted in the 错题本, and the key comes back.

A practice answer should cost no more app CPU than an exam save ("POST save"). The first save
of an exam page takes the full path (it reads the paper), later ones the one-statement path;
the figure for saves is their mean, as an exam day has them.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_day_paths import CSRF_FIELD, PASSWORD, Meter, bench_app, expect, play, prepare  # noqa: E402

from examapp.extensions import db  # noqa: E402

FIELD = re.compile(r'name="(question_id|version_id|order|qtype|shown_at)" value="([^"]*)"')
DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
OPTION = re.compile(r'name="answer"\s+id="answer-[^"]*"\s+value="([^"]*)"')


def practice_answer(page):
    """The JSON body the practice page sends for the question on ``page`` (an answer of the right shape)."""
    fields = dict(FIELD.findall(page))
    qtype = fields["qtype"]
    if qtype == "single":
        response = OPTION.findall(page)[0]
    elif qtype == "multiple":
        response = "".join(sorted(OPTION.findall(page)[:2]))
    elif qtype == "judge":
        response = "T"
    else:
        response = ["5"] * page.count('name="answer" aria-label')
    return {
        "question_id": int(fields["question_id"]),
        "version_id": int(fields["version_id"]),
        "order": [int(i) for i in fields["order"].split(",")] if fields["order"] else None,
        "response": response,
        "shown_at": int(fields["shown_at"]),
    }


def practise(app, meter, people, answers_each):
    for i in range(people):
        client = app.test_client()
        page = expect(client.get("/login"), 200).get_data(as_text=True)
        form = {"username": f"path{i:05d}", "password": PASSWORD, "csrf_token": CSRF_FIELD.search(page).group(1)}
        expect(client.post("/login", data=form), 302)
        expect(meter.run("GET /practice", lambda c=client: c.get("/practice")), 200)
        for _ in range(answers_each):
            page = expect(
                meter.run(
                    "GET practice question", lambda c=client: c.get("/practice/question?source=bank&mode=random")
                ),
                200,
            ).get_data(as_text=True)
            body = practice_answer(page)
            csrf = DATA_CSRF.search(page).group(1)
            reply = expect(
                meter.run(
                    "POST practice answer",
                    lambda c=client, b=body, t=csrf: c.post(
                        "/practice/answer",
                        data=json.dumps(b),
                        headers={"Content-Type": "application/json", "X-CSRFToken": t, "Accept": "application/json"},
                    ),
                ),
                200,
            ).get_json()
            if reply.get("status") != "answered":
                raise SystemExit(f"practice answer refused: {reply}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_practice")
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--saves", type=int, default=5, help="exam answer saves per person")
    parser.add_argument("--answers", type=int, default=5, help="practice answers per person")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of each kind's first request")
    parser.add_argument(
        "--profile", metavar="KIND", help='cProfile the requests of one kind, e.g. "POST practice answer"'
    )
    args = parser.parse_args()
    app, database, _throttle = bench_app(args.database_url, "practice-bench")
    started = time.perf_counter()
    exam_id, _tickets = prepare(app, args.people)
    print(f"prepared {args.people} people in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        meter = Meter(db.engine, database, args.show_sql, args.profile)
    mix = play(app, meter, exam_id, args.people, args.saves)  # every login with its own password
    print("authentication mix: " + ", ".join(f"{kind} {count}" for kind, count in mix.items()))
    practise(app, meter, args.people, args.answers)
    figures = meter.summary()
    kinds = ("POST save", "GET /practice", "GET practice question", "POST practice answer")
    print(
        f"{'request':<22} {'n':>6} {'SQL/req':>8} {'max':>5} {'CPU ms':>8} {'DB CPU ms':>10} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for kind in kinds:
        f = figures[kind]
        print(
            f"{kind:<22} {f['requests']:>6} {f['statements']:>8.1f} {f['statements_max']:>5} {f['cpu_ms']:>8.2f} "
            f"{f['db_cpu_ms']:>10.2f} {f['wall_p50_ms']:>8.2f} {f['wall_p95_ms']:>8.2f}"
        )
    ratio = figures["POST practice answer"]["cpu_ms"] / figures["POST save"]["cpu_ms"]
    print(f"app CPU of a practice answer / an exam save: {ratio:.2f}")
    if meter.profiler:
        import pstats

        print(f"\ncProfile of {args.profile!r} (CPU figures above include the profiler's overhead):")
        pstats.Stats(meter.profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"people": args.people, "paths": {k: figures[k] for k in kinds}, "ratio": ratio}, indent=1),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
