"""The examinee's routes: saving with sequence numbers, time limits, ownership, and the closed book."""

import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from examapp.auth.models import User
from examapp.bank.models import QuestionVersion
from examapp.exams.models import Exam, ReleaseMode
from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptEvent, AttemptItem, AttemptState, LateDelivery
from examapp.sitting.page import last_page_client
from examapp.sitting.saving import paper_rules, paper_rules_for
from examapp.sitting.services import start_attempt

from . import exam_factories as factories
from .conftest import csrf_token, login


@pytest.fixture(params=["first save", "page known", "lean", "lean first save"])
def sitting(request, app, world, clock):
    """A published exam, kaosheng logged in with the attempt page open; returns a small driver.

    Every test runs four times: as the page's first save in this process (the full path, which
    reads the paper), with the page's paper already known (the one-statement path of the app's
    save view), and as the page sends it, with its token in the X-Exam-Page header (the lean path
    before the app, examapp/sitting/lean.py, which hands anything it does not take to the app),
    with the paper known or learned by the lean path itself."""
    known = request.param in ("page known", "lean")
    return start_sitting(app, world, known=known, lean=request.param.startswith("lean"))


def start_sitting(app, world, known=False, lean=False):
    """kaosheng logged in, an exam started and its attempt page open: the driver below."""
    with app.app_context():
        exam = factories.exam(world, publish=True, grace_seconds=60, release_mode=ReleaseMode.AFTER_CLOSE)
        db.session.commit()
        exam_id = exam.id
    client = app.test_client()
    login(client, "kaosheng")
    token = csrf_token(client, f"/exam/{exam_id}")
    response = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "pledge": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return Sitting(app, client, attempt_id, exam_id, known=known, lean=lean)


class Sitting:
    def __init__(self, app, client, attempt_id, exam_id, known=False, lean=False):
        self.app, self.client, self.attempt_id, self.exam_id = app, client, attempt_id, exam_id
        self.known, self.lean = known, lean
        self.device = None  # the browser's device id the page sends with its saves, if any
        self.open_page()

    def open_page(self):
        page = self.client.get(f"/attempt/{self.attempt_id}")
        self.html = page.get_data(as_text=True)
        self.token = re.search(r'data-token="([^"]+)"', self.html).group(1)
        self.csrf = re.search(r'data-csrf="([^"]+)"', self.html).group(1)
        if self.known:
            self.remember_paper()
        return page

    def remember_paper(self):
        """What a first save does besides saving: this process learns the page's paper."""
        with self.app.app_context():
            attempt = db.session.get(Attempt, self.attempt_id)
            paper_rules_for(attempt, self.token)
            # ... and the client it saves from: the one that opened it
            paper_rules.remember_client(self.attempt_id, self.token, last_page_client(attempt))
            assert paper_rules.get(self.attempt_id, self.token)

    def post(self, path, payload, client=None):
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf, "Accept": "application/json"}
        if self.lean:
            headers["X-Exam-Page"] = self.token  # as the page sends every request
        return (client or self.client).post(
            f"/attempt/{self.attempt_id}/{path}", data=json.dumps(payload), headers=headers
        )

    def save(self, *saves, token=None):
        payload = {"token": token or self.token, "saves": list(saves)}
        if self.device is not None:
            payload["device"] = self.device
        return self.post("save", payload)

    def item(self, position):
        with self.app.app_context():
            return db.session.scalar(
                select(AttemptItem).where(AttemptItem.attempt_id == self.attempt_id, AttemptItem.position == position)
            )

    def attempt(self):
        with self.app.app_context():
            return db.session.get(Attempt, self.attempt_id)

    def first(self, qtype):
        """(position, version) of the first question of a type."""
        with self.app.app_context():
            row = db.session.execute(
                select(AttemptItem.position, QuestionVersion)
                .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
                .where(AttemptItem.attempt_id == self.attempt_id, QuestionVersion.qtype == qtype)
                .order_by(AttemptItem.position)
            ).first()
            return row[0], row[1]


# --- saving ------------------------------------------------------------------------------


def test_save_is_stored_and_answered_only_after_commit(sitting):
    response = sitting.save({"seq": 1, "position": 1, "response": "B", "flagged": True})
    assert response.status_code == 200
    assert response.json["status"] == "saved" and response.json["acked"] == [1]
    item = sitting.item(1)
    assert item.response == "B" and item.flagged and item.response_seq == 1
    assert sitting.attempt().last_saved_at is not None
    sitting.open_page()  # a new page numbers its saves after the newest one stored
    assert 'data-last-seq="1"' in sitting.html


