"""The lean save (examapp/sitting/lean.py): the page's one-answer save answered by its token alone.

What it takes is stored in one statement with no session, user read or CSRF check; everything
else reaches the app's own save view unchanged, which answers as it always did. The refusals of
tests/test_sitting_pages.py run against it too (its "lean" parameter); here are its own edges.
"""

import json

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from examapp.auth.models import User, UserSession
from examapp.extensions import db
from examapp.sitting import lean
from examapp.sitting.models import Attempt, AttemptEvent

from .conftest import csrf_token, login
from .test_sitting_pages import start_sitting


@pytest.fixture
def page(app, world, clock):
    """kaosheng's attempt page, open and known to this process, saving as the page does."""
    return start_sitting(app, world, known=True, lean=True)


class Statements:
    """Counts the statements the app runs while it is on."""

    def __init__(self, app):
        self.app, self.count = app, 0

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, _conn, _cursor, statement, *_args):
        # the statements of the work, not the transaction's own (BEGIN, the tests' savepoints)
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            self.count += 1

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


def app_refused(reply):
    """The app's save view refused a request without a session: its CSRF check or its login check."""
    return reply.status_code in (400, 401) and reply.json["reason"] in ("csrf", "login")


def raw_save(app, attempt_id, token, body, *, header=None, cookies_from=None, content_type="application/json"):
    """POST a save as bytes, with the page header and no cookie unless ``cookies_from`` is a client."""
    client = cookies_from or app.test_client()
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if header is not False:
        headers["X-Exam-Page"] = header or token
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(f"/attempt/{attempt_id}/save", data=data, headers=headers)


def one_save(token, seq=1, position=1, response="B", **extra):
    return {"token": token, "saves": [{"seq": seq, "position": position, "response": response, **extra}]}


def test_a_save_with_the_page_token_needs_no_session_and_is_one_statement(app, page):
    with Statements(app) as seen:
        reply = raw_save(app, page.attempt_id, page.token, one_save(page.token))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.json == {"status": "saved", "acked": [1], "stale": [], "late": [], "refused": [], "seconds_left": 3600}
    assert reply.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in reply.headers
    # the item update, and the attempt's last-save time (written at most every 30 s)
    assert seen.count == 2
    assert page.item(1).response == "B" and page.item(1).response_seq == 1
    with Statements(app) as seen:
        assert raw_save(app, page.attempt_id, page.token, one_save(page.token, seq=2, response="C")).status_code == 200
    assert seen.count == 1
    assert page.item(1).response == "C"


def test_the_header_alone_is_not_enough(app, page):
    """A page token in the header must match the body's; a body without the header, or another
    attempt's number, takes the app's path, which needs the session and the CSRF token."""
    other = {"token": "x" * 32, "saves": [{"seq": 1, "position": 1, "response": "B"}]}
    reply = raw_save(app, page.attempt_id, page.token, other, header="x" * 32)
    assert app_refused(reply)  # no session: the app's save view answers
    reply = raw_save(app, page.attempt_id, page.token, one_save(page.token), header="y" * 32)
    assert app_refused(reply)
    reply = raw_save(app, page.attempt_id, page.token, one_save(page.token), header=False)
    assert app_refused(reply)
    reply = raw_save(app, page.attempt_id + 1, page.token, one_save(page.token))
    assert app_refused(reply)
    assert page.item(1).response_seq == 0


def test_a_logged_out_page_saves_nothing(app, page):
    assert raw_save(app, page.attempt_id, page.token, one_save(page.token)).status_code == 200
    page.client.post("/logout", data={"csrf_token": page.csrf})
    reply = raw_save(app, page.attempt_id, page.token, one_save(page.token, seq=2, response="D"))
    assert app_refused(reply)
    assert page.item(1).response == "B"


@pytest.mark.parametrize("ending", ["everywhere", "disabled", "epoch"])
def test_a_page_whose_login_ended_saves_nothing(app, page, ending):
    with app.app_context():
        user = db.session.get(User, page.attempt().user_id)
        if ending == "everywhere":
            db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(id="gone" + "x" * 20))
        elif ending == "disabled":
            user.is_enabled = False
        else:
            user.end_other_sessions()  # a password reset or a role change ends every login
        db.session.commit()
    reply = raw_save(app, page.attempt_id, page.token, one_save(page.token))
    assert app_refused(reply)
    assert page.item(1).response_seq == 0


def test_a_page_taken_over_saves_nothing(app, page):
    old = page.token
    page.open_page()  # another page of the same login opens the attempt
    reply = raw_save(app, page.attempt_id, old, one_save(old), cookies_from=page.client)
    # the app's path: the CSRF check first (the raw request sends none), nothing stored either way
    assert reply.status_code in (400, 409)
    page.lean = True
    reply = page.save({"seq": 1, "position": 1, "response": "B"}, token=old)
    assert reply.status_code == 409 and reply.json["reason"] == "taken_over"
    assert page.item(1).response_seq == 0


