"""The examinee's hand-in: the page's last saves, then the hand-in, in one transaction.

The hand-in answers before the score exists: the attempt goes to ``grading`` and is graded right
after the commit (``grading``). Idempotent: a double click or a retry hands in once and is
graded once. Services flush; the caller commits.
"""

from datetime import timedelta

from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from .grading import grade_pending, hand_in
from .models import AttemptState, SubmitReason
from .page import page_client, page_mode
from .saving import quick_save, save_responses

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