def test_each_item_keeps_its_first_answer_time_and_counts_its_saves(sitting, clock):
    answered = clock.now()
    assert sitting.save({"seq": 1, "position": 1, "response": "B"}).json["acked"] == [1]
    item = sitting.item(1)
    assert item.first_answered_at == item.answered_at == answered and item.save_count == 1
    clock.advance(seconds=95)
    assert sitting.save({"seq": 2, "position": 1, "response": "C"}).json["acked"] == [2]
    item = sitting.item(1)
    assert item.first_answered_at == answered and item.answered_at == clock.now() and item.save_count == 2
    # a stale save writes nothing, not even the count
    assert sitting.save({"seq": 1, "position": 1, "response": "D"}).json["stale"] == [1]
    assert sitting.item(1).save_count == 2
    # clearing an answer keeps when it was first given
    clock.advance(seconds=5)
    assert sitting.save({"seq": 3, "position": 1, "response": ""}).json["acked"] == [3]
    item = sitting.item(1)
    assert item.response is None and item.first_answered_at == answered and item.save_count == 3
    # flagging a question before answering it is a save, not an answer
    assert sitting.save({"seq": 4, "position": 2, "response": None, "flagged": True}).json["acked"] == [4]
    assert (sitting.item(2).first_answered_at, sitting.item(2).save_count) == (None, 1)
    # the untouched questions have neither
    assert sitting.item(3).first_answered_at is None and sitting.item(3).save_count == 0


@pytest.mark.parametrize("age_ms", [4_000, 90_000])
def test_an_answer_keeps_the_time_it_was_given_not_when_it_arrived(sitting, clock, age_ms):
    clock.advance(minutes=5)  # a minute and a half after the start would still be after it
    saved = sitting.save({"seq": 1, "position": 1, "response": "A", "age_ms": age_ms})
    assert saved.json["acked"] == [1]
    given = clock.now() - timedelta(milliseconds=age_ms)
    assert sitting.item(1).first_answered_at == sitting.item(1).answered_at == given


def test_queued_answers_sent_together_keep_their_own_times_but_never_before_the_start(sitting, clock):
    started = sitting.attempt().started_at
    clock.advance(minutes=3)
    saves = [
        {"seq": 1, "position": 1, "response": "A", "age_ms": 150_000},
        {"seq": 2, "position": 2, "response": "B", "age_ms": 20_000},
        {"seq": 3, "position": 3, "response": "C", "age_ms": 3_600_000},  # a page claiming an hour ago
        {"seq": 4, "position": 4, "response": "D", "age_ms": "soon"},  # no usable age: now
    ]
    assert sitting.save(*saves).json["acked"] == [1, 2, 3, 4]
    now = clock.now()
    firsts = [sitting.item(p).first_answered_at for p in (1, 2, 3, 4)]
    assert firsts == [now - timedelta(seconds=150), now - timedelta(seconds=20), started, now]


def test_answers_sent_with_the_submit_are_timed_like_any_other(sitting, clock):
    position, version = sitting.first("single")
    clock.advance(minutes=2)
    payload = {
        "token": sitting.token,
        "saves": [{"seq": 1, "position": position, "response": version.answer, "age_ms": 7_000}],
    }
    assert sitting.post("submit", payload).json["status"] == "submitted"
    item = sitting.item(position)
    assert item.first_answered_at == clock.now() - timedelta(seconds=7) and item.save_count == 1


def test_stale_and_replayed_saves_never_overwrite_newer_ones(sitting):
    assert sitting.save({"seq": 5, "position": 1, "response": "C"}).json["acked"] == [5]
    stale = sitting.save({"seq": 3, "position": 1, "response": "A"})
    assert stale.status_code == 200 and stale.json["stale"] == [3]
    replay = sitting.save({"seq": 5, "position": 1, "response": "D"})
    assert replay.json["stale"] == [5]
    assert sitting.item(1).response == "C"
    # an older save for another question is not lost because a newer one arrived first
    assert sitting.save({"seq": 4, "position": 2, "response": "A"}).json["acked"] == [4]
    assert sitting.item(2).response == "A"
    sitting.open_page()
    assert 'data-last-seq="5"' in sitting.html


