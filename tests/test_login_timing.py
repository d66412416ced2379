"""A failed login costs the same whatever the account: no username enumeration by timing."""

import statistics
import time

from sqlalchemy import select

from examapp.auth.models import User
from examapp.auth.passwords import hash_generated_password
from examapp.exams.models import RosterEntry
from examapp.exams.paperwork import issue_ticket_codes
from examapp.extensions import db

from . import exam_factories
from .conftest import csrf_token

TRIES = 7


def test_a_failed_login_costs_the_same_for_every_kind_of_account(app, client, make, world):
    generated = make.user("examinee", world.communities["a"], username="fresh", must_change=True)
    with app.app_context():
        db.session.get(User, generated.id).password_hash = hash_generated_password("Gener8tedPw")
        db.session.commit()
        # a ticket number with a wrong 登录码 (codes exist for this exam) is checked as a password
        exam = exam_factories.exam(world, publish=True)
        entry = db.session.scalar(select(RosterEntry).filter_by(exam_id=exam.id, user_id=generated.id))
        issue_ticket_codes(None, [entry])
        number = entry.ticket_number
        db.session.commit()
    cases = {
        "unknown": ("nobody-by-this-name", "Wrong-pass-1"),
        "generated": ("fresh", "Wrong-pass-1"),
        "argon2id": ("kaosheng", "Wrong-pass-1"),
        "ticket number, wrong code": (number, "ABCD-EFGH-JKMN"),
    }
    token = csrf_token(client, "/login")

    def fail(credentials):
        username, password = credentials
        app.extensions["login_throttle"].reset()  # the throttle's 429 answers without any check
        started = time.perf_counter()
        response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 401
        return elapsed

    fail(("warm-up", "Wrong-pass-1"))  # the first request pays for templates and the dummy hash
    times = {case: [] for case in cases}
    for i in range(TRIES):  # interleaved, so the shared machine's noise falls on every case alike
        order = list(cases)[i % len(cases) :] + list(cases)[: i % len(cases)]
        for case in order:
            times[case].append(fail(cases[case]))
    medians = {case: statistics.median(values) for case, values in times.items()}
    print("failed-login medians (ms):", {case: round(ms, 1) for case, ms in medians.items()})
    fastest, slowest = min(medians.values()), max(medians.values())
    # Today's gap: the generated password's PBKDF2 check is under 1 ms, argon2id's about 16 ms
    # at the default settings; padded, the cases differ by noise only.
    assert slowest - fastest < slowest / 3, medians
