"""The examinee's hand-in: the page's last saves, then the hand-in, in one transaction.

The hand-in answers before the score exists: the attempt goes to ``grading`` and is graded right
after the commit (``grading``). Idempotent: a double click or a retry hands in once and is
graded once. Services flush; the caller commits.
"""

import functools
from datetime import timedelta

from sqlalchemy import bindparam, insert, update

from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from .grading import after_hand_in, grade_pending, hand_in
from .models import Attempt, AttemptEvent, AttemptState, EventKind, SubmitReason
from .page import page_client, page_mode
from .saving import lean_save, login_live, quick_save, save_responses

#: a page whose countdown ran out hands in "time up"; within this of the server's deadline the
#: server agrees, further from it the page was behind (extra time granted) and goes on
TIME_UP_TOLERANCE = timedelta(seconds=5)
#: the states of an attempt handed in: graded, or being graded
HANDED_IN = (AttemptState.GRADING, AttemptState.SUBMITTED)


def finish_attempt(
    attempt, token, saves=None, *, time_up=False, address=None, user_agent=None, device=None, evidence=None
):
    """The examinee's hand-in: the last saves first (same transaction), then the hand-in.

    Idempotent. Returns the saves' result (see ``saving.save_responses``) with "submitted":
    whether the attempt is now handed in (graded, or being graded). A page whose countdown ran out (``time_up``) well
    before the server's deadline (extra time it has not heard of) is not submitted: it goes on.
    """
    result = {"acked": [], "stale": [], "late": [], "refused": [], "closed": False}
    if saves is not None and not isinstance(saves, list):
        raise DomainError("交卷请求无效")
    if attempt.state in HANDED_IN and not saves:
        return {**result, "submitted": True}
    if attempt.state == AttemptState.GRADING:
        # a retry carrying saves: grade first, so that its saves are taken as a closed
        # attempt's (kept for review), never written into the handed-in answers
        grade_pending(attempt_id=attempt.id)
        db.session.refresh(attempt)
    quick = _quick_last_save(attempt, token, saves, address, user_agent, device) if saves else None
    if quick is not None:
        result = {**result, "acked": quick["acked"], "stale": quick["stale"]}
    elif saves:
        result = save_responses(
            attempt, token, saves, address=address, user_agent=user_agent, device=device, evidence=evidence
        )
    else:
        page_mode(attempt, token, db.session.get(Exam, attempt.exam_id), utcnow())
    if attempt.state != AttemptState.IN_PROGRESS:
        return {**result, "submitted": attempt.state in HANDED_IN}
    now = utcnow()
    if time_up and now < attempt.deadline_at - TIME_UP_TOLERANCE:
        return {**result, "submitted": False}
    reason = SubmitReason.DEADLINE if time_up or now >= attempt.deadline_at else SubmitReason.EXAMINEE
    hand_in(attempt, reason, now)
    return {**result, "submitted": True}


def _quick_last_save(attempt, token, saves, address, user_agent, device):
    """The page's one last answer in one statement (``saving.quick_save``): it checks, in the
    database, that the attempt is in progress, held by this token and before its deadline. The
    reply, or None when the full path must decide (nothing changed then)."""
    payload = {"token": token, "saves": saves}
    return quick_save(attempt.id, attempt.user, payload, page_client(address, user_agent, device))


# --- the lean hand-in: the page's token alone (``sitting.lean``) ----------------------------------


@functools.cache
def _lean_hand_in(time_up):
    """In progress -> grading, if the page holds the attempt under a live login and it is before the
    deadline (a "time up" within TIME_UP_TOLERANCE of it: a page further behind goes on, which
    the app says). Built once per kind."""
    attempts = Attempt.__table__
    # on the row itself, not in a subquery: PostgreSQL re-checks these after waiting for the row's
    # lock (a void, an administrator's hand-in or a retried one committing first refuses this one)
    conditions = [
        attempts.c.id == bindparam("attempt"),
        attempts.c.state == AttemptState.IN_PROGRESS,
        attempts.c.live_token == bindparam("token"),
        attempts.c.deadline_at > bindparam("now", type_=attempts.c.deadline_at.type),
        login_live(),
    ]
    if time_up:
        conditions.append(attempts.c.deadline_at <= bindparam("tolerance_at", type_=attempts.c.deadline_at.type))
    return (
        update(attempts)
        .where(*conditions)
        .values(
            state=AttemptState.GRADING,
            submitted_at=bindparam("now", type_=attempts.c.submitted_at.type),
            submit_reason=SubmitReason.DEADLINE if time_up else SubmitReason.EXAMINEE,
        )
        .returning(attempts.c.id)
    )


def lean_finish(session, attempt_id, payload, client, now):
    """The page's hand-in on its token alone: its one last answer (if any) in one statement, then
    the hand-in in two (the state, the event). Returns the reply's body, or None when the app's
    hand-in must decide (anything but an open attempt before its deadline, held by this page under
    a live login, with at most one answer the one-statement save takes); nothing is changed then."""
    saves, time_up = payload.get("saves"), payload.get("time_up", False)
    if not isinstance(time_up, bool) or (saves is not None and not isinstance(saves, list)):
        return None
    acked = []
    if saves:
        if len(saves) != 1:
            return None
        saved = lean_save(session, attempt_id, payload, client, now)
        if saved is None or not saved["acked"]:
            return None
        acked = saved["acked"]
    params = {"attempt": attempt_id, "token": payload.get("token"), "now": now}
    if time_up:
        params["tolerance_at"] = now + TIME_UP_TOLERANCE
    if session.execute(_lean_hand_in(time_up), params).first() is None:
        return None
    reason = SubmitReason.DEADLINE if time_up else SubmitReason.EXAMINEE
    session.execute(
        insert(AttemptEvent.__table__).values(
            attempt_id=attempt_id, kind=EventKind.SUBMITTED, occurred_at=now, detail={"reason": reason}
        )
    )
    after_hand_in(session, attempt_id)
    return {"status": "submitted", "acked": acked, "stale": [], "late": [], "refused": []}