def test_after_the_deadline_the_app_decides(app, page, clock):
    clock.advance(minutes=60, seconds=5)  # inside the grace: the app's path refuses or keeps it
    reply = page.save({"seq": 1, "position": 1, "response": "B"})
    assert reply.status_code == 409
    assert reply.json["reason"] == "after_deadline"
    assert page.item(1).response_seq == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"token": "T", "saves": [{"seq": NaN, "position": 1}]}',
        b"[1, 2]",
        b'"a string"',
        b"12",
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_malformed_bodies_are_the_apps_to_refuse(app, page, body):
    body = body.replace(b'"T"', json.dumps(page.token).encode())
    reply = raw_save(app, page.attempt_id, page.token, body, cookies_from=page.client)
    assert 400 <= reply.status_code < 500
    assert page.item(1).response_seq == 0


def test_a_large_body_or_another_type_goes_to_the_app(app, page):
    big = one_save(page.token)
    big["padding"] = "x" * 5000
    assert app_refused(raw_save(app, page.attempt_id, page.token, big))
    form = "token=" + page.token
    reply = raw_save(app, page.attempt_id, page.token, form, content_type="application/x-www-form-urlencoded")
    assert app_refused(reply)
    assert page.item(1).response_seq == 0


def test_wrong_values_are_refused_by_the_app_with_its_reason(app, page):
    for save in (
        {"seq": 1, "position": 1, "response": "Z"},
        {"seq": "1", "position": 1, "response": "B"},
        {"seq": 1, "position": 1, "response": "B", "flagged": "yes"},
        {"seq": 1, "position": 999, "response": "B"},
        {"seq": 2**31, "position": 1, "response": "B"},
    ):
        reply = page.save(save)
        assert reply.status_code == 400, save
        assert reply.json["reason"] == "invalid"
    assert page.item(1).response_seq == 0


