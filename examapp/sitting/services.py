"""Attempts: starting (the draw), submitting and grading, the overdue sweep, and admin corrections.

Submitting is a conditional UPDATE on the attempt's state, so a double click,
a retry and a race with the sweep grade exactly once; grading happens in the
same transaction as the state change. Services flush; the caller commits.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..audit.services import record_change, register_actions
from ..bank.grading import grade_response
from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus, RosterEntry
from ..exams.paper import draw_paper
from ..extensions import db
from .models import Attempt, AttemptEvent, AttemptItem, AttemptState, SubmitReason
from .saving import (
    answer_age,
    answer_timing,
    clean_response,
    client_key,
    needs_touch,
    paper_rules,
    rule_of,
    touch_attempt,
)

SITTING_ACTION_LABELS = {
    "attempt.reopen": "重新开放答卷",
    "attempt.void": "作废答卷",
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


def start_attempt(exam, user, *, access_code=None, address=None, seed=None, entry=None):
    """The person's attempt, drawing their paper the first time; an existing attempt is returned as it is.

    ``entry``: the person's roster row, when the caller has just read it (``sitting_of``) and
    found no attempt; a start on another page in between is still found, by the unique attempt
    per roster row. The paper is written in one multi-row statement, whatever its length.
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
    seed = secrets.randbits(31) if seed is None else seed
    drawn = draw_paper(exam, seed)
    attempt = Attempt(exam_id=exam.id, roster_entry_id=entry.id, user_id=user.id, started_at=now, seed=seed)
    attempt.deadline_at = attempt.compute_deadline(exam, entry.extra_minutes)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
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
    except IntegrityError:
        # The same person started on another page at the same moment: keep theirs.
        existing = attempt_for(exam, user)
        if existing is None:
            raise
        return existing
    return attempt


def submit_attempt(attempt, reason):
    """Submit and grade; True when this call did it, False when it was already submitted or voided."""
    now = utcnow()
    values = {"state": AttemptState.SUBMITTED, "submitted_at": now, "submit_reason": reason, "live_token": None}
    updated_at = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == AttemptState.IN_PROGRESS)
        .values(**values)
        .returning(Attempt.updated_at)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if updated_at is None:
        db.session.refresh(attempt)
        return False
    # The attempt is now as the UPDATE left it: no need to read it again.
    for key, value in {**values, "updated_at": updated_at}.items():
        set_committed_value(attempt, key, value)
    grade_attempt(attempt)
    record_event(attempt, "submitted", detail={"reason": reason, "score": str(attempt.score)})
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
        select(AttemptItem.id, AttemptItem.points, AttemptItem.response, QuestionVersion.qtype, QuestionVersion.answer)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .with_for_update(of=AttemptItem)
    ).all()
    total = Decimal("0")
    awards = []
    for item_id, points, response, qtype, answer in rows:
        awarded = grade_response(qtype, answer, response, points, multiple_mode=exam.multiple_mode)
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


MAX_REASON_LENGTH = 500