def test_a_queue_sent_in_one_request_is_applied_in_order(sitting):
    response = sitting.save(
        {"seq": 1, "position": 1, "response": "A"},
        {"seq": 2, "position": 2, "response": "B"},
        {"seq": 3, "position": 1, "response": "D"},
    )
    assert response.json["acked"] == [1, 2, 3]
    assert sitting.item(1).response == "D" and sitting.item(2).response == "B"


def _put_a_blank_question_on_the_paper(sitting):
    """The factories' bank has no 填空: make position 1 one (before the page learns its paper)."""
    from examapp.bank.content import QType

    from . import bank_factories

    with sitting.app.app_context():
        question = bank_factories.question(
            status="published",
            qtype=QType.BLANK,
            stem="失业保险金的标准不得低于____，不得高于____。",
            options=[],
            answer=[["城市居民最低生活保障标准"], ["最低工资标准"]],
        )
        item = db.session.scalar(
            select(AttemptItem).where(AttemptItem.attempt_id == sitting.attempt_id, AttemptItem.position == 1)
        )
        item.question_version_id, item.option_order = question.current_version_id, None
        db.session.commit()
    sitting.open_page()


@pytest.mark.parametrize("qtype", ["single", "multiple", "judge", "blank"])
def test_an_answer_of_every_type_is_saved(sitting, qtype):
    if qtype == "blank":
        _put_a_blank_question_on_the_paper(sitting)
    position, version = sitting.first(qtype)
    response = {"single": "A", "multiple": "AB", "judge": "F", "blank": ["甲"] * len(version.answer)}[qtype]
    for seq in (1, 2):  # the page's first save, then one from a page this process knows
        saved = sitting.save({"seq": seq, "position": position, "response": response})
        assert saved.status_code == 200 and saved.json["acked"] == [seq], saved.json
    assert sitting.item(position).response == response and sitting.item(position).response_seq == 2


@pytest.mark.parametrize(
    "qtype, response",
    [("single", "Z"), ("single", "AB"), ("multiple", "AA"), ("judge", "maybe"), ("single", 7), ("multiple", ["A"])],
)
def test_malformed_answers_are_refused_with_a_reason_and_change_nothing(sitting, qtype, response):
    position, _ = sitting.first(qtype)
    refused = sitting.save({"seq": 1, "position": position, "response": response})
    assert refused.status_code == 400 and "无效" in refused.json["error"]
    assert sitting.item(position).response is None and sitting.item(position).response_seq == 0


@pytest.mark.parametrize(
    "payload", [{"seq": 0, "position": 1}, {"seq": 1, "position": 999}, {"seq": True, "position": 1}]
)
def test_bad_sequence_or_position_is_refused(sitting, payload):
    assert sitting.save(payload).status_code == 400