def test_a_page_logged_in_again_saves_lean_again(app, page):
    """After the exam page's own login (its session had ended), the page's next save goes the
    app's way, which binds the page to the new login; the saves after it are lean again."""
    page.client.post("/logout", data={"csrf_token": page.csrf})
    assert app_refused(raw_save(app, page.attempt_id, page.token, one_save(page.token)))
    token = page.client.get(f"/attempt/{page.attempt_id}/relogin").json["csrf"]
    reply = page.client.post(
        f"/attempt/{page.attempt_id}/relogin",
        json={"username": "kaosheng", "password": "Passw0rd-test"},
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 200
    page.csrf = reply.json["csrf"]
    assert page.save({"seq": 1, "position": 1, "response": "B"}).json["acked"] == [1]
    with app.app_context():
        attempt = db.session.get(Attempt, page.attempt_id)
        assert attempt.live_session_id is not None
        live = db.session.get(UserSession, attempt.live_session_id)
        assert live is not None and live.user_id == attempt.user_id
    with Statements(app) as seen:
        assert raw_save(app, page.attempt_id, page.token, one_save(page.token, seq=2)).status_code == 200
    assert seen.count <= 2


def test_a_database_failure_is_a_503_the_page_retries(app, page, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OperationalError("UPDATE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(lean, "lean_save", broken)
    reply = raw_save(app, page.attempt_id, page.token, one_save(page.token))
    assert reply.status_code == 503
    assert reply.json["reason"] == "unavailable" and "重试" in reply.json["error"]
    monkeypatch.undo()
    assert raw_save(app, page.attempt_id, page.token, one_save(page.token)).json["acked"] == [1]


def test_the_lean_path_can_be_turned_off(app, world, clock):
    from examapp import create_app

    from .conftest import app_config

    off = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"], LEAN_SAVE=False))
    assert not isinstance(off.wsgi_app, lean.LeanSave)
    assert isinstance(app.wsgi_app, lean.LeanSave)


def test_a_save_without_the_header_still_needs_the_csrf_token(app, page):
    client = app.test_client()
    login(client, "kaosheng")
    csrf_token(client, "/")
    reply = client.post(
        f"/attempt/{page.attempt_id}/save",
        data=json.dumps(one_save(page.token)),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400 and reply.json["reason"] == "csrf"


def test_a_pages_first_save_in_a_process_learns_its_paper_on_the_lean_path(app, world, clock):
    fresh = start_sitting(app, world, known=False, lean=True)
    with Statements(app) as seen:
        reply = raw_save(app, fresh.attempt_id, fresh.token, one_save(fresh.token))
    assert reply.status_code == 200 and reply.json["acked"] == [1]
    # the paper's shape (only if the page may save), where it was opened from, the item, the attempt
    assert seen.count == 4
    with Statements(app) as seen:
        assert raw_save(app, fresh.attempt_id, fresh.token, one_save(fresh.token, seq=2)).json["acked"] == [2]
    assert seen.count == 1


def test_a_first_save_from_elsewhere_goes_to_the_app_which_records_it(app, world, clock):
    fresh = start_sitting(app, world, known=False, lean=True)
    elsewhere = {"User-Agent": "Another browser/1.0"}
    reply = app.test_client().post(
        f"/attempt/{fresh.attempt_id}/save",
        data=json.dumps(one_save(fresh.token)),
        headers={"Content-Type": "application/json", "X-Exam-Page": fresh.token, **elsewhere},
    )
    assert app_refused(reply)  # not the lean path's: the app's, which needs the session
    assert fresh.item(1).response_seq == 0
    reply = fresh.client.post(
        f"/attempt/{fresh.attempt_id}/save",
        data=json.dumps(one_save(fresh.token)),
        headers={
            "Content-Type": "application/json",
            "X-Exam-Page": fresh.token,
            "X-CSRFToken": fresh.csrf,
            **elsewhere,
        },
    )
    assert reply.status_code == 200 and reply.json["acked"] == [1]
    with app.app_context():
        kinds = db.session.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == fresh.attempt_id)).all()
    assert "address_changed" in kinds


def test_a_batch_is_never_learned_by_the_lean_path(app, world, clock):
    fresh = start_sitting(app, world, known=False, lean=True)
    batch = {"token": fresh.token, "saves": [{"seq": 1, "position": 1, "response": "B"}] * 2}
    with Statements(app) as seen:
        assert app_refused(raw_save(app, fresh.attempt_id, fresh.token, batch))
    assert seen.count <= 1  # the app's refusal may read; the lean path read nothing


# --- the hand-in -----------------------------------------------------------------------------


def raw_submit(app, page, body, cookies_from=None):
    client = cookies_from or app.test_client()
    return client.post(
        f"/attempt/{page.attempt_id}/submit",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "Accept": "application/json", "X-Exam-Page": page.token},
    )


@pytest.fixture
def deferred(app):
    app.config["GRADING_MODE"] = "deferred"
    yield
    app.config.pop("GRADING_MODE")


def test_the_hand_in_with_its_last_answer_needs_no_session(app, page, deferred):
    with Statements(app) as seen:
        reply = raw_submit(app, page, one_save(page.token, seq=1, response="B"))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.json == {
        "status": "submitted",
        "acked": [1],
        "stale": [],
        "late": [],
        "refused": [],
        "result_url": f"/attempt/{page.attempt_id}/result",
    }
    # the answer, the attempt's last save, the hand-in, its event: nothing read
    assert seen.count == 4
    attempt = page.attempt()
    assert attempt.state == "grading" and attempt.submit_reason == "examinee" and attempt.score is None
    assert page.item(1).response == "B"
    # a retry is the app's to answer (the attempt is no longer open): still "submitted"
    retry = page.post("submit", {"token": page.token})
    assert retry.status_code == 200 and retry.json["status"] == "submitted"


def test_the_lean_hand_in_is_graded_like_any_other(app, page):
    reply = raw_submit(app, page, {"token": page.token})
    assert reply.json["status"] == "submitted"
    attempt = page.attempt()
    assert attempt.state == "submitted" and attempt.score is not None  # tests grade inline


def test_a_hand_in_the_lean_path_does_not_take_goes_to_the_app(app, page, deferred):
    two = {"token": page.token, "saves": [{"seq": 1, "position": 1, "response": "B"}, {"seq": 2, "position": 2}]}
    assert app_refused(raw_submit(app, page, two))
    # a page whose countdown ran out long before the server's deadline: the app says go on
    assert app_refused(raw_submit(app, page, {"token": page.token, "time_up": True}))
    reply = page.post("submit", {"token": page.token, "time_up": True})
    assert reply.status_code == 200 and reply.json["status"] == "continue"
    assert app_refused(raw_submit(app, page, {"token": page.token, "time_up": "yes"}))
    assert page.attempt().state == "in_progress" and page.item(1).response_seq == 0


def test_time_up_at_the_deadline_is_handed_in_by_the_deadline(app, page, clock, deferred):
    clock.advance(minutes=60, seconds=-3)
    reply = raw_submit(app, page, {"token": page.token, "time_up": True})
    assert reply.status_code == 200 and reply.json["status"] == "submitted"
    assert page.attempt().submit_reason == "deadline"


def test_a_logged_out_page_cannot_hand_in_on_its_token(app, page, deferred):
    page.client.post("/logout", data={"csrf_token": page.csrf})
    assert app_refused(raw_submit(app, page, {"token": page.token}))
    assert page.attempt().state == "in_progress"


def test_a_hand_in_with_a_stale_answer_goes_to_the_app(app, page, deferred):
    assert page.save({"seq": 5, "position": 1, "response": "C"}).json["acked"] == [5]
    assert app_refused(raw_submit(app, page, one_save(page.token, seq=4, response="B")))
    assert page.attempt().state == "in_progress" and page.item(1).response == "C"
