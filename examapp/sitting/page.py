"""Which page holds an attempt, and what that page reports (departures, copy and paste).

Rules the page relies on (see docs/sitting.md):

- One page saves at a time. Opening the attempt gives the page a live token; a reload in the
  same browser tab is told from another tab, browser or PC by the page's per-tab id (which
  the page reports right after it loads), never by its address: an exam room puts many PCs
  behind one address.
- A page that no longer holds the attempt (taken over, or the attempt closed or voided) is
  refused with ``SaveRefused`` and its reason; a refusal that notices the deadline has passed
  submits the attempt first.

What a page saves is ``saving``'s; handing in is ``handin``'s. Services flush; the caller commits.
"""

import re
import secrets

from sqlalchemy import select, update

from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from .models import Attempt, AttemptEvent, AttemptState, EventKind, SubmitReason
from .services import record_event, submit_attempt

TAB_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_DEPARTURE_MS = 24 * 3600 * 1000


class SaveRefused(DomainError):
    """A request the server will not take; ``reason`` tells the page what to do."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def client_key(address, user_agent):
    """(address, user agent) as the attempt's events store them."""
    return (address, (user_agent or "")[:255] or None)


# --- which page holds the attempt ------------------------------------------------------------


def claim_attempt(attempt, *, address=None, user_agent=None):
    """Make the page being opened the only one that may save; an older page is told it was taken over.

    Until the new page reports its tab (``identify_page``), a page opened from the address and
    browser of the previous one counts as a reload, from anywhere else as a takeover; the tab
    then decides.
    """
    kind, detail = EventKind.OPENED, None
    if attempt.live_token is not None:
        previous = last_client(attempt)
        kind = EventKind.REOPENED if previous == client_key(address, user_agent) else EventKind.TAKEOVER
        detail = {"previous_tab": attempt.live_tab}
    attempt.live_token = secrets.token_urlsafe(24)
    record_event(attempt, kind, address=address, user_agent=user_agent, detail=detail)
    db.session.flush()
    return attempt.live_token


def identify_page(attempt, token, tab):
    """The page holding ``token`` reports the tab it lives in: the opening is a reload when the
    previous page lived in the same tab, a takeover otherwise. Returns the opening's kind."""
    if not isinstance(tab, str) or not TAB_PATTERN.match(tab):
        raise DomainError("页面标识无效")
    exam = db.session.get(Exam, attempt.exam_id)
    check_live(attempt, token, exam)
    opening = db.session.scalar(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind.in_(EventKind.OPENINGS))
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    )
    if attempt.live_tab is not None and opening is not None and (opening.detail or {}).get("tab"):
        return opening.kind  # this page said so already
    attempt.live_tab = tab
    if opening is None:
        return None
    detail = dict(opening.detail or {})
    if "previous_tab" in detail:
        opening.kind = EventKind.REOPENED if detail["previous_tab"] == tab else EventKind.TAKEOVER
    opening.detail = {**detail, "tab": tab}
    db.session.flush()
    return opening.kind


def check_live(attempt, token, exam):
    """Refuse a page that may not save: the attempt voided or closed, or held by another page."""
    if attempt.state == AttemptState.VOIDED:
        raise SaveRefused("该答卷已被作废，不能继续作答", "closed")
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state == AttemptState.SUBMITTED:
        raise SaveRefused("考试时间已到或答卷已提交，不能再修改答案", "closed")
    if not isinstance(token, str) or not token or token != attempt.live_token:
        raise SaveRefused("本场考试已在其他页面或电脑上打开，此页面已停止保存，请关闭此页面", "taken_over")


def page_mode(attempt, token, exam, now):
    """ "open" (before the deadline), "grace" (after it, delivering) or "late" (closed; the page
    that held it delivers); SaveRefused for any other page or a voided attempt."""
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds, now):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state == AttemptState.SUBMITTED and isinstance(token, str) and token == attempt.live_token:
        return "late"
    check_live(attempt, token, exam)
    return "grace" if now > attempt.deadline_at else "open"


def last_client(attempt):
    """(address, user agent) the attempt was last opened or saved from, by its events."""
    row = db.session.execute(
        select(AttemptEvent.client_address, AttemptEvent.user_agent)
        .where(
            AttemptEvent.attempt_id == attempt.id,
            AttemptEvent.kind.in_((*EventKind.OPENINGS, EventKind.ADDRESS_CHANGED)),
        )
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    ).first()
    return tuple(row) if row is not None else None


# --- the page's events --------------------------------------------------------------------------


def report_event(attempt, token, kind, *, address=None, user_agent=None, detail=None):
    """Record what the page saw; at the exam's departure limit the attempt is submitted. Returns True if it was.

    A "return" ends the page's last open departure with its duration (``detail["duration_ms"]``).
    """
    exam = db.session.get(Exam, attempt.exam_id)
    check_live(attempt, token, exam)
    if not isinstance(kind, str) or kind not in EventKind.PAGE_REPORTED:
        raise DomainError("事件类型无效")
    if detail is not None and not isinstance(detail, dict):
        raise DomainError("事件内容无效")
    detail = {str(k)[:30]: str(v)[:100] for k, v in list((detail or {}).items())[:10]} or None
    if kind == EventKind.RETURN:
        _end_departure(attempt, (detail or {}).get("duration_ms"))
        db.session.flush()
        return False
    record_event(attempt, kind, address=address, user_agent=user_agent, detail=detail)
    if kind != EventKind.DEPARTURE:
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


def _end_departure(attempt, duration_ms):
    try:
        duration = int(duration_ms)
    except (TypeError, ValueError):
        raise DomainError("离开时长无效") from None
    if not 0 <= duration <= MAX_DEPARTURE_MS:
        raise DomainError("离开时长无效")
    departure = db.session.scalar(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind == EventKind.DEPARTURE)
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    )
    if departure is not None and departure.duration_ms is None:
        departure.duration_ms = duration
