"""Submit now, grade right after (issue 23, item 4): the hand-in answers before the score exists,
grading follows once, and nothing that needs final scores reads a hand-in still being graded."""

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examapp.auth.models import User
from examapp.errors import DomainError
from examapp.exams.models import Exam, ExamStatus, ReleaseMode
from examapp.exams.services import close_exam
from examapp.extensions import db
from examapp.results.export import people_rows
from examapp.results.scores import live_unit_scores
from examapp.results.services import seal_exam
from examapp.sitting.grading import grade_pending, hand_in, worker
from examapp.sitting.models import Attempt, AttemptEvent, AttemptItem, AttemptState, EventKind, SubmitReason
from examapp.sitting.page import claim_attempt
from examapp.sitting.saving import lean_save, paper_rules_for, quick_save
from examapp.sitting.services import start_attempt

from . import exam_factories as factories
from .test_sitting_pages import start_sitting
from .test_sitting_services import _answer_key_save, _graded_as_stored


@pytest.fixture
def deferred(app, monkeypatch):
    """Nobody grades in the process: the test calls grade_pending itself."""
    monkeypatch.setitem(app.config, "GRADING_MODE", "deferred")


def _submit(sitting, saves=()):
    return sitting.post("submit", {"token": sitting.token, "saves": list(saves)})


def _submitted_events(attempt_id):
    return db.session.scalars(
        select(AttemptEvent).where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind == EventKind.SUBMITTED)
    ).all()


def _grade(app, **kwargs):
    with app.app_context():
        graded = grade_pending(**kwargs)
        db.session.commit()
        return graded


# --- the hand-in answers at once; grading follows once ------------------------------------------


def test_a_hand_in_answers_submitted_before_the_score_exists(app, world, clock, deferred):
    sitting = start_sitting(app, world)
    reply = _submit(sitting, [{"seq": 1, "position": 1, "response": "A"}])
    assert reply.status_code == 200 and reply.json["status"] == "submitted" and reply.json["acked"] == [1]
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.GRADING and attempt.score is None
    assert attempt.submit_reason == SubmitReason.EXAMINEE and attempt.submitted_at is not None
    assert sitting.item(1).response == "A" and sitting.item(1).awarded is None
    with app.app_context():
        [event] = _submitted_events(sitting.attempt_id)
        assert event.detail == {"reason": SubmitReason.EXAMINEE}
    # a double click answers the same and hands in nothing more
    again = _submit(sitting)
    assert again.status_code == 200 and again.json["status"] == "submitted"
    with app.app_context():
        assert len(_submitted_events(sitting.attempt_id)) == 1


def test_grade_pending_grades_each_hand_in_once(app, world, clock, deferred):
    sitting = start_sitting(app, world)
    _submit(sitting, [{"seq": 1, "position": 1, "response": "A"}])
    assert _grade(app) == 1
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.SUBMITTED and attempt.score is not None
    with app.app_context():
        _graded_as_stored(sitting.attempt_id)
        [event] = _submitted_events(sitting.attempt_id)
        assert event.detail["reason"] == SubmitReason.EXAMINEE and Decimal(event.detail["score"]) == attempt.score
    assert _grade(app) == 0  # a second run finds nothing
    assert sitting.attempt().score == attempt.score


def test_tests_grade_inline_by_default(app, world, clock):
    sitting = start_sitting(app, world)
    assert _submit(sitting).json["status"] == "submitted"
    assert sitting.attempt().state == AttemptState.SUBMITTED and sitting.attempt().score is not None


def test_an_unknown_grading_mode_is_refused_loudly(app, world, clock, monkeypatch):
    sitting = start_sitting(app, world)
    monkeypatch.setitem(app.config, "GRADING_MODE", "later")
    with pytest.raises(RuntimeError, match="GRADING_MODE"), app.app_context():
        hand_in(db.session.get(Attempt, sitting.attempt_id), SubmitReason.EXAMINEE)


# --- saves after and around the hand-in ---------------------------------------------------------


def test_the_quick_save_path_refuses_a_handed_in_attempt(app, world, clock, deferred):
    sitting = start_sitting(app, world, known=True)
    _submit(sitting)
    payload = {"token": sitting.token, "saves": [{"seq": 5, "position": 1, "response": "B"}]}
    with app.app_context():
        user = db.session.get(User, sitting.attempt().user_id)
        assert quick_save(sitting.attempt_id, user, payload) is None  # refused: the full path decides
        assert lean_save(db.session, sitting.attempt_id, payload, None, clock.now()) is None
    assert sitting.item(1).response_seq == 0


