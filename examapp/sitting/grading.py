"""Submit now, grade right after: the examinee's hand-in answers before the score exists.

``hand_in`` records the hand-in (in progress -> grading, a conditional UPDATE like
``Attempt.submit``) in the hand-in's own transaction; ``grade_pending`` grades what is handed in
(grading -> submitted), each attempt once: the rows are taken ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (two graders never take the same attempt; on SQLite the IMMEDIATE transaction
serialises them) and the state change is conditional. A grader that dies leaves the attempt in
``grading`` for the next run: nothing handed in is lost.

Who grades (the setting ``GRADING_MODE``, or the environment variable of that name):

- ``thread`` (the default outside tests): once the hand-in's transaction is committed, a daemon
  thread of the same process grades it, in its own transaction (``GradingWorker``);
- ``inline`` (the default under TESTING): right after the hand-in, in the same transaction;
- ``deferred``: nobody in the process; ``flask exams grade-pending --watch`` (a dedicated worker)
  or the sweep cron (``flask exams close-overdue``) grades it.

Whatever the mode, the sweep cron grades what is still pending, and anything that needs final
scores (ending an exam, sealing it) grades the exam's pending attempts first.
"""

import logging
import os
import queue
import threading

from flask import current_app, has_app_context
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..clock import utcnow
from ..exams.signals import exam_closing
from ..extensions import db
from .models import Attempt, AttemptEvent, AttemptState, EventKind
from .services import grade_attempt

log = logging.getLogger(__name__)

MODES = ("thread", "inline", "deferred")
#: the session's note of the attempts handed in by its transaction, for the worker after the commit
_HANDED_IN = "examapp.handed_in"


def grading_mode(app=None):
    app = app or current_app
    mode = app.config.get("GRADING_MODE") or os.environ.get("GRADING_MODE")
    if mode is None:
        return "inline" if app.testing else "thread"
    if mode not in MODES:
        raise RuntimeError(f"GRADING_MODE must be one of {MODES}, not {mode!r}")
    return mode


def hand_in(attempt, reason, now=None):
    """In progress -> grading, finishing at the deadline at the latest. True when this call did it,
    False when the attempt was no longer in progress (it is then read again as it is).

    Records the SUBMITTED event (its score follows with the grade). Flushes; the caller commits,
    and the attempt is graded after that (see the module's docstring).
    """
    now = now or utcnow()
    db.session.flush()  # what the request did before (its saves' events) comes first
    if not attempt.submit(reason, now, state=AttemptState.GRADING):
        return False
    events = AttemptEvent.__table__
    connection = db.session.connection()
    connection.execute(
        insert(events).values(
            attempt_id=attempt.id, kind=EventKind.SUBMITTED, occurred_at=utcnow(), detail={"reason": reason}
        )
    )
    after_hand_in(db.session, attempt.id, attempt)
    return True


def after_hand_in(session, attempt_id, attempt=None):
    """What follows a hand-in in its transaction, by the grading mode: grade it now (inline), have
    the process's worker grade it once the transaction commits (thread), or leave it (deferred)."""
    mode = grading_mode()
    if mode == "inline":
        if attempt is None:
            grade_pending(attempt_id=attempt_id)
        else:
            grade_handed_in(attempt)
    elif mode == "thread":
        session.info.setdefault(_HANDED_IN, []).append(attempt_id)


def grade_handed_in(attempt):
    """Grade one attempt in ``grading`` (the caller holds it, or it was just handed in by this
    transaction): grading -> submitted with its score. True when this call graded it."""
    grade_attempt(attempt)
    done = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == AttemptState.GRADING)
        .values(state=AttemptState.SUBMITTED)
        .returning(Attempt.updated_at)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if done is None:  # not ours to grade after all: what grade_attempt wrote goes with the rollback
        raise RuntimeError(f"attempt {attempt.id} is no longer being graded")
    set_committed_value(attempt, "state", AttemptState.SUBMITTED)
    set_committed_value(attempt, "updated_at", done)
    handed_in = db.session.scalars(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind == EventKind.SUBMITTED)
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    ).first()
    if handed_in is not None:
        handed_in.detail = {**(handed_in.detail or {}), "score": str(attempt.score)}
    db.session.flush()
    return True


