"""No answer dropped, no honest examinee penalised: batches, sessions, the deadline, late deliveries,
tabs and departures, at their edges (the controllable clock decides every time here)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from examapp.auth.models import User
from examapp.exams.models import Exam
from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptEvent, AttemptState, LateDelivery, SubmitReason
from examapp.sitting.services import close_overdue, grant_extra_time

from .conftest import TEST_PASSWORD, csrf_token, login
from .test_sitting_pages import Sitting, start_sitting


@pytest.fixture
def sitting(app, world, clock):
    return start_sitting(app, world)


def _late(app, attempt_id):
    with app.app_context():
        return db.session.scalars(
            select(LateDelivery).where(LateDelivery.attempt_id == attempt_id).order_by(LateDelivery.seq)
        ).all()


def _events(app, attempt_id, kind=None):
    with app.app_context():
        stmt = select(AttemptEvent).where(AttemptEvent.attempt_id == attempt_id).order_by(AttemptEvent.id)
        if kind:
            stmt = stmt.where(AttemptEvent.kind == kind)
        return db.session.scalars(stmt).all()


# --- a batch is taken save by save ------------------------------------------------------------


def test_one_bad_save_in_a_batch_keeps_the_others(sitting):
    single, _ = sitting.first("single")
    judge, _ = sitting.first("judge")
    reply = sitting.save(
        {"seq": 1, "position": single, "response": "A"},
        {"seq": 2, "position": judge, "response": "maybe"},  # no page sends this
        {"seq": 3, "position": 999, "response": "A"},
        {"seq": 4, "position": judge, "response": "T"},
    )
    assert reply.status_code == 200 and reply.json["status"] == "saved"
    assert reply.json["acked"] == [1, 4]
    refused = {r["seq"]: r for r in reply.json["refused"]}
    assert set(refused) == {2, 3}
    assert (
        refused[2]["position"] == judge
        and refused[2]["reason"] == "invalid"
        and f"第 {judge} 题" in refused[2]["error"]
    )
    assert sitting.item(single).response == "A" and sitting.item(judge).response == "T"


def test_a_batch_of_only_bad_saves_is_refused_and_names_each(sitting):
    judge, _ = sitting.first("judge")
    reply = sitting.save({"seq": 1, "position": judge, "response": "maybe"}, "not a save")
    assert reply.status_code == 400 and reply.json["reason"] == "invalid"
    assert [r["seq"] for r in reply.json["refused"]] == [1, None]
    assert sitting.item(judge).response_seq == 0


@pytest.mark.parametrize("flag", ["yes", 1, None])
def test_a_flag_that_is_not_true_or_false_is_refused(sitting, flag):
    reply = sitting.save({"seq": 1, "position": 1, "response": "A", "flagged": flag})
    if flag is None:
        assert reply.status_code == 400  # an explicit null is not a flag either
    else:
        assert reply.status_code == 400 and reply.json["refused"][0]["seq"] == 1
    assert sitting.item(1).response_seq == 0


# --- a session that ended is not a bad answer --------------------------------------------------


def test_a_csrf_failure_names_itself_and_stores_nothing(sitting):
    reply = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/save",
        data=json.dumps({"token": sitting.token, "saves": [{"seq": 1, "position": 1, "response": "A"}]}),
        headers={"Content-Type": "application/json", "X-CSRFToken": "stale-token", "Accept": "application/json"},
    )
    assert reply.status_code == 400 and reply.json["reason"] == "csrf" and "重新登录" in reply.json["error"]
    assert sitting.item(1).response_seq == 0


def test_a_save_after_logging_out_elsewhere_asks_for_a_login(sitting):
    """Logging out (in another tab of the browser) ends the session behind the page's token."""
    sitting.client.post("/logout", data={"csrf_token": csrf_token(sitting.client, "/")})
    reply = sitting.save({"seq": 1, "position": 1, "response": "A"})
    assert reply.status_code == 400 and reply.json["reason"] == "csrf"
    assert sitting.item(1).response_seq == 0