def _statements_of_a_save(sitting, seq, position):
    with count_queries(sitting.app) as statements:
        assert sitting.save({"seq": seq, "position": position, "response": "A"}).json["acked"] == [seq]
    return [
        s.split()[0] + " " + s.split()[1]
        for s in statements
        if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


@pytest.mark.parametrize("sitting", ["page known"], indirect=True)
def test_a_save_from_a_known_page_is_one_statement(sitting):
    # the session's user, then the conditional UPDATE (and, once in a while, the attempt's "last save")
    first = _statements_of_a_save(sitting, 1, 1)
    assert first == ["SELECT users.id,", "UPDATE attempt_items", "UPDATE attempts"]
    assert _statements_of_a_save(sitting, 2, 2) == ["SELECT users.id,", "UPDATE attempt_items"]
    assert sitting.item(1).response == "A" and sitting.item(2).response_seq == 2


@pytest.mark.parametrize("sitting", ["first save"], indirect=True)
def test_saves_that_carry_a_device_id_stay_one_statement(sitting):
    """The page's device id is compared in memory: once the first save taught this process the
    page's client (address, browser, device), the common save is the one UPDATE again."""
    sitting.device = "d" * 32
    assert sitting.post("hello", {"token": sitting.token, "tab": "t" * 32, "device": sitting.device}).status_code == 200
    assert sitting.save({"seq": 1, "position": 1, "response": "A"}).json["acked"] == [1]
    assert paper_rules.client(sitting.attempt_id, sitting.token)[2] == sitting.device
    assert _statements_of_a_save(sitting, 2, 2) == ["SELECT users.id,", "UPDATE attempt_items"]
    assert _statements_of_a_save(sitting, 3, 1) == ["SELECT users.id,", "UPDATE attempt_items"]


@pytest.mark.parametrize("sitting", ["first save"], indirect=True)
def test_the_first_save_of_a_page_teaches_this_process_its_paper(sitting):
    assert paper_rules.get(sitting.attempt_id, sitting.token) is None
    sitting.save({"seq": 1, "position": 1, "response": "A"})
    rules = paper_rules.get(sitting.attempt_id, sitting.token)
    with sitting.app.app_context():
        qtypes = dict(
            db.session.execute(
                select(AttemptItem.position, QuestionVersion.qtype)
                .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
                .where(AttemptItem.attempt_id == sitting.attempt_id)
            ).all()
        )
    assert {position: rule.qtype for position, rule in rules.items()} == qtypes


@pytest.mark.parametrize("how", ["submitted", "voided"])
def test_saves_to_a_closed_attempt_are_refused(app, sitting, how):
    from examapp.sitting.services import submit_attempt, void_attempt

    with app.app_context():
        attempt = db.session.get(Attempt, sitting.attempt_id)
        if how == "submitted":
            submit_attempt(attempt, "examinee")
        else:
            admin = db.session.scalar(select(User).where(User.username == "admin"))
            void_attempt(admin, attempt, "替考")
        db.session.commit()
    refused = sitting.save({"seq": 1, "position": 1, "response": "A"})
    assert refused.status_code == 409 and refused.json["reason"] == "closed"
    assert sitting.item(1).response is None and sitting.item(1).response_seq == 0


def test_save_without_csrf_header_is_refused(sitting):
    response = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/save", json={"token": sitting.token, "saves": [{"seq": 1, "position": 1}]}
    )
    assert response.status_code == 400
    assert sitting.item(1).response_seq == 0


# --- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, age_ms, outcome",
    [
        (timedelta(seconds=-1), 0, "stored"),  # deadline - 1 s
        (timedelta(seconds=1), 2000, "stored"),  # deadline + 1 s, given 1 s before it
        (timedelta(seconds=1), 0, "after_deadline"),  # deadline + 1 s, given after it
        (timedelta(seconds=59), 60_000, "stored"),  # delivered inside the grace, given before the deadline
        (timedelta(seconds=59), 0, "after_deadline"),
        (timedelta(seconds=61), 62_000, "late"),  # deadline + grace + 1 s: kept for review
        (timedelta(seconds=61), 0, "after_deadline_closed"),
    ],
)
def test_saves_around_the_deadline_and_grace(sitting, clock, offset, age_ms, outcome):
    with sitting.app.app_context():
        # the page was in contact long before: its answers' times are its own account
        db.session.get(Attempt, sitting.attempt_id).last_saved_at = None
        db.session.commit()
    clock.set(sitting.attempt().deadline_at + offset)
    response = sitting.save({"seq": 1, "position": 1, "response": "A", "age_ms": age_ms})
    if outcome == "stored":
        assert response.status_code == 200 and response.json["acked"] == [1] and sitting.item(1).response == "A"
        assert sitting.item(1).answered_at <= sitting.attempt().deadline_at
    elif outcome == "after_deadline":
        assert response.status_code == 409 and response.json["reason"] == "after_deadline"
        assert response.json["refused"][0]["seq"] == 1 and "考试时间结束后" in response.json["error"]
        assert sitting.item(1).response is None and sitting.attempt().state == AttemptState.IN_PROGRESS
    else:
        assert response.status_code == 409 and response.json["reason"] == "closed"
        assert sitting.item(1).response is None
        assert sitting.attempt().state == AttemptState.SUBMITTED  # closed on this touch
        assert sitting.attempt().submitted_at == sitting.attempt().deadline_at
        with sitting.app.app_context():
            late = db.session.scalars(select(LateDelivery).where(LateDelivery.attempt_id == sitting.attempt_id)).all()
        if outcome == "late":
            assert response.json["late"] == [1] and "已提交监考人员审核" in response.json["error"]
            assert [(d.position, d.response, d.status) for d in late] == [(1, "A", "pending")]
        else:
            assert response.json["late"] == [] and response.json["refused"][0]["reason"] == "after_deadline"
            assert late == []