def test_a_retried_hand_in_with_saves_never_changes_the_handed_in_answers(app, world, clock, deferred):
    sitting = start_sitting(app, world)
    _submit(sitting, [{"seq": 1, "position": 1, "response": "A"}])
    clock.advance(seconds=2)
    reply = _submit(sitting, [{"seq": 1, "position": 1, "response": "A"}, {"seq": 2, "position": 2, "response": "B"}])
    assert reply.status_code == 200 and reply.json["status"] == "submitted"
    assert reply.json["acked"] == [] and 2 not in reply.json["acked"]
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.SUBMITTED  # the retry graded it first, once
    assert sitting.item(2).response_seq == 0 and sitting.item(1).response == "A"
    assert _grade(app) == 0
    with app.app_context():
        assert len(_submitted_events(sitting.attempt_id)) == 1
        _graded_as_stored(sitting.attempt_id)


# --- the result page -----------------------------------------------------------------------------


def test_the_result_page_says_grading_and_then_shows_the_score(app, world, clock, deferred):
    sitting = start_sitting(app, world)
    with app.app_context():
        db.session.get(Exam, sitting.exam_id).release_mode = ReleaseMode.ON_SUBMIT
        db.session.commit()
    result_url = _submit(sitting).json["result_url"]
    page = sitting.client.get(result_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "成绩计算中，请稍候" in html and 'http-equiv="refresh"' in html
    assert f'href="{result_url}"' in html and 'data-testid="score"' not in html
    _grade(app)
    html = sitting.client.get(result_url).get_data(as_text=True)
    assert "成绩计算中" not in html and 'http-equiv="refresh"' not in html
    assert 'data-testid="score"' in html


# --- what needs final scores grades first ---------------------------------------------------------


def _handed_in_exam(app, world):
    sitting = start_sitting(app, world)
    _submit(sitting, [{"seq": 1, "position": 1, "response": "A"}])
    assert sitting.attempt().state == AttemptState.GRADING
    return sitting


def test_results_never_show_a_grading_attempt_as_zero(app, world, clock, deferred):
    sitting = _handed_in_exam(app, world)
    with app.app_context():
        exam = db.session.get(Exam, sitting.exam_id)
        scores = [s for s in live_unit_scores(exam) if s.grading]
        assert len(scores) == 1
        [unit] = scores
        assert unit.grading == 1 and unit.average is None and unit.average_shown is None
        assert unit.absent == unit.roster_size - unit.excused - 1 - unit.sat
        row = next(r for r in people_rows(exam) if r["用户名"] == "kaosheng")
        assert row["状态"] == "已交卷（成绩计算中）" and row["成绩"] is None


def test_the_results_pages_say_grading_not_zero(app, world, clock, deferred, as_role):
    sitting = _handed_in_exam(app, world)
    office = as_role("office")
    html = office.get(f"/exams/{sitting.exam_id}/results").get_data(as_text=True)
    assert "评分中" in html and "成绩计算中" in html


def test_ending_the_exam_grades_pending_hand_ins_first(app, world, clock, deferred):
    sitting = _handed_in_exam(app, world)
    with app.app_context():
        exam = db.session.get(Exam, sitting.exam_id)
        close_exam(None, exam)
        assert exam.status == ExamStatus.CLOSED
        assert db.session.get(Attempt, sitting.attempt_id).state == AttemptState.SUBMITTED


def test_the_seal_grades_pending_hand_ins_first(app, world, clock, deferred):
    sitting = _handed_in_exam(app, world)
    with app.app_context():
        exam = db.session.get(Exam, sitting.exam_id)
        exam.mark_closed()  # ended without the closing receivers (as an older deployment might have)
        attempt = db.session.get(Attempt, sitting.attempt_id)
        assert attempt.state == AttemptState.GRADING
        office = db.session.scalar(select(User).where(User.username == "office"))
        seal_exam(office, exam)
        assert exam.status == ExamStatus.SEALED
        assert db.session.get(Attempt, sitting.attempt_id).state == AttemptState.SUBMITTED


def test_close_overdue_grades_pending_hand_ins(app, world, clock, deferred, runner):
    sitting = _handed_in_exam(app, world)
    result = runner.invoke(args=["exams", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "已计算 1 份答卷的成绩" in result.output
    assert sitting.attempt().state == AttemptState.SUBMITTED


def test_grade_pending_command(app, world, clock, deferred, runner):
    sitting = _handed_in_exam(app, world)
    result = runner.invoke(args=["exams", "grade-pending", "--exam", str(sitting.exam_id)])
    assert result.exit_code == 0, result.output
    assert "已计算 1 份答卷的成绩" in result.output
    assert sitting.attempt().state == AttemptState.SUBMITTED
    again = runner.invoke(args=["exams", "grade-pending"])
    assert again.exit_code == 0 and "已计算 0 份答卷的成绩" in again.output


def test_the_results_workbook_grades_pending_hand_ins_first(app, world, clock, deferred, as_role):
    sitting = _handed_in_exam(app, world)
    office = as_role("office")
    response = office.get(f"/exams/{sitting.exam_id}/results.xlsx")
    assert response.status_code == 200
    assert sitting.attempt().state == AttemptState.SUBMITTED  # graded, and committed with the download


def test_an_integrity_run_grades_pending_hand_ins_first(app, world, clock, deferred):
    from examapp.integrity.services import compute_findings

    sitting = _handed_in_exam(app, world)
    with app.app_context():
        compute_findings(db.session.get(Exam, sitting.exam_id))
        assert db.session.get(Attempt, sitting.attempt_id).state == AttemptState.SUBMITTED


def test_the_monitor_shows_grading_among_the_handed_in(app, world, clock, deferred, as_role):
    sitting = _handed_in_exam(app, world)
    admin = as_role("exam_admin")
    html = admin.get(f"/monitor/{sitting.exam_id}").get_data(as_text=True)
    assert "成绩计算中" in html
    assert 'data-testid="total-submitted">1<' in html


def test_accepting_a_late_answer_waits_for_the_grade(app, world, clock, deferred):
    from examapp.results.late import accept_late

    sitting = _handed_in_exam(app, world)
    with app.app_context(), pytest.raises(DomainError, match="成绩正在计算"):
        accept_late(None, db.session.get(Attempt, sitting.attempt_id), [1], "考生网络中断，有监考记录")


# --- several graders, committed data (PostgreSQL's SKIP LOCKED; SQLite serialises) ----------------


def _committed_hand_ins(app, make, n):
    """n examinees of one exam, each handed in (deferred): [attempt id]."""
    world = make.world()
    with app.app_context():
        for i in range(n - 1):
            make._user("examinee", db.session.merge(world.communities["a"]), username=f"grade{i}")
        exam = factories.exam(world, publish=True)
        people = db.session.scalars(select(User).where(User.role == "examinee")).all()
        attempts = [start_attempt(exam, p) for p in people]
        for attempt in attempts:
            assert hand_in(attempt, SubmitReason.EXAMINEE)
        db.session.commit()
        return [a.id for a in attempts]


def _graded_once(app, attempt_ids):
    with app.app_context():
        states = db.session.scalars(select(Attempt.state).where(Attempt.id.in_(attempt_ids))).all()
        assert states == [AttemptState.SUBMITTED] * len(attempt_ids)
        scored = db.session.scalars(
            select(AttemptEvent.detail).where(
                AttemptEvent.attempt_id.in_(attempt_ids), AttemptEvent.kind == EventKind.SUBMITTED
            )
        ).all()
        assert len(scored) == len(attempt_ids) and all("score" in d for d in scored)
        for attempt_id in attempt_ids:
            _graded_as_stored(attempt_id)


@pytest.mark.committed
def test_two_graders_at_once_grade_each_attempt_exactly_once(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "GRADING_MODE", "deferred")
    attempt_ids = _committed_hand_ins(app, make, 6)
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        first = grade_pending(limit=2)  # holds its two rows, not committed yet
        assert first == 2
        second = 0
        if postgresql:
            with app.app_context():  # a second connection: the held rows are skipped, not waited for
                started = time.perf_counter()
                second = grade_pending()
                db.session.commit()
                assert second == len(attempt_ids) - 2 and time.perf_counter() - started < 5
        db.session.commit()
    rest = _grade(app)  # SQLite: the IMMEDIATE transactions took turns; the rest is graded now
    assert first + second + rest == len(attempt_ids) and (rest == 0 or not postgresql)
    assert _grade(app) == 0
    _graded_once(app, attempt_ids)


@pytest.mark.committed
def test_concurrent_graders_in_threads_grade_once(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "GRADING_MODE", "deferred")
    attempt_ids = _committed_hand_ins(app, make, 8)
    barrier = threading.Barrier(4)
    counts, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                counts.append(grade_pending())
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and sum(counts) == len(attempt_ids)
    _graded_once(app, attempt_ids)


@pytest.mark.committed
def test_a_save_racing_the_hand_in_is_graded_not_stored_ungraded(app, make, clock, monkeypatch):
    """A quick save holds its item when the hand-in commits: the grader waits for it and grades
    what it stored. A save arriving after the grade finds the item graded and is refused."""
    monkeypatch.setitem(app.config, "GRADING_MODE", "deferred")
    world = make.world()
    with app.app_context():
        exam = factories.exam(world, publish=True)
        person = db.session.merge(world.accounts["examinee"])
        attempt = start_attempt(exam, person)
        token = claim_attempt(attempt)
        paper_rules_for(attempt, token)
        attempt_id, user_id = attempt.id, person.id
        payload, answer = _answer_key_save(attempt_id, token)
        db.session.commit()
        # an earlier save: the page's last save time is fresh, so the racing save below writes its
        # item alone (a first save also touches the attempt row, which the hand-in would wait for)
        earlier = {"token": token, "saves": [{"seq": 1, "position": 2, "response": None}]}
        assert quick_save(attempt_id, db.session.get(User, user_id), earlier)["acked"] == [1]
        db.session.commit()
    assert answer
    holding, go = threading.Event(), threading.Event()
    outcome, errors = {}, []

    def do_save():
        with app.app_context():
            try:
                outcome["save"] = quick_save(attempt_id, db.session.get(User, user_id), payload)
                holding.set()
                go.wait(timeout=20)
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()

    def do_grade():
        with app.app_context():
            try:
                outcome["graded"] = grade_pending()
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()

    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    saver = threading.Thread(target=do_save)
    saver.start()
    assert holding.wait(timeout=20)
    if not postgresql:
        go.set()  # SQLite: the save's IMMEDIATE transaction holds the only write lock; it goes first
        saver.join(timeout=30)
    with app.app_context():
        assert hand_in(db.session.get(Attempt, attempt_id), SubmitReason.EXAMINEE)
        db.session.commit()
    grader = threading.Thread(target=do_grade)
    grader.start()
    if postgresql:
        grader.join(timeout=0.5)
        assert grader.is_alive(), "the grader should wait for the save holding the item"
    go.set()
    saver.join(timeout=30)
    grader.join(timeout=30)
    assert errors == [] and outcome["graded"] == 1
    assert outcome["save"] is not None and outcome["save"]["acked"] == [1]
    with app.app_context():
        stored = db.session.scalar(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == 1)
        )
        assert stored.response == answer and stored.awarded == stored.points
        _graded_as_stored(attempt_id)
        # a save now is refused: the item is graded (and the attempt no longer in progress)
        late = {"token": token, "saves": [{"seq": 2, "position": 1, "response": None}]}
        assert quick_save(attempt_id, db.session.get(User, user_id), late) is None
        db.session.commit()
        assert db.session.get(AttemptItem, stored.id).response == answer


@pytest.mark.committed
def test_the_worker_thread_grades_a_committed_hand_in_within_seconds(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "GRADING_MODE", "thread")
    world = make.world()
    with app.app_context():
        exam = factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.merge(world.accounts["examinee"]))
        db.session.commit()
        assert hand_in(attempt, SubmitReason.EXAMINEE)
        attempt_id = attempt.id
        assert attempt.state == AttemptState.GRADING
        db.session.commit()  # the worker hears of it only now
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            state = db.session.get(Attempt, attempt_id).state
        if state == AttemptState.SUBMITTED:
            break
        time.sleep(0.05)
    worker.join()
    assert state == AttemptState.SUBMITTED
    with app.app_context():
        _graded_as_stored(attempt_id)
        assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.state == "grading")) == 0


@pytest.mark.committed
def test_a_rolled_back_hand_in_is_never_given_to_the_worker(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "GRADING_MODE", "thread")
    world = make.world()
    with app.app_context():
        exam = factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.merge(world.accounts["examinee"]))
        db.session.commit()
        attempt_id = attempt.id
        assert hand_in(attempt, SubmitReason.EXAMINEE)
        db.session.rollback()
        assert db.session.get(Attempt, attempt_id).state == AttemptState.IN_PROGRESS
        db.session.commit()  # a later commit of the same session does not hand the attempt to the worker
    worker.join()
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == AttemptState.IN_PROGRESS


def test_a_full_path_save_after_the_hand_in_never_changes_the_handed_in_answers(app, world, clock, deferred):
    sitting = start_sitting(app, world)
    _submit(sitting, [{"seq": 1, "position": 1, "response": "A"}])
    reply = sitting.save({"seq": 2, "position": 1, "response": "B"}, {"seq": 3, "position": 2, "response": "B"})
    assert reply.status_code in (200, 409) and reply.json.get("acked", []) == []
    assert sitting.item(1).response == "A" and sitting.item(1).response_seq == 1
    assert sitting.item(2).response_seq == 0
    assert sitting.attempt().state == AttemptState.GRADING