def test_a_save_whose_session_ended_answers_401_not_a_redirect(sitting, app):
    """The session ended on the server (the password changed elsewhere): the page is told to log in."""
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "kaosheng")).end_other_sessions()
        db.session.commit()
    reply = sitting.save({"seq": 1, "position": 1, "response": "A"})
    assert reply.status_code == 401 and reply.json["reason"] == "login"
    assert sitting.item(1).response_seq == 0


def _relogin(sitting, username, password):
    token = sitting.client.get(f"/attempt/{sitting.attempt_id}/relogin").json["csrf"]
    return sitting.client.post(
        f"/attempt/{sitting.attempt_id}/relogin",
        data=json.dumps({"username": username, "password": password}),
        headers={"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
    )


def test_logging_in_again_in_place_lets_the_page_send_its_queue(sitting):
    sitting.client.post("/logout", data={"csrf_token": csrf_token(sitting.client, "/")})
    assert sitting.save({"seq": 1, "position": 1, "response": "A"}).json["reason"] == "csrf"
    wrong = _relogin(sitting, "kaosheng", "not-the-password1")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.json["error"]
    again = _relogin(sitting, "kaosheng", TEST_PASSWORD)
    assert again.status_code == 200 and again.json["csrf"]
    sitting.csrf = again.json["csrf"]
    reply = sitting.save({"seq": 1, "position": 1, "response": "A"})  # the same page, the same live token
    assert reply.status_code == 200 and reply.json["acked"] == [1]
    assert sitting.item(1).response == "A"


def test_the_in_place_login_is_for_the_attempts_owner_only(sitting, app):
    sitting.client.post("/logout", data={"csrf_token": csrf_token(sitting.client, "/")})
    other = _relogin(sitting, "jinshui", TEST_PASSWORD)
    assert other.status_code == 403 and other.json["reason"] == "other_user"
    # and nobody was logged in by it
    assert sitting.client.get("/", headers={"Accept": "application/json"}).status_code == 401


@pytest.mark.parametrize("body", ["[]", '"x"', '{"username": 3, "password": "x"}', "not json"])
def test_a_malformed_in_place_login_is_refused(sitting, body):
    token = sitting.client.get(f"/attempt/{sitting.attempt_id}/relogin").json["csrf"]
    reply = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/relogin",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
    )
    assert reply.status_code == 400 and reply.json["error"]


# --- the deadline: grace for delivering, not for answering ------------------------------------------


def _deadline(sitting):
    return sitting.attempt().deadline_at


def test_a_hand_in_at_or_after_the_deadline_finishes_at_the_deadline(sitting, clock):
    deadline = _deadline(sitting)
    clock.set(deadline + timedelta(seconds=20))
    reply = sitting.post("submit", {"token": sitting.token, "saves": []})
    assert reply.json["status"] == "submitted"
    attempt = sitting.attempt()
    assert attempt.submitted_at == deadline and attempt.submit_reason == SubmitReason.DEADLINE


def test_the_pages_time_up_hand_in_is_recorded_as_time_up(sitting, clock):
    deadline = _deadline(sitting)
    clock.set(deadline - timedelta(seconds=1))  # the page's countdown ran out a moment early
    reply = sitting.post("submit", {"token": sitting.token, "saves": [], "time_up": True})
    assert reply.json["status"] == "submitted"
    attempt = sitting.attempt()
    assert attempt.submit_reason == SubmitReason.DEADLINE and attempt.submitted_at == clock.now()
    assert SubmitReason.LABELS[attempt.submit_reason] == "时间到自动交卷"


def test_a_time_up_hand_in_before_granted_extra_time_goes_on(sitting, clock, app):
    with app.app_context():
        exam = db.session.get(Exam, sitting.exam_id)
        entry = db.session.get(Attempt, sitting.attempt_id).roster_entry
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        grant_extra_time(admin, exam, [entry], 10, "断电")
        db.session.commit()
    clock.set(_deadline(sitting) - timedelta(minutes=10))  # the page had not heard of the 10 minutes
    reply = sitting.post(
        "submit", {"token": sitting.token, "saves": [{"seq": 1, "position": 1, "response": "B"}], "time_up": True}
    )
    assert reply.status_code == 200 and reply.json["status"] == "continue"
    assert reply.json["seconds_left"] == 600 and reply.json["acked"] == [1]
    assert sitting.attempt().state == AttemptState.IN_PROGRESS