def test_state_reports_server_seconds_left(sitting, clock):
    clock.advance(minutes=10)
    state = sitting.client.get(f"/attempt/{sitting.attempt_id}/state?token={sitting.token}").json
    assert state["state"] == "in_progress" and state["seconds_left"] == 50 * 60 and state["taken_over"] is False


def test_reload_keeps_paper_answers_and_remaining_time(sitting, clock):
    position, _ = sitting.first("single")
    sitting.save({"seq": 1, "position": position, "response": "C"})
    before = [(i.position, i.question_version_id) for i in [sitting.item(p) for p in range(1, 10)]]
    clock.advance(minutes=7)
    sitting.open_page()
    after = [(i.position, i.question_version_id) for i in [sitting.item(p) for p in range(1, 10)]]
    assert before == after
    assert 'data-seconds="3180"' in sitting.html
    section = sitting.html.split(f'id="q{position}"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'value="C"\s+checked', section)


# --- one live page -----------------------------------------------------------------------------


def test_opening_the_attempt_elsewhere_takes_over(app, sitting):
    old_token = sitting.token
    other = app.test_client()
    login(other, "kaosheng")
    other.get(f"/attempt/{sitting.attempt_id}")
    refused = sitting.save({"seq": 1, "position": 1, "response": "A"}, token=old_token)
    assert refused.status_code == 409 and refused.json["reason"] == "taken_over"
    state = sitting.client.get(f"/attempt/{sitting.attempt_id}/state?token={old_token}").json
    assert state["taken_over"] is True
    with app.app_context():
        kinds = db.session.scalars(
            select(AttemptEvent.kind).where(AttemptEvent.attempt_id == sitting.attempt_id).order_by(AttemptEvent.id)
        ).all()
        assert kinds.count("takeover") == 0  # the same browser and address: a reload, not a takeover
    elsewhere = app.test_client()
    login(elsewhere, "kaosheng")
    elsewhere.get(f"/attempt/{sitting.attempt_id}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    with app.app_context():
        kinds = db.session.scalars(
            select(AttemptEvent.kind).where(AttemptEvent.attempt_id == sitting.attempt_id).order_by(AttemptEvent.id)
        ).all()
        assert kinds == ["opened", "reopened", "takeover"]


def _kinds(app, attempt_id):
    with app.app_context():
        return db.session.scalars(
            select(AttemptEvent.kind).where(AttemptEvent.attempt_id == attempt_id).order_by(AttemptEvent.id)
        ).all()


def test_saves_from_another_address_are_recorded_once_per_change(app, sitting):
    """The integrity signal: a page whose saves come from another address or browser than the one
    it was opened from gets an "address_changed" event at each change, and nothing otherwise."""
    assert sitting.save({"seq": 1, "position": 1, "response": "A"}).status_code == 200
    assert "address_changed" not in _kinds(app, sitting.attempt_id)

    def save_from(address, seq):
        response = sitting.client.post(
            f"/attempt/{sitting.attempt_id}/save",
            data=json.dumps({"token": sitting.token, "saves": [{"seq": seq, "position": 1, "response": "B"}]}),
            headers={"Content-Type": "application/json", "X-CSRFToken": sitting.csrf, "Accept": "application/json"},
            environ_base={"REMOTE_ADDR": address},
        )
        assert response.status_code == 200 and response.json["acked"] == [seq]

    save_from("10.1.1.9", 2)
    save_from("10.1.1.9", 3)  # the same new address again: already known
    save_from("127.0.0.1", 4)  # and back
    with app.app_context():
        changes = db.session.execute(
            select(AttemptEvent.client_address, AttemptEvent.detail)
            .where(AttemptEvent.attempt_id == sitting.attempt_id, AttemptEvent.kind == "address_changed")
            .order_by(AttemptEvent.id)
        ).all()
    assert [(address, detail["from"]) for address, detail in changes] == [
        ("10.1.1.9", "127.0.0.1"),
        ("127.0.0.1", "10.1.1.9"),
    ]


# --- departures and submitting ------------------------------------------------------------------


def test_departures_are_counted_and_the_limit_submits(app, sitting):
    with app.app_context():
        db.session.get(Exam, sitting.exam_id).departure_limit = 2
        db.session.commit()
    first = sitting.post("event", {"token": sitting.token, "kind": "departure", "detail": {"how": "blur"}})
    assert first.json["departures"] == 1 and first.json["submitted"] is False
    assert sitting.post("event", {"token": sitting.token, "kind": "copy"}).json["departures"] == 1
    second = sitting.post("event", {"token": sitting.token, "kind": "departure", "detail": {"how": "hidden"}})
    assert second.json["submitted"] is True and second.json["result_url"].endswith("/result")
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.SUBMITTED and attempt.submit_reason == "departures"
    assert sitting.post("event", {"token": sitting.token, "kind": "bogus"}).status_code == 409


def test_unknown_event_kind_is_refused(sitting):
    assert sitting.post("event", {"token": sitting.token, "kind": "bogus"}).status_code == 400


def test_submit_with_last_saves_grades_once(sitting):
    position, version = sitting.first("single")
    payload = {"token": sitting.token, "saves": [{"seq": 1, "position": position, "response": version.answer}]}
    first = sitting.post("submit", payload)
    again = sitting.post("submit", payload)
    assert first.json["status"] == again.json["status"] == "submitted"
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.SUBMITTED and attempt.score > 0
    with app_context(sitting.app):
        assert (
            db.session.scalar(select(func.count()).select_from(AttemptEvent).where(AttemptEvent.kind == "submitted"))
            == 1
        )


def test_form_submit_without_javascript(sitting):
    page = sitting.client.get(f"/attempt/{sitting.attempt_id}/submit").get_data(as_text=True)
    assert "还有 9 道题未作答" in page
    response = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/submit",
        data={
            "csrf_token": csrf_token(sitting.client, f"/attempt/{sitting.attempt_id}/submit"),
            "token": sitting.token,
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    assert sitting.attempt().state == AttemptState.SUBMITTED


@contextmanager
def app_context(app):
    with app.app_context():
        yield


# --- ownership -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", ""),
        ("POST", "/save"),
        ("POST", "/event"),
        ("GET", "/state"),
        ("GET", "/submit"),
        ("POST", "/submit"),
        ("GET", "/result"),
    ],
)
def test_someone_elses_attempt_is_refused_on_every_route(app, sitting, method, path):
    intruder = app.test_client()
    login(intruder, "kaosheng2")
    url = f"/attempt/{sitting.attempt_id}{path}"
    if method == "GET":
        response = intruder.get(url)
    else:
        response = intruder.post(
            url,
            data=json.dumps({"token": sitting.token, "saves": [{"seq": 1, "position": 1, "response": "A"}]}),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf_token(intruder, "/")},
        )
    assert response.status_code == 403
    assert sitting.item(1).response is None and sitting.attempt().state == AttemptState.IN_PROGRESS