def _require_reason(reason):
    if not (reason or "").strip():
        raise DomainError("请填写原因（将记入操作日志）", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError(f"原因不能超过 {MAX_REASON_LENGTH} 个字", field="reason")


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
    if attempt.state != AttemptState.SUBMITTED:
        raise DomainError("只有已交卷的答卷可以重新开放")
    if exam.status != ExamStatus.PUBLISHED or utcnow() >= exam.closes_at:
        raise DomainError("考试开放时段已结束，不能重新开放答卷")
    entry = db.session.get(RosterEntry, attempt.roster_entry_id)
    if extra_minutes:
        grant_extra_time(actor, exam, [entry], extra_minutes, reason)
    deadline = attempt.compute_deadline(exam, entry.extra_minutes)
    if utcnow() >= deadline:
        raise DomainError("该考生的答题时间已用完，请同时延长时间", field="minutes")
    before = {"state": attempt.state, "score": str(attempt.score)}
    attempt.state, attempt.submitted_at, attempt.submit_reason = AttemptState.IN_PROGRESS, None, None
    attempt.score, attempt.deadline_at, attempt.departures = None, deadline, 0
    for item in attempt.items:
        item.awarded = None
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
    if attempt.state == AttemptState.VOIDED:
        raise DomainError("该答卷已经作废")
    exam = db.session.get(Exam, attempt.exam_id)
    if exam.status == ExamStatus.SEALED:
        raise DomainError("考试成绩已封存，不能作废答卷")
    entry = db.session.get(RosterEntry, attempt.roster_entry_id)
    before = {"state": attempt.state, "score": str(attempt.score) if attempt.score is not None else None}
    attempt.state, attempt.score, attempt.voided_reason, attempt.live_token = AttemptState.VOIDED, None, reason, None
    if attempt.submitted_at is None:
        attempt.submitted_at = utcnow()
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


# --- the examinee's page: taking over, saving, departures ---------------------------

#: how a page came to hold the attempt: first opening, a reload in the same browser, another browser or PC
OPENING_EVENTS = ("opened", "reopened", "takeover")
#: what the page reports; departures count towards the exam's limit
DEPARTURE = "departure"
PAGE_EVENTS = {DEPARTURE, "copy", "paste", "offline", "online"}
MAX_SAVES_PER_REQUEST = 200


class SaveRefused(DomainError):
    """A save the server will not take; ``reason`` tells the page what to do."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def claim_attempt(attempt, *, address=None, user_agent=None):
    """Make the page being opened the only one that may save; an older page is told it was taken over."""
    kind = "opened"
    if attempt.live_token is not None:
        # The same browser on the same PC is a reload; anything else took the attempt over.
        previous = db.session.execute(
            select(AttemptEvent.client_address, AttemptEvent.user_agent)
            .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind.in_(OPENING_EVENTS))
            .order_by(AttemptEvent.id.desc())
            .limit(1)
        ).first()
        same = previous is not None and (previous.client_address, previous.user_agent) == (
            address,
            (user_agent or "")[:255] or None,
        )
        kind = "reopened" if same else "takeover"
    attempt.live_token = secrets.token_urlsafe(24)
    record_event(attempt, kind, address=address, user_agent=user_agent)
    db.session.flush()
    return attempt.live_token


def _check_live(attempt, token, exam):
    if attempt.state == AttemptState.VOIDED:
        raise SaveRefused("该答卷已被作废，不能继续作答", "closed")
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state == AttemptState.SUBMITTED:
        raise SaveRefused("考试时间已到或答卷已提交，不能再修改答案", "closed")
    if not token or token != attempt.live_token:
        raise SaveRefused("本场考试已在其他页面或电脑上打开，此页面已停止保存，请关闭此页面", "taken_over")


def last_client(attempt):
    """(address, user agent) the attempt was last opened or saved from, by its events."""
    row = db.session.execute(
        select(AttemptEvent.client_address, AttemptEvent.user_agent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind.in_((*OPENING_EVENTS, "address_changed")))
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    ).first()
    return tuple(row) if row is not None else None


def note_client(attempt, token, address, user_agent):
    """Record when a page's saves come from another address or browser than the one it was
    opened (or last saved) from: an "address_changed" event with where it came from. The
    process remembers the page's client, so the common save compares and writes nothing."""
    if address is None and user_agent is None:
        return None  # a caller outside a request: nothing to compare
    client = client_key(address, user_agent)
    if paper_rules.client(attempt.id, token) == client:
        return None
    before = last_client(attempt)
    event = None
    if before is not None and before != client:
        event = record_event(
            attempt, "address_changed", address=address, user_agent=user_agent,
            detail={"from": before[0], "from_user_agent": before[1]},
        )
    paper_rules.remember_client(attempt.id, token, client)
    return event


def paper_rules_for(attempt, token):
    """{position: ResponseRule} of the attempt's whole paper, remembered for the page's quick saves."""
    rules = paper_rules.get(attempt.id, token)
    if rules is None:
        rows = db.session.execute(
            select(AttemptItem.position, QuestionVersion.qtype, QuestionVersion.options, QuestionVersion.answer)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == attempt.id)
        ).all()
        rules = {row.position: rule_of(row) for row in rows}
        paper_rules.remember(attempt.id, token, rules)
    return rules