def test_an_examinee_hand_in_before_the_deadline_is_the_examinees(sitting, clock):
    clock.advance(minutes=5)
    sitting.post("submit", {"token": sitting.token})
    attempt = sitting.attempt()
    assert attempt.submit_reason == SubmitReason.EXAMINEE and attempt.submitted_at == clock.now()


def test_the_sweep_closes_at_the_deadline(sitting, clock, app):
    deadline = _deadline(sitting)
    clock.set(deadline + timedelta(minutes=5))
    with app.app_context():
        assert close_overdue() == 1
        db.session.commit()
    assert sitting.attempt().submitted_at == deadline


def test_inside_the_grace_a_hand_in_keeps_answers_given_before_the_deadline_only(sitting, clock):
    single, _ = sitting.first("single")
    judge, _ = sitting.first("judge")
    clock.set(_deadline(sitting) + timedelta(seconds=30))
    reply = sitting.post(
        "submit",
        {
            "token": sitting.token,
            "time_up": True,
            "saves": [
                {"seq": 1, "position": single, "response": "B", "age_ms": 31_000},  # given a second before the end
                {"seq": 2, "position": judge, "response": "T", "age_ms": 29_000},  # given a second after it
            ],
        },
    )
    assert reply.json["status"] == "submitted" and reply.json["acked"] == [1]
    assert reply.json["refused"][0]["seq"] == 2 and reply.json["refused"][0]["reason"] == "after_deadline"
    assert sitting.item(single).response == "B" and sitting.item(judge).response is None


def test_an_answer_time_is_never_put_well_before_the_pages_last_save(sitting, clock, app):
    """A page in contact with the server sends its answers then: after the deadline it cannot
    claim that a new answer was given long ago, before the deadline."""
    deadline = _deadline(sitting)
    clock.set(deadline + timedelta(seconds=25))  # in the grace: an answer given 5 s before the end
    assert sitting.save({"seq": 1, "position": 1, "response": "A", "age_ms": 30_000}).json["acked"] == [1]
    clock.set(deadline + timedelta(seconds=40))
    reply = sitting.save({"seq": 2, "position": 2, "response": "A", "age_ms": 600_000})
    assert reply.status_code == 409 and reply.json["reason"] == "after_deadline"
    assert sitting.item(2).response is None


def test_a_page_opened_again_inside_the_grace_may_only_hand_in(sitting, clock):
    clock.set(_deadline(sitting) + timedelta(seconds=10))
    page = sitting.open_page()
    assert page.status_code == 200
    assert 'data-hand-in-only="1"' in sitting.html and "此页面只能交卷" in sitting.html
    assert 'data-seconds="0"' in sitting.html
    question = sitting.html.split('id="q1"', 1)[1].split("</section>", 1)[0]
    assert "disabled" in question


# --- late deliveries ------------------------------------------------------------------------------


def test_answers_delivered_after_the_grace_are_kept_for_review(sitting, clock, app):
    single, _ = sitting.first("single")
    judge, _ = sitting.first("judge")
    deadline = _deadline(sitting)
    clock.set(deadline + timedelta(minutes=3))  # the link came back three minutes after the end
    reply = sitting.post(
        "submit",
        {
            "token": sitting.token,
            "time_up": True,
            "offline_ms": 200_000,
            "online_ms": 1_000,
            "saves": [
                {"seq": 5, "position": single, "response": "C", "age_ms": 190_000},  # 10 s before the end
                {"seq": 6, "position": judge, "response": "F", "age_ms": 60_000},  # two minutes after it
            ],
        },
    )
    assert reply.status_code == 200 and reply.json["status"] == "submitted"
    assert reply.json["late"] == [5] and [r["seq"] for r in reply.json["refused"]] == [6]
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.SUBMITTED and attempt.submitted_at == deadline
    assert sitting.item(single).response is None  # not graded: held for review
    (late,) = _late(app, sitting.attempt_id)
    assert (late.position, late.response, late.status) == (single, "C", "pending")
    assert late.answered_at == deadline - timedelta(seconds=10)
    assert late.offline_at == clock.now() - timedelta(seconds=200) and late.online_at == clock.now() - timedelta(
        seconds=1
    )
    assert late.received_at == clock.now()
    result = sitting.client.get(f"/attempt/{sitting.attempt_id}/result").get_data(as_text=True)
    assert "1 个答案在考试结束后才送达，已提交监考人员审核" in result
    assert [e.kind for e in _events(app, sitting.attempt_id, "late_delivery")] == ["late_delivery"]
    # a retry of the same delivery is kept once
    again = sitting.save({"seq": 5, "position": single, "response": "C", "age_ms": 200_000})
    assert again.status_code == 409 and again.json["reason"] == "closed" and again.json["late"] == [5]
    assert len(_late(app, sitting.attempt_id)) == 1