def _pending(exam_id=None, attempt_id=None):
    stmt = (
        select(Attempt)
        .where(Attempt.state == AttemptState.GRADING)
        .order_by(Attempt.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    if attempt_id is not None:
        stmt = stmt.where(Attempt.id == attempt_id)
    return stmt


def grade_pending(limit=None, exam_id=None, attempt_id=None):
    """Grade attempts in ``grading`` (of one exam, or one attempt); returns how many this call graded.

    Rows another grader holds are skipped (PostgreSQL), so two graders at once grade each
    attempt once. Flushes; the caller commits (a grader committing per attempt passes ``limit=1``
    in a loop, see ``grade_all_pending``).
    """
    stmt = _pending(exam_id, attempt_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    graded = 0
    for attempt in db.session.scalars(stmt).all():
        grade_handed_in(attempt)
        graded += 1
    return graded


def grade_all_pending(exam_id=None, batch=20):
    """Grade every pending attempt, committing every ``batch``; returns how many were graded.
    For the command line and the worker thread (they own their transaction)."""
    total = 0
    while True:
        try:
            graded = grade_pending(limit=batch, exam_id=exam_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        total += graded
        if graded < batch:
            return total


def count_grading(exam_id):
    """How many of the exam's attempts are handed in and not graded yet."""
    return db.session.scalar(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.exam_id == exam_id, Attempt.state == AttemptState.GRADING)
    )


def grade_exam_first(exam_id):
    """Before anything that needs the exam's final scores: grade its pending attempts here (in the
    caller's transaction). Returns how many are still being graded elsewhere (held by another
    grader at this moment); the caller refuses while any are."""
    grade_pending(exam_id=exam_id)
    return count_grading(exam_id)


@exam_closing.connect
def grade_before_closing(exam, **_extra):
    """An exam ends with every hand-in graded: grade its pending attempts; any still held by
    another grader keeps the exam open a moment longer."""
    return grade_exam_first(exam.id)


# --- the worker thread ---------------------------------------------------------------------------


class GradingWorker:
    """A per-process daemon thread grading committed hand-ins, one transaction per attempt.

    Started lazily by the first hand-in it is given (and again in a forked child). An attempt it
    fails to grade stays in ``grading`` for the sweep cron or the next hand-in's worker.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._queue = None
        self._pid = None

    def put(self, app, attempt_ids):
        with self._lock:
            if self._pid != os.getpid():
                self._queue = queue.Queue()
                self._pid = os.getpid()
                threading.Thread(target=self._run, args=(app, self._queue), name="grading", daemon=True).start()
            for attempt_id in attempt_ids:
                self._queue.put(attempt_id)

    def join(self):
        """Wait until every attempt given so far is done (tests, a graceful stop)."""
        if self._queue is not None and self._pid == os.getpid():
            self._queue.join()

    @staticmethod
    def _run(app, attempts):
        while True:
            attempt_id = attempts.get()
            try:
                with app.app_context():
                    try:
                        grade_pending(attempt_id=attempt_id)
                        db.session.commit()
                    except Exception:
                        db.session.rollback()
                        log.exception("grading attempt %s failed; it stays pending for the sweep", attempt_id)
            except Exception:  # the app context itself failed: the sweep grades it
                log.exception("grading worker could not take attempt %s", attempt_id)
            finally:
                attempts.task_done()


worker = GradingWorker()


@event.listens_for(Session, "after_commit")
def _grade_after_commit(session):
    handed_in = session.info.pop(_HANDED_IN, None)
    if handed_in and has_app_context():
        worker.put(current_app._get_current_object(), handed_in)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop(_HANDED_IN, None)
