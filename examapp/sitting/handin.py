"""The examinee's hand-in: the page's last saves, then submit and grade, in one transaction.

Idempotent: a double click or a retry grades once (``Attempt.submit``). Services flush; the
caller commits.
"""

from datetime import timedelta

from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from .models import AttemptState, SubmitReason
from .page import page_mode
from .saving import save_responses
from .services import submit_attempt

#: a page whose countdown ran out hands in "time up"; within this of the server's deadline the
#: server agrees, further from it the page was behind (extra time granted) and goes on
TIME_UP_TOLERANCE = timedelta(seconds=5)


def finish_attempt(
    attempt, token, saves=None, *, time_up=False, address=None, user_agent=None, device=None, evidence=None
):
    """The examinee's hand-in: the last saves first (same transaction), then submit and grade.

    Idempotent. Returns the saves' result (see ``saving.save_responses``) with "submitted":
    whether the attempt is now submitted. A page whose countdown ran out (``time_up``) well
    before the server's deadline (extra time it has not heard of) is not submitted: it goes on.
    """
    result = {"acked": [], "stale": [], "late": [], "refused": [], "closed": False}
    if saves is not None and not isinstance(saves, list):
        raise DomainError("交卷请求无效")
    if attempt.state == AttemptState.SUBMITTED and not saves:
        return {**result, "submitted": True}
    if saves:
        result = save_responses(
            attempt, token, saves, address=address, user_agent=user_agent, device=device, evidence=evidence
        )
    else:
        page_mode(attempt, token, db.session.get(Exam, attempt.exam_id), utcnow())
    if attempt.state != AttemptState.IN_PROGRESS:
        return {**result, "submitted": attempt.state == AttemptState.SUBMITTED}
    now = utcnow()
    if time_up and now < attempt.deadline_at - TIME_UP_TOLERANCE:
        return {**result, "submitted": False}
    reason = SubmitReason.DEADLINE if time_up or now >= attempt.deadline_at else SubmitReason.EXAMINEE
    submit_attempt(attempt, reason)
    return {**result, "submitted": True}