@pytest.mark.parametrize("who, link", [("admin", True), ("jinshui", False)])
def test_the_monitor_points_to_late_deliveries(sitting, clock, app, who, link):
    clock.set(_deadline(sitting) + timedelta(minutes=3))
    sitting.save({"seq": 1, "position": 1, "response": "A", "age_ms": 200_000})
    viewer = app.test_client()
    login(viewer, who)
    with app.app_context():
        entry_id = db.session.get(Attempt, sitting.attempt_id).roster_entry_id
    page = viewer.get(f"/monitor/{sitting.exam_id}/people/{entry_id}").get_data(as_text=True)
    assert "迟到送达的答案" in page and "1 个待审核" in page
    assert (f"/results/attempts/{sitting.attempt_id}/late" in page) is link


def test_a_late_delivery_older_than_what_the_attempt_holds_is_not_kept(sitting, clock, app):
    assert sitting.save({"seq": 4, "position": 1, "response": "B"}).status_code == 200
    clock.set(_deadline(sitting) + timedelta(minutes=3))
    reply = sitting.save({"seq": 3, "position": 1, "response": "A", "age_ms": 200_000})
    assert reply.status_code == 409 and reply.json["stale"] == [3]
    assert _late(app, sitting.attempt_id) == []


def test_only_the_page_that_held_the_attempt_delivers_late(sitting, clock, app):
    clock.set(_deadline(sitting) + timedelta(minutes=3))
    reply = sitting.save({"seq": 1, "position": 1, "response": "A", "age_ms": 200_000}, token="another-page")
    assert reply.status_code == 409 and reply.json["reason"] == "closed"
    assert _late(app, sitting.attempt_id) == []


def test_an_examinee_hand_in_cuts_off_later_answers(sitting, clock, app):
    clock.advance(minutes=5)
    sitting.post("submit", {"token": sitting.token})
    clock.advance(seconds=30)
    reply = sitting.save({"seq": 1, "position": 1, "response": "A", "age_ms": 1_000})
    assert reply.status_code == 409 and reply.json["refused"][0]["reason"] == "after_deadline"
    assert _late(app, sitting.attempt_id) == []


def test_a_voided_attempt_keeps_nothing(sitting, clock, app):
    from examapp.sitting.services import void_attempt

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        void_attempt(admin, db.session.get(Attempt, sitting.attempt_id), "替考")
        db.session.commit()
    reply = sitting.save({"seq": 1, "position": 1, "response": "A"})
    assert reply.status_code == 409 and reply.json["reason"] == "closed"
    assert _late(app, sitting.attempt_id) == []


# --- a page is its tab ----------------------------------------------------------------------------


def _hello(sitting, tab, token=None):
    return sitting.post("hello", {"token": token or sitting.token, "tab": tab})


def _openings(app, attempt_id):
    return [e.kind for e in _events(app, attempt_id) if e.kind in ("opened", "reopened", "takeover")]


def test_a_reload_in_the_same_tab_is_a_reload(sitting, app):
    assert _hello(sitting, "tab-aaaaaaaa").json["opening"] == "opened"
    sitting.open_page()
    assert _hello(sitting, "tab-aaaaaaaa").json["opening"] == "reopened"
    assert _openings(app, sitting.attempt_id) == ["opened", "reopened"]


