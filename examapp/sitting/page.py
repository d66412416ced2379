"""Which page holds an attempt, and what that page reports (departures, copy and paste).

Rules the page relies on (see docs/sitting.md):

- One page saves at a time. Opening the attempt gives the page a live token; a reload in the
  same browser tab is told from another tab, browser or PC by the page's per-tab id (which
  the page reports right after it loads), never by its address: an exam room puts many PCs
  behind one address.
- The page also reports its browser's device id (one per browser profile, kept in its
  localStorage), with its hello and with every save. It is evidence for the integrity
  analysis only: a missing or malformed one is ignored, never refused.
- A page that no longer holds the attempt (taken over, or the attempt closed or voided) is
  refused with ``SaveRefused`` and its reason; a refusal that notices the deadline has passed
  submits the attempt first.

What a page saves is ``saving``'s; handing in is ``handin``'s. Services flush; the caller commits.
"""

import functools
import re
import secrets

from flask import has_request_context, session
from flask_login import current_user
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.services import SESSION_KEY
from ..clock import utcnow
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


def clean_device(device):
    """The page's device id if it is one (the shape of a tab id), else None: never refused."""
    return device if isinstance(device, str) and TAB_PATTERN.match(device) else None


def page_client(address, user_agent, device):
    """(address, user agent, device id) a page saves from; device None for a page that does not say."""
    return (*client_key(address, user_agent), clean_device(device))


# --- which page holds the attempt ------------------------------------------------------------


def request_login():
    """(login id, session epoch) of the request's logged-in user, or (None, None)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None, None
    sid = session.get(SESSION_KEY)
    return (sid if isinstance(sid, str) else None), current_user.session_epoch


def bind_login(attempt):
    """The page's saves may go lean while the request's login lasts (set when a page claims the
    attempt, and again when a page whose login changed, e.g. after logging in again on the exam
    page, saves the full way)."""
    sid, epoch = request_login()
    if sid is not None and (attempt.live_session_id, attempt.live_epoch) != (sid, epoch):
        attempt.live_session_id, attempt.live_epoch = sid, epoch


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
    # Two Core statements (the attempt page is on exam day's hot path; the ORM's unit of work
    # costs more than they do), and the loaded attempt brought up to date without a read.
    db.session.flush()  # anything the request changed before comes first
    values = {"live_token": secrets.token_urlsafe(24)}
    sid, epoch = request_login()
    if sid is not None:
        values.update(live_session_id=sid, live_epoch=epoch)
    attempts = Attempt.__table__
    updated_at = db.session.execute(
        update(attempts).where(attempts.c.id == attempt.id).values(**values).returning(attempts.c.updated_at)
    ).scalar_one()
    for key, value in {**values, "updated_at": updated_at}.items():
        set_committed_value(attempt, key, value)
    address_key, agent_key = client_key(address, user_agent)
    db.session.execute(
        insert(AttemptEvent.__table__).values(
            attempt_id=attempt.id,
            kind=kind,
            occurred_at=utcnow(),
            client_address=address_key,
            user_agent=agent_key,
            detail=detail,
        )
    )
    return values["live_token"]


def identify_page(attempt, token, tab, device=None):
    """The page holding ``token`` reports the tab it lives in: the opening is a reload when the
    previous page lived in the same tab, a takeover otherwise. Returns the opening's kind.

    ``device``, the browser's device id, is kept beside the tab (``detail["device"]``); one that
    is not a device id is ignored."""
    if not isinstance(tab, str) or not TAB_PATTERN.match(tab):
        raise DomainError("页面标识无效")
    device = clean_device(device)
    exam = db.session.get(Exam, attempt.exam_id)
    check_live(attempt, token, exam)
    opening = db.session.scalar(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind.in_(EventKind.OPENINGS))
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    )
    detail = dict((opening.detail if opening is not None else None) or {})
    if attempt.live_tab is not None and opening is not None and detail.get("tab"):
        # this page said so already; a page that had not said its device then (a page from
        # before device ids, or a hello that carried none) may say it now
        if device is not None and not detail.get("device"):
            opening.detail = {**detail, "device": device}
            db.session.flush()
        return opening.kind
    attempt.live_tab = tab
    if opening is None:
        return None
    if "previous_tab" in detail:
        opening.kind = EventKind.REOPENED if detail["previous_tab"] == tab else EventKind.TAKEOVER
    opening.detail = {**detail, "tab": tab, **({"device": device} if device is not None else {})}
    db.session.flush()
    return opening.kind


def check_live(attempt, token, exam):
    """Refuse a page that may not save: the attempt voided or closed, or held by another page."""
    if attempt.state == AttemptState.VOIDED:
        raise SaveRefused("该答卷已被作废，不能继续作答", "closed")
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state in AttemptState.HANDED_IN:
        raise SaveRefused("考试时间已到或答卷已提交，不能再修改答案", "closed")
    if not isinstance(token, str) or not token or token != attempt.live_token:
        raise SaveRefused("本场考试已在其他页面或电脑上打开，此页面已停止保存，请关闭此页面", "taken_over")


def page_mode(attempt, token, exam, now):
    """ "open" (before the deadline), "grace" (after it, delivering) or "late" (closed; the page
    that held it delivers); SaveRefused for any other page or a voided attempt."""
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds, now):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state in AttemptState.HANDED_IN and isinstance(token, str) and token == attempt.live_token:
        return "late"
    check_live(attempt, token, exam)
    return "grace" if now > attempt.deadline_at else "open"


def last_client(attempt):
    """(address, user agent) the attempt was last opened or saved from, by its events."""
    client = last_page_client(attempt)
    return client[:2] if client is not None else None


def last_page_client(attempt, session=None):
    """(address, user agent, device id) the attempt was last opened or saved from, by its events;
    the device is None when that event does not name one (an old page, or no hello yet)."""
    attempt_id = attempt if isinstance(attempt, int) else attempt.id
    row = (session or db.session).execute(_last_client_query(), {"attempt": attempt_id}).first()
    if row is None:
        return None
    detail = row[2] if isinstance(row[2], dict) else {}
    return (row[0], row[1], clean_device(detail.get("device")))


@functools.cache
def _last_client_query():
    return (
        select(AttemptEvent.client_address, AttemptEvent.user_agent, AttemptEvent.detail)
        .where(
            AttemptEvent.attempt_id == bindparam("attempt"),
            AttemptEvent.kind.in_((*EventKind.OPENINGS, EventKind.ADDRESS_CHANGED)),
        )
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    )


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
