"""Attempts: starting (the draw), submitting and grading, the overdue sweep, closing an exam's
sittings, and admin corrections.

Submitting is a conditional UPDATE on the attempt's state (``Attempt.submit``), so a double
click, a retry and a race with the sweep grade exactly once; grading happens in the same
transaction as the state change. What a page saves is ``saving``'s; which page holds the
attempt is ``page``'s. Services flush; the caller commits.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..audit.services import record_change, register_actions
from ..bank.content import QType
from ..bank.grading import grade_response
from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus, RosterEntry
from ..exams.paper import draw_paper
from ..exams.signals import exam_closing
from ..extensions import db
from ..reasons import clean_reason
from .models import Attempt, AttemptEvent, AttemptItem, AttemptState, EventKind, SubmitReason
from .prepared import copy_prepared, prepared_seed

SITTING_ACTION_LABELS = {
    "attempt.reopen": "重新开放答卷",
    "attempt.void": "作废答卷",
    "attempt.force_submit": "强制交卷",
}
register_actions(SITTING_ACTION_LABELS)


class AccessRefused(DomainError):
    """The person may not start or continue (wrong code, address, time...)."""


def attempt_for(exam, user):
    return db.session.scalar(select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id))


def sitting_of(exam, user):
    """(roster entry, attempt) of ``user`` for ``exam`` in one statement; either may be None."""
    row = db.session.execute(
        select(RosterEntry, Attempt)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.exam_id == exam.id, RosterEntry.user_id == user.id)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


#: ``start_attempt``'s caller did not read the prepared paper's seed
_UNREAD = object()


def start_attempt(exam, user, *, access_code=None, address=None, seed=None, entry=None, prepared=_UNREAD):
    """The person's attempt, with the paper prepared for them (``prepared``) or, when there is none
    or it no longer holds, drawn now; an existing attempt is returned as it is.

    ``entry``: the person's roster row, when the caller has just read it (``sitting_of``, or
    ``prepared.exam_sitting``, which also gives ``prepared``, the usable prepared seed) and
    found no attempt; a start on another page in between is still found, by the unique attempt
    per roster row. ``seed``: draw with this seed (the prepared paper is used only if it is the
    one drawn with it). A prepared paper is copied by one INSERT ... SELECT; a live draw is
    written in one multi-row statement, whatever its length.
    """
    if entry is None:
        entry, existing = sitting_of(exam, user)
        if entry is None:
            raise AccessRefused("您不在本场考试的名单中")
        if existing is not None:
            return existing
    now = utcnow()
    if exam.status != ExamStatus.PUBLISHED or not exam.opens_at <= now < exam.closes_at:
        raise AccessRefused("考试不在开放时间内")
    if not exam.check_access_code(access_code):
        raise AccessRefused("考试口令不正确", field="access_code")
    if not exam.allows_address(address):
        raise AccessRefused("本场考试只允许在指定的考场网络中参加，请到考场电脑上登录")
    if prepared is _UNREAD:
        prepared = prepared_seed(exam, entry.id)
    drawn = None
    if prepared is None or (seed is not None and seed != prepared):
        seed = secrets.randbits(31) if seed is None else seed
        drawn = draw_paper(exam, seed)
    else:
        seed = prepared
    attempt = _insert_attempt(exam, entry, user, now, seed)
    if attempt is None:
        # The same person started on another page at the same moment: keep theirs.
        existing = attempt_for(exam, user)
        if existing is None:
            raise DomainError("开始答题失败，请刷新页面后重试")
        return existing
    if drawn is None and not copy_prepared(attempt.id, entry.id):
        # the paper went after its seed was read (the exam was ended, or its window closed, in
        # between and the papers were deleted): the same seed draws the same paper
        drawn = draw_paper(exam, seed)
    if drawn is not None:
        db.session.execute(
            insert(AttemptItem.__table__),
            [
                {
                    "attempt_id": attempt.id,
                    "position": position,
                    "question_version_id": q.version_id,
                    "points": q.points,
                    "option_order": list(q.option_order) if q.option_order is not None else None,
                    "response_seq": 0,
                    "flagged": False,
                }
                for position, q in enumerate(drawn, start=1)
            ],
        )
    return attempt


def _insert_attempt(exam, entry, user, now, seed):
    """The new attempt, inserted unless the roster row has one already (then None): one
    statement, no savepoint, whoever else is starting the same row at the same moment."""
    dialect = db.session.get_bind().dialect.name
    stmt = _insert_attempt_statements.get(dialect)
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        columns = ("exam_id", "roster_entry_id", "user_id", "state", "started_at", "deadline_at", "seed")
        stmt = _insert_attempt_statements[dialect] = (
            upsert(Attempt)
            .values({column: bindparam(column) for column in columns})
            .on_conflict_do_nothing(index_elements=[Attempt.roster_entry_id])
            .returning(Attempt)
        )
    values = {
        "exam_id": exam.id,
        "roster_entry_id": entry.id,
        "user_id": user.id,
        "state": AttemptState.IN_PROGRESS,
        "started_at": now,
        "deadline_at": Attempt(started_at=now).compute_deadline(exam, entry.extra_minutes),
        "seed": seed,
    }
    return db.session.scalars(stmt, values).one_or_none()


#: the statement of ``_insert_attempt`` per database dialect, built once
_insert_attempt_statements = {}


def submit_attempt(attempt, reason):
    """Submit and grade; True when this call did it, False when it was already submitted or voided.

    An attempt submitted at or after its deadline finished at its deadline (``Attempt.submit``).
    The page's token stays on the attempt: answers that page gave before the close and delivers
    later are kept for review (``late.store_late``), never from another page.
    """
    if not attempt.submit(reason, utcnow()):
        return False
    grade_attempt(attempt)
    record_event(attempt, EventKind.SUBMITTED, detail={"reason": reason, "score": str(attempt.score)})
    db.session.flush()
    return True


def grade_attempt(attempt):
    """Award each item from its exact question version; the score is their sum.

    One read of the items with their versions' keys and one batched write of the awards,
    whatever the paper's length; items already loaded in the session get their award too.
    """
    exam = db.session.get(Exam, attempt.exam_id)
    # The items are locked as they are read: a save already writing one is waited for and its
    # answer graded; a save arriving later finds the item graded and is refused (saving.py).
    rows = db.session.execute(
        select(
            AttemptItem.id,
            AttemptItem.points,
            AttemptItem.response,
            QuestionVersion.qtype,
            QuestionVersion.answer,
            # a 填空's stem: its blank may be answered with the unit the stem prints (bank.grading)
            case((QuestionVersion.qtype == QType.BLANK, QuestionVersion.stem), else_=None),
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .with_for_update(of=AttemptItem)
    ).all()
    total = Decimal("0")
    awards = []
    for item_id, points, response, qtype, answer, stem in rows:
        awarded = grade_response(qtype, answer, response, points, multiple_mode=exam.multiple_mode, stem=stem)
        awards.append({"item_id": item_id, "awarded": awarded})
        total += awarded
    if awards:
        items = AttemptItem.__table__
        db.session.execute(
            update(items).where(items.c.id == bindparam("item_id")).values(awarded=bindparam("awarded")), awards
        )
    for award in awards:
        loaded = db.session.identity_map.get(identity_key(AttemptItem, award["item_id"]))
        if loaded is not None:
            set_committed_value(loaded, "awarded", award["awarded"])
    attempt.score = total
    db.session.flush()
    return total


def close_if_overdue(attempt):
    """Submit an attempt whose deadline and grace have passed (lazily, whenever it is touched)."""
    exam = db.session.get(Exam, attempt.exam_id)
    if attempt.is_overdue(exam.grace_seconds):
        return submit_attempt(attempt, SubmitReason.DEADLINE)
    return False


def close_overdue(exam_id=None):
    """Submit every in-progress attempt past its deadline plus grace. Returns how many this run closed.

    Safe to run twice and concurrently: rows another sweep holds are skipped
    (PostgreSQL), and the conditional submit grades each attempt once.
    """
    now = utcnow()
    stmt = (
        select(Attempt, Exam.grace_seconds)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at < now)
        .order_by(Attempt.id)
        .with_for_update(of=Attempt, skip_locked=True)
    )
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    closed = 0
    for attempt, grace in db.session.execute(stmt).all():
        if now > attempt.deadline_at + timedelta(seconds=grace) and submit_attempt(attempt, SubmitReason.SWEEP):
            closed += 1
    return closed


@exam_closing.connect
def close_sittings(exam, **_extra):
    """Before an exam ends: submit its overdue attempts, and say how many are still being answered
    (or are inside the grace for delivering), which keeps the exam open."""
    close_overdue(exam_id=exam.id)
    return db.session.scalar(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.IN_PROGRESS)
    )


def record_event(attempt, kind, *, address=None, user_agent=None, detail=None):
    event = AttemptEvent(
        attempt_id=attempt.id,
        kind=kind,
        client_address=address,
        user_agent=(user_agent or "")[:255] or None,
        detail=detail,
    )
    db.session.add(event)
    return event


# --- admin corrections -----------------------------------------------------------


def _require_reason(reason):
    if not (reason or "").strip():
        raise DomainError("请填写原因（将记入操作日志）", field="reason")
    clean_reason(reason)


def grant_extra_time(actor, exam, entries, minutes, reason):
    """Give ``entries`` ``minutes`` more (never past the window's close); running deadlines move at once."""
    _require_reason(reason)
    if not isinstance(minutes, int) or not 1 <= minutes <= 240:
        raise DomainError("延长时间应为 1 到 240 分钟", field="minutes")
    if exam.status != ExamStatus.PUBLISHED or utcnow() >= exam.closes_at:
        raise DomainError("只能在考试开放期间延长时间")
    entries = list(entries)
    if not entries:
        raise DomainError("没有选择任何考生")
    if any(entry.exam_id != exam.id for entry in entries):
        raise DomainError("所选考生不在本场考试的名单中")
    ids = [e.id for e in entries]
    # One UPDATE adds the minutes in the database: two admins granting at once both count.
    db.session.execute(
        update(RosterEntry)
        .where(RosterEntry.id.in_(ids))
        .values(extra_minutes=RosterEntry.extra_minutes + minutes)
        .execution_options(synchronize_session=False)
    )
    attempts = {
        a.roster_entry_id: a for a in db.session.scalars(select(Attempt).where(Attempt.roster_entry_id.in_(ids)))
    }
    for entry in entries:
        db.session.refresh(entry)
        attempt = attempts.get(entry.id)
        if attempt is not None and attempt.is_in_progress:
            attempt.deadline_at = attempt.compute_deadline(exam, entry.extra_minutes)
        record_change(
            actor,
            "exam.extra_time",
            "roster_entry",
            entry.id,
            label=f"{exam.title}：{entry.user.name}",
            before={"extra_minutes": entry.extra_minutes - minutes},
            after={"extra_minutes": entry.extra_minutes},
            reason=reason,
            district_id=entry.district_id,
        )
    db.session.flush()
    return len(entries)


def reopen_attempt(actor, attempt, reason, extra_minutes=0):
    """Give back a submitted attempt that a fault closed; its answers stay, its score is cleared.

    Its departure count starts again (the events keep the history), so an attempt
    submitted at the departure limit is not submitted again by the next one.
    """
    _require_reason(reason)
    exam = db.session.get(Exam, attempt.exam_id)
    attempt.ensure_reopenable()
    if exam.status != ExamStatus.PUBLISHED or utcnow() >= exam.closes_at:
        raise DomainError("考试开放时段已结束，不能重新开放答卷")
    entry = db.session.get(RosterEntry, attempt.roster_entry_id)
    if extra_minutes:
        grant_extra_time(actor, exam, [entry], extra_minutes, reason)
    deadline = attempt.compute_deadline(exam, entry.extra_minutes)
    if utcnow() >= deadline:
        raise DomainError("该考生的答题时间已用完，请同时延长时间", field="minutes")
    before = {"state": attempt.state, "score": str(attempt.score)}
    attempt.reopen(deadline)
    db.session.flush()
    record_change(
        actor,
        "attempt.reopen",
        "attempt",
        attempt.id,
        label=f"{exam.title}：{attempt.user.name}",
        before=before,
        after={"state": attempt.state, "score": None},
        reason=reason,
        district_id=entry.district_id,
    )
    return attempt


def void_attempt(actor, attempt, reason):
    """Annul an attempt (for example someone sat for another); it scores nothing and cannot resume."""
    _require_reason(reason)
    attempt.ensure_voidable()
    exam = db.session.get(Exam, attempt.exam_id)
    if exam.status == ExamStatus.SEALED:
        raise DomainError("考试成绩已封存，不能作废答卷")
    entry = db.session.get(RosterEntry, attempt.roster_entry_id)
    before = {"state": attempt.state, "score": str(attempt.score) if attempt.score is not None else None}
    attempt.void(reason, utcnow())
    db.session.flush()
    record_change(
        actor,
        "attempt.void",
        "attempt",
        attempt.id,
        label=f"{exam.title}：{attempt.user.name}",
        before=before,
        after={"state": attempt.state},
        reason=reason,
        district_id=entry.district_id,
    )
    return attempt


def force_submit(actor, attempts, reason):
    """Hand in attempts for their examinees with what the server has saved (a room that must
    close, a PC that failed); each is graded and audited with the reason. Returns how many.

    Refused when none is given or any is no longer being answered. An answer the page gave
    before this and delivers after it is kept for review as a late delivery (``late.py``).
    """
    _require_reason(reason)
    attempts = list(attempts)
    if not attempts:
        raise DomainError("没有正在答题的考生，无需强制交卷")
    for attempt in attempts:
        if not attempt.is_in_progress:
            raise DomainError(f"{attempt.user.name}的答卷{attempt.state_label}，不在答题中，不能强制交卷")
    done = 0
    for attempt in attempts:
        if not submit_attempt(attempt, SubmitReason.ADMIN):
            continue  # handed in by the page or the sweep a moment ago
        done += 1
        record_change(
            actor,
            "attempt.force_submit",
            "attempt",
            attempt.id,
            label=f"{attempt.exam.title}：{attempt.user.name}",
            before={"state": AttemptState.IN_PROGRESS},
            after={"state": attempt.state, "score": str(attempt.score)},
            reason=reason,
            district_id=attempt.roster_entry.district_id,
        )
    return done