def test_another_tab_from_the_same_address_and_browser_is_a_takeover(sitting, app):
    """An exam room: every PC behind one address with the same browser."""
    _hello(sitting, "tab-aaaaaaaa")
    old = sitting.token
    other = app.test_client()
    login(other, "kaosheng")
    other_page = Sitting(app, other, sitting.attempt_id, sitting.exam_id)
    reply = _hello(other_page, "tab-bbbbbbbb")
    assert reply.json["opening"] == "takeover"
    assert _openings(app, sitting.attempt_id) == ["opened", "takeover"]
    refused = sitting.save({"seq": 1, "position": 1, "response": "A"}, token=old)
    assert refused.status_code == 409 and refused.json["reason"] == "taken_over"
    # the old page saying hello again changes nothing
    assert _hello(sitting, "tab-aaaaaaaa", token=old).status_code == 409
    assert _openings(app, sitting.attempt_id) == ["opened", "takeover"]


def test_hello_twice_keeps_the_first_answer(sitting, app):
    _hello(sitting, "tab-aaaaaaaa")
    sitting.open_page()
    assert _hello(sitting, "tab-bbbbbbbb").json["opening"] == "takeover"
    assert _hello(sitting, "tab-cccccccc").json["opening"] == "takeover"
    assert _openings(app, sitting.attempt_id) == ["opened", "takeover"]


@pytest.mark.parametrize("tab", [None, 7, "short", "has spaces in it", "x" * 65, ["tab-aaaaaaaa"]])
def test_a_malformed_tab_is_refused(sitting, tab):
    reply = _hello(sitting, tab)
    assert reply.status_code == 400 and reply.json["error"]


# --- departures -------------------------------------------------------------------------------


def test_a_departure_keeps_its_duration(sitting, app):
    with app.app_context():
        db.session.get(Exam, sitting.exam_id).departure_limit = 3
        db.session.commit()
    assert (
        sitting.post("event", {"token": sitting.token, "kind": "departure", "detail": {"how": "blur"}}).json[
            "departures"
        ]
        == 1
    )
    back = sitting.post("event", {"token": sitting.token, "kind": "return", "detail": {"duration_ms": 12_400}})
    assert back.status_code == 200 and back.json["departures"] == 1
    (departure,) = _events(app, sitting.attempt_id, "departure")
    assert departure.duration_ms == 12_400
    assert _events(app, sitting.attempt_id, "return") == []  # the return is the departure's end, not a row
    # a second return does not rewrite the first departure
    sitting.post("event", {"token": sitting.token, "kind": "return", "detail": {"duration_ms": 99}})
    assert _events(app, sitting.attempt_id, "departure")[0].duration_ms == 12_400


def test_the_monitor_shows_a_departures_duration(sitting, app):
    sitting.post("event", {"token": sitting.token, "kind": "departure", "detail": {"how": "hidden"}})
    sitting.post("event", {"token": sitting.token, "kind": "return", "detail": {"duration_ms": 125_000}})
    admin = app.test_client()
    login(admin, "admin")
    with app.app_context():
        entry_id = db.session.get(Attempt, sitting.attempt_id).roster_entry_id
    page = admin.get(f"/monitor/{sitting.exam_id}/people/{entry_id}").get_data(as_text=True)
    assert "离开考试页面（2 分 05 秒）" in page


@pytest.mark.parametrize("duration", [-1, "soon", None, 10**12])
def test_a_malformed_return_is_refused(sitting, duration):
    sitting.post("event", {"token": sitting.token, "kind": "departure"})
    reply = sitting.post("event", {"token": sitting.token, "kind": "return", "detail": {"duration_ms": duration}})
    assert reply.status_code == 400


# --- bad input: 400 or 409 with a reason, never 5xx -------------------------------------------------


@pytest.mark.parametrize("path", ["save", "event", "submit", "hello"])
@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3", "null", "{", ""])
def test_malformed_bodies_answer_400_with_a_reason(sitting, path, body):
    reply = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/{path}",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRFToken": sitting.csrf, "Accept": "application/json"},
    )
    assert reply.status_code == 400 and reply.json["error"], reply.get_data(as_text=True)
    assert sitting.attempt().state == AttemptState.IN_PROGRESS