def test_admins_cannot_use_the_examinee_routes(app, sitting):
    admin = app.test_client()
    login(admin, "admin")
    assert admin.get(f"/attempt/{sitting.attempt_id}").status_code == 403


# --- the closed book ---------------------------------------------------------------------------------


def _secrets(app, attempt_id):
    """Every answer key, explanation and source of this attempt's paper."""
    with app.app_context():
        versions = db.session.scalars(
            select(QuestionVersion)
            .join(AttemptItem, AttemptItem.question_version_id == QuestionVersion.id)
            .where(AttemptItem.attempt_id == attempt_id)
        ).all()
        return [(v.explanation, v.source, v.answer) for v in versions]


def test_nothing_before_release_reveals_answers_or_scores(app, sitting):
    secrets = _secrets(app, sitting.attempt_id)
    bodies = [
        sitting.html,
        sitting.client.get(f"/attempt/{sitting.attempt_id}/state?token={sitting.token}").get_data(as_text=True),
        sitting.save({"seq": 1, "position": 1, "response": "A"}).get_data(as_text=True),
        sitting.client.get(f"/attempt/{sitting.attempt_id}/submit").get_data(as_text=True),
    ]
    for body in bodies:
        for explanation, source, _answer in secrets:
            assert explanation not in body and source not in body
        for word in ("answer-key", "正确答案", "awarded", "score", "解析"):
            assert word not in body
    sitting.post("submit", {"token": sitting.token})
    result = sitting.client.get(f"/attempt/{sitting.attempt_id}/result").get_data(as_text=True)
    assert "成绩将在考试结束" in result and 'data-testid="score"' not in result
    assert not any(explanation in result for explanation, _s, _a in secrets)