def save_responses(attempt, token, saves, *, address=None, user_agent=None):
    """Apply saves [{seq, position, response, flagged}]; a save older than what an item holds is ignored.

    Returns {"acked": [seq, ...], "stale": [seq, ...]}: both are safe for the page to forget.
    """
    exam = db.session.get(Exam, attempt.exam_id)
    # The attempt row is locked for the rest of the request, so a submit (or the sweep) either
    # comes first and this save is refused, or waits for it and grades what it stored.
    db.session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
    db.session.refresh(attempt)
    _check_live(attempt, token, exam)
    if not isinstance(saves, list) or not saves or len(saves) > MAX_SAVES_PER_REQUEST:
        raise DomainError("保存请求无效")
    rules = paper_rules_for(attempt, token)
    note_client(attempt, token, address, user_agent)
    now = utcnow()
    acked, stale = [], []
    top = 0
    for save in saves:
        if not isinstance(save, dict):
            raise DomainError("保存请求无效")
        seq, position = save.get("seq"), save.get("position")
        if type(seq) is not int or type(position) is not int or seq < 1 or position not in rules:
            raise DomainError("保存请求无效：题号或序号不正确")
        response = clean_response(rules[position], save.get("response"))
        flagged = bool(save.get("flagged", False))
        at = max(now - answer_age(save), attempt.started_at)
        result = db.session.execute(
            update(AttemptItem)
            .where(
                AttemptItem.attempt_id == attempt.id,
                AttemptItem.position == position,
                AttemptItem.response_seq < seq,
                AttemptItem.awarded.is_(None),
            )
            .values(
                response=response, flagged=flagged, response_seq=seq, answered_at=at,
                **answer_timing(AttemptItem.__table__, at if response is not None else None),
            )
            .execution_options(synchronize_session=False)
        )
        (acked if result.rowcount == 1 else stale).append(seq)
        top = max(top, seq)
    # The attempt row is written at most every LAST_SAVE_RESOLUTION (the monitor's "last
    # save"); a page resumes its numbering from the items' own sequence numbers.
    if needs_touch(attempt.last_saved_at, now):
        touch_attempt(attempt.id, now, top)
    db.session.flush()
    return {"acked": acked, "stale": stale}


def report_event(attempt, token, kind, *, address=None, user_agent=None, detail=None):
    """Record what the page saw; at the exam's departure limit the attempt is submitted. Returns True if it was."""
    exam = db.session.get(Exam, attempt.exam_id)
    _check_live(attempt, token, exam)
    if kind not in PAGE_EVENTS:
        raise DomainError("事件类型无效")
    detail = {k: str(v)[:100] for k, v in (detail or {}).items()} if isinstance(detail, dict) else None
    record_event(attempt, kind, address=address, user_agent=user_agent, detail=detail)
    if kind != DEPARTURE:
        db.session.flush()
        return False
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(departures=Attempt.departures + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(attempt)
    if exam.departure_limit and attempt.departures >= exam.departure_limit:
        return submit_attempt(attempt, SubmitReason.DEPARTURES)
    return False


def finish_attempt(attempt, token, saves=None, *, address=None, user_agent=None):
    """The examinee's submit: last saves first (same transaction), then submit and grade. Idempotent."""
    if attempt.state != AttemptState.IN_PROGRESS:
        return False
    if saves:
        save_responses(attempt, token, saves, address=address, user_agent=user_agent)
    else:
        _check_live(attempt, token, db.session.get(Exam, attempt.exam_id))
    reason = SubmitReason.DEADLINE if utcnow() >= attempt.deadline_at else SubmitReason.EXAMINEE
    return submit_attempt(attempt, reason)
