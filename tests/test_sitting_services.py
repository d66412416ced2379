"""Attempts: the draw at start, deadlines, submitting once, the overdue sweep, admin corrections."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.errors import DomainError
from examapp.exams.models import Exam, RosterEntry
from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptEvent, AttemptItem, AttemptState, SubmitReason
from examapp.sitting.services import (
    AccessRefused,
    close_if_overdue,
    close_overdue,
    grant_extra_time,
    reopen_attempt,
    start_attempt,
    submit_attempt,
    void_attempt,
)

from . import exam_factories as factories


@pytest.fixture
def setup(ctx, world, clock):
    exam = factories.exam(world, publish=True, grace_seconds=60)
    kaosheng = db.session.get(User, world.accounts["examinee"].id)
    return exam, kaosheng


def answer_everything_right(attempt):
    for item in attempt.items:
        item.response = item.version.answer if item.version.qtype != "blank" else ["x"]


def test_start_draws_and_stores_the_paper(setup):
    exam, person = setup
    attempt = start_attempt(exam, person, seed=7)
    items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    assert len(items) == 9 and sum(i.points for i in items) == Decimal("100")
    assert start_attempt(exam, person).id == attempt.id  # the same attempt, not a second draw
    assert db.session.scalar(select(func.count()).select_from(AttemptItem)) == 9


def test_deadline_is_start_plus_duration_plus_extra_but_never_past_the_window(setup, clock):
    exam, person = setup
    attempt = start_attempt(exam, person)
    assert attempt.deadline_at == attempt.started_at + timedelta(minutes=60)
    entry = db.session.get(RosterEntry, attempt.roster_entry_id)
    grant_extra_time(None, exam, [entry], 15, reason="停电")
    assert attempt.deadline_at == attempt.started_at + timedelta(minutes=75)
    grant_extra_time(None, exam, [entry], 120, reason="再延长")
    assert attempt.deadline_at == exam.closes_at


def test_a_late_start_gets_only_until_the_window_closes(setup, clock):
    exam, person = setup
    clock.set(exam.closes_at - timedelta(minutes=20))
    attempt = start_attempt(exam, person)
    assert attempt.deadline_at == exam.closes_at
    assert attempt.seconds_left() == 20 * 60


@pytest.mark.parametrize(
    "change, message",
    [
        ("before", "不在开放时间内"),
        ("after", "不在开放时间内"),
        ("code", "考试口令不正确"),
        ("address", "指定的考场网络"),
        ("stranger", "不在本场考试的名单中"),
    ],
)
def test_who_may_start(setup, clock, world, change, message):
    exam, person = setup
    exam.access_code, exam.ip_allowlist = "ZZ", "10.1.0.0/16"
    code, address = "ZZ", "10.1.3.4"
    if change == "before":
        clock.set(exam.opens_at - timedelta(seconds=1))
    elif change == "after":
        clock.set(exam.closes_at)
    elif change == "code":
        code = "zz"
    elif change == "address":
        address = "10.2.0.1"
    elif change == "stranger":
        person = db.session.get(User, world.accounts["office"].id)
    with pytest.raises(AccessRefused, match=message):
        start_attempt(exam, person, access_code=code, address=address)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_submit_grades_once(setup):
    exam, person = setup
    attempt = start_attempt(exam, person)
    answer_everything_right(attempt)
    assert submit_attempt(attempt, SubmitReason.EXAMINEE) is True
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == Decimal("100")
    attempt.items[0].response = None  # a late change must not regrade
    assert submit_attempt(attempt, SubmitReason.EXAMINEE) is False
    assert attempt.score == Decimal("100")
    events = db.session.scalars(select(AttemptEvent).where(AttemptEvent.kind == "submitted")).all()
    assert len(events) == 1


def test_unanswered_paper_scores_zero(setup):
    exam, person = setup
    attempt = start_attempt(exam, person)
    submit_attempt(attempt, SubmitReason.EXAMINEE)
    assert attempt.score == Decimal("0")


def test_overdue_attempts_close_lazily_and_by_the_sweep(setup, clock, world):
    exam, person = setup
    attempt = start_attempt(exam, person)
    other = start_attempt(exam, db.session.get(User, world.accounts["examinee_b"].id))
    clock.set(attempt.deadline_at + timedelta(seconds=59))  # inside the grace
    assert close_if_overdue(attempt) is False and close_overdue() == 0
    clock.advance(seconds=2)
    assert close_if_overdue(attempt) is True
    assert attempt.submit_reason == SubmitReason.DEADLINE
    assert close_overdue() == 1 and other.state == AttemptState.SUBMITTED
    assert other.submit_reason == SubmitReason.SWEEP
    assert close_overdue() == 0  # a second run finds nothing


def test_sweep_cli_is_safe_to_run_twice(app, world, clock, runner):
    with app.app_context():
        exam = factories.exam(world, publish=True)
        start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
        deadline = db.session.scalar(select(Attempt.deadline_at))
    clock.set(deadline + timedelta(minutes=5))
    first = runner.invoke(args=["exams", "close-overdue"])
    second = runner.invoke(args=["exams", "close-overdue"])
    assert "已收取 1 份" in first.output and "已收取 0 份" in second.output


def test_extra_time_reopen_and_void_are_audited_and_need_a_reason(setup, clock):
    exam, person = setup
    attempt = start_attempt(exam, person)
    entry = db.session.get(RosterEntry, attempt.roster_entry_id)
    with pytest.raises(DomainError, match="请填写原因"):
        grant_extra_time(None, exam, [entry], 10, reason=" ")
    assert entry.extra_minutes == 0
    submit_attempt(attempt, SubmitReason.EXAMINEE)
    reopen_attempt(None, attempt, reason="机器故障导致误交卷")
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.score is None
    clock.set(attempt.deadline_at + timedelta(minutes=1))
    submit_attempt(attempt, SubmitReason.DEADLINE)
    with pytest.raises(DomainError, match="请同时延长时间"):
        reopen_attempt(None, attempt, reason="再次故障")
    reopen_attempt(None, attempt, reason="再次故障", extra_minutes=10)
    assert attempt.is_in_progress and attempt.seconds_left() == 9 * 60
    void_attempt(None, attempt, reason="替考")
    assert attempt.state == AttemptState.VOIDED and attempt.score is None
    with pytest.raises(DomainError):
        submit_attempt(attempt, SubmitReason.EXAMINEE) or reopen_attempt(None, attempt, reason="x")
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == ["attempt.reopen", "exam.extra_time", "attempt.reopen", "attempt.void"]


# --- concurrency: committed data, several connections ---------------------------


@pytest.mark.committed
def test_concurrent_sweeps_and_submits_grade_each_attempt_once(app, make, clock):
    world = make.world()
    with app.app_context():
        for i in range(6):
            make._user("examinee", db.session.merge(world.communities["a"]), username=f"many{i}")
        exam = factories.exam(world, publish=True)
        people = db.session.scalars(select(User).where(User.role == "examinee")).all()
        attempts = [start_attempt(exam, p).id for p in people]
        db.session.commit()
        deadline = db.session.scalar(select(func.max(Attempt.deadline_at)))
        exam_id = exam.id
    clock.set(deadline + timedelta(minutes=5))

    barrier = threading.Barrier(12)
    results, errors = [], []

    def run(task):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                if task == "sweep":
                    results.append(("sweep", close_overdue(exam_id=exam_id)))
                else:
                    results.append(("submit", submit_attempt(db.session.get(Attempt, attempts[0]), "examinee")))
                db.session.commit()
            except Exception as exc:  # reported below; a thread must not die silently
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=run, args=("sweep" if i < 2 else "submit",)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    closed_by_sweeps = sum(n for kind, n in results if kind == "sweep")
    closed_by_submits = sum(1 for kind, ok in results if kind == "submit" and ok)
    assert closed_by_sweeps + closed_by_submits == len(attempts)
    assert closed_by_submits <= 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.state == "submitted")) == len(
            attempts
        )
        per_attempt = db.session.execute(
            select(AttemptEvent.attempt_id, func.count())
            .where(AttemptEvent.kind == "submitted")
            .group_by(AttemptEvent.attempt_id)
        ).all()
        assert sorted(n for _, n in per_attempt) == [1] * len(attempts)
        assert db.session.get(Exam, exam_id).status == "published"


def _answer_key_save(attempt_id, token):
    """A save of position 1's correct answer (in the version's terms), as the page sends it."""
    from examapp.bank.models import QuestionVersion

    item = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == 1))
    version = db.session.get(QuestionVersion, item.question_version_id)
    answer = version.answer if isinstance(version.answer, str) else None
    return {"token": token, "saves": [{"seq": 1, "position": 1, "response": answer}]}, answer


def _graded_as_stored(attempt_id):
    """Every item's award is what its stored response earns, and the score is their sum."""
    from examapp.bank.grading import grade_response
    from examapp.bank.models import QuestionVersion

    attempt = db.session.get(Attempt, attempt_id)
    exam = db.session.get(Exam, attempt.exam_id)
    items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
    for item in items:
        version = db.session.get(QuestionVersion, item.question_version_id)
        expected = grade_response(
            version.qtype, version.answer, item.response, item.points, multiple_mode=exam.multiple_mode
        )
        assert item.awarded == expected, (item.position, item.response, item.awarded)
    assert attempt.score == sum(item.awarded for item in items)