def test_score_and_review_after_the_window_closes(app, sitting, clock):
    sitting.post("submit", {"token": sitting.token})
    with app.app_context():
        closes = db.session.get(Exam, sitting.exam_id).closes_at
    clock.set(closes + timedelta(seconds=1))
    result = sitting.client.get(f"/attempt/{sitting.attempt_id}/result").get_data(as_text=True)
    assert 'data-testid="score"' in result and 'data-testid="answer-key"' in result
    explanation, source, _ = _secrets(app, sitting.attempt_id)[0]
    assert source in result


def test_release_on_submit_shows_the_score_at_once(app, sitting):
    with app.app_context():
        db.session.get(Exam, sitting.exam_id).release_mode = ReleaseMode.ON_SUBMIT
        db.session.commit()
    sitting.post("submit", {"token": sitting.token})
    result = sitting.client.get(f"/attempt/{sitting.attempt_id}/result").get_data(as_text=True)
    assert 'data-testid="score"' in result and 'data-testid="answer-key"' not in result  # review waits for the close


# --- the lobby and the start page ---------------------------------------------------------------------


def test_lobby_lists_open_upcoming_and_done(app, world, client, clock):
    with app.app_context():
        category = factories.small_bank()
        factories.exam(world, publish=True, category=category, title="正在进行的考试")
        now = clock.now()
        factories.exam(
            world,
            publish=True,
            category=category,
            title="下周的考试",
            opens_at=now + timedelta(days=7),
            closes_at=now + timedelta(days=7, hours=2),
        )
        factories.exam(world, category=category, title="草稿考试")
        db.session.commit()
    login(client, "kaosheng")
    page = client.get("/").get_data(as_text=True)
    open_part = page.split('data-testid="lobby-open"', 1)[1].split("</div>\n  {% endif %}", 1)[0]
    assert "正在进行的考试" in open_part and "进入考试" in open_part
    assert "下周的考试" in page.split('data-testid="lobby-upcoming"', 1)[1]
    assert "草稿考试" not in page


def test_start_needs_the_pledge_and_the_access_code(app, world, client):
    with app.app_context():
        exam = factories.exam(world, publish=True, access_code="ZZ2026")
        db.session.commit()
        exam_id = exam.id
    login(client, "kaosheng")
    token = csrf_token(client, f"/exam/{exam_id}")
    no_pledge = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "access_code": "ZZ2026"})
    assert no_pledge.status_code == 400 and "请先确认闭卷考试承诺" in no_pledge.get_data(as_text=True)
    wrong = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "pledge": "y", "access_code": "nope"})
    assert wrong.status_code == 403 and "考试口令不正确" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    ok = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "pledge": "y", "access_code": "ZZ2026"})
    assert ok.status_code == 302


def test_someone_not_on_the_roster_gets_404(app, world, make, client):
    with app.app_context():
        exam = factories.exam(world, publish=True, units=[db.session.merge(world.districts["a"])])
        db.session.commit()
        exam_id = exam.id
    login(client, "kaosheng2")
    assert client.get(f"/exam/{exam_id}").status_code == 404


# --- speed: a page of 80 questions makes a bounded number of queries -------------------------------------


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _queries_for_attempt_page(app, world, singles, others, points):
    from examapp.bank.content import QType
    from examapp.exams.services import set_blueprint

    with app.app_context():
        category = factories.small_bank(per_type=singles, category_name=f"分类{singles}")
        rows = [
            {"qtype": QType.SINGLE, "count": singles, "points": points[0]},
            {"qtype": QType.MULTIPLE, "count": others, "points": points[1]},
            {"qtype": QType.JUDGE, "count": others, "points": points[1]},
        ]
        exam = factories.exam(world, category=category)
        set_blueprint(None, exam, [dict(r, category_id=category.id) for r in rows])
        exam.status = "published"
        person = db.session.scalar(select(User).where(User.username == "kaosheng"))
        attempt = start_attempt(exam, person)
        db.session.commit()
        attempt_id, size = attempt.id, len(attempt.items)
    client = app.test_client()
    login(client, "kaosheng")
    with count_queries(app) as statements:
        assert client.get(f"/attempt/{attempt_id}").status_code == 200
    return len(statements), size


def test_attempt_page_queries_do_not_grow_with_the_paper(app, world, clock):
    small, small_size = _queries_for_attempt_page(app, world, 4, 2, ("10", "15"))
    large, large_size = _queries_for_attempt_page(app, world, 40, 20, ("1", "1.5"))
    assert (small_size, large_size) == (8, 80)
    assert large == small, (small, large)
    assert large <= 20