@pytest.mark.parametrize(
    "path, payload",
    [
        ("event", {"kind": ["departure"]}),
        ("event", {"kind": {"a": 1}}),
        ("event", {"kind": "copy", "detail": [1]}),
        ("submit", {"saves": "all"}),
        ("submit", {"saves": [], "time_up": "yes"}),
        ("save", {"saves": {"seq": 1}}),
        ("save", {"saves": []}),
        ("save", {"saves": [{"seq": 1, "position": 1}] * 201}),
        ("save", {"saves": [{"seq": 1.5, "position": 1, "response": "A"}]}),
        ("save", {"saves": [{"seq": 1, "position": "1", "response": "A"}]}),
        ("save", {"saves": [{"seq": 2**31, "position": 1, "response": "A"}]}),  # past a 32-bit integer
        ("save", {"saves": [{"seq": 10**30, "position": 1, "response": "A"}]}),
    ],
)
def test_malformed_fields_answer_400_and_change_nothing(sitting, path, payload):
    reply = sitting.post(path, {"token": sitting.token, **payload})
    assert reply.status_code == 400 and reply.json["error"], reply.get_data(as_text=True)
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.departures == 0
    assert sitting.item(1).response_seq == 0


def test_a_hand_in_with_a_bad_save_hands_in_the_rest_and_names_it(sitting):
    reply = sitting.post(
        "submit",
        {
            "token": sitting.token,
            "saves": [
                {"seq": 2**40, "position": 1, "response": "A"},
                {"seq": 2, "position": 2, "response": "B"},
            ],
        },
    )
    assert reply.status_code == 200 and reply.json["status"] == "submitted"
    assert reply.json["acked"] == [2] and reply.json["refused"][0]["reason"] == "invalid"
    assert sitting.item(1).response is None and sitting.item(2).response == "B"
    assert sitting.attempt().state == AttemptState.SUBMITTED


@pytest.mark.parametrize("token", [None, 12, ["x"], {"a": 1}])
def test_a_token_of_the_wrong_type_is_a_page_that_does_not_hold_the_attempt(sitting, token):
    for path, payload in [
        ("save", {"saves": [{"seq": 1, "position": 1, "response": "A"}]}),
        ("event", {"kind": "copy"}),
    ]:
        reply = sitting.post(path, {"token": token, **payload})
        assert reply.status_code == 409 and reply.json["reason"] == "taken_over"


@pytest.mark.parametrize(
    "accept, json_answer",
    [
        ("application/json", True),
        ("text/html,application/xhtml+xml,*/*;q=0.8", False),
        ("image/gif, image/jpeg, application/x-ms-application, */*", False),  # an old IE's navigation
    ],
)
def test_only_a_request_asking_for_json_gets_the_401_the_others_the_login_page(app, world, accept, json_answer):
    reply = app.test_client().get("/staff/", headers={"Accept": accept})
    if json_answer:
        assert reply.status_code == 401 and reply.json["reason"] == "login"
    else:
        assert reply.status_code == 302 and "/login" in reply.headers["Location"]


def test_the_in_place_login_takes_the_exams_login_code(sitting, app):
    """A person who logged in with 准考证号 + 登录码 (and has not set a password of their own yet) logs in
    again on the exam page the same way; a first-login password still waiting to be changed does not."""
    from examapp.exams.models import RosterEntry
    from examapp.exams.paperwork import issue_ticket_codes

    with app.app_context():
        entry = db.session.scalar(
            select(RosterEntry).where(RosterEntry.exam_id == sitting.exam_id, RosterEntry.user.has(username="kaosheng"))
        )
        code, number = issue_ticket_codes(None, [entry])[entry.id], entry.ticket_number
        entry.user.must_change_password = True
        db.session.commit()
    sitting.client.post("/logout", data={"csrf_token": sitting.csrf})
    refused = _relogin(sitting, "kaosheng", TEST_PASSWORD)
    assert refused.status_code == 403 and refused.json["reason"] == "password"
    again = _relogin(sitting, number, code.lower().replace("-", " "))
    assert again.status_code == 200 and again.json["csrf"]
    sitting.csrf = again.json["csrf"]
    reply = sitting.save({"seq": 1, "position": 1, "response": "A"})
    assert reply.status_code == 200 and reply.json["acked"] == [1]