@pytest.mark.committed
@pytest.mark.parametrize("first", ["save", "submit"])
def test_a_save_racing_a_submit_is_either_graded_or_refused(app, make, first):
    """A quick save and a submit of the same attempt at the same moment: the save that got in first
    is graded; the one that comes second is refused (not stored ungraded on a submitted attempt)."""
    from examapp.sitting.page import claim_attempt
    from examapp.sitting.saving import paper_rules_for, quick_save

    world = make.world()
    with app.app_context():
        exam = factories.exam(world, publish=True)
        person = db.session.merge(world.accounts["examinee"])
        attempt = start_attempt(exam, person)
        token = claim_attempt(attempt)
        paper_rules_for(attempt, token)  # what the page's first save leaves in this process
        attempt_id, user_id = attempt.id, person.id
        payload, answer = _answer_key_save(attempt_id, token)
        db.session.commit()
    assert answer, "position 1 should be a question with a one-letter key"

    holding, go = threading.Event(), threading.Event()
    outcome, errors = {}, []

    def do_save(hold):
        with app.app_context():
            try:
                outcome["save"] = quick_save(attempt_id, db.session.get(User, user_id), payload)
                if hold:
                    holding.set()
                    go.wait(timeout=20)
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()

    def do_submit(hold):
        with app.app_context():
            try:
                outcome["submit"] = submit_attempt(db.session.get(Attempt, attempt_id), "examinee")
                if hold:
                    holding.set()
                    go.wait(timeout=20)
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()

    holder = threading.Thread(target=do_save if first == "save" else do_submit, args=(True,))
    holder.start()
    assert holding.wait(timeout=20)
    second = threading.Thread(target=do_submit if first == "save" else do_save, args=(False,))
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive(), "the second request should wait for the first one's transaction"
    go.set()
    holder.join(timeout=30)
    second.join(timeout=30)
    assert errors == []
    assert outcome["submit"] is True
    with app.app_context():
        stored = db.session.scalar(
            select(AttemptItem.response).where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == 1)
        )
        if first == "save":
            assert outcome["save"] is not None and outcome["save"]["acked"] == [1]
            assert stored == answer
        else:
            assert outcome["save"] is None  # not acknowledged: the full path refuses it as closed
            assert stored is None
        _graded_as_stored(attempt_id)
