"""The examinee's page: which page holds the attempt, saving its answers, its events, handing in.

Rules the page relies on (see docs/sitting.md):

- One page saves at a time. Opening the attempt gives the page a live token; a reload in the
  same browser tab is told from another tab, browser or PC by the page's per-tab id (which
  the page reports right after it loads), never by its address: an exam room puts many PCs
  behind one address.
- A batch of saves is taken save by save: every valid save is stored, and a refused one is
  named with its reason, so the page drops only that one.
- The grace period after the deadline is for delivering answers given before it. An answer
  given after the deadline is refused; answers given before the close that arrive after it
  (a link down across the deadline) are kept as late deliveries for an administrator.

Services flush; the caller commits.
"""

import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from .late import store_late
from .models import Attempt, AttemptEvent, AttemptItem, AttemptState, SubmitReason
from .saving import (
    MAX_AGE_MS,
    MAX_SEQ,
    answer_age,
    answer_timing,
    clean_response,
    client_key,
    needs_touch,
    paper_rules,
    rule_of,
    touch_attempt,
)
from .services import record_event, submit_attempt

#: how a page came to hold the attempt: first opening, a reload in the same tab, another tab or PC
OPENING_EVENTS = ("opened", "reopened", "takeover")
#: what the page reports; departures count towards the exam's limit, "return" ends one
DEPARTURE = "departure"
RETURN = "return"
PAGE_EVENTS = {DEPARTURE, RETURN, "copy", "paste", "offline", "online"}
MAX_SAVES_PER_REQUEST = 200
#: an answer's time is never put earlier than this before the page's last recorded save: a
#: page in contact with the server would have sent it then (requests in flight take a while)
CONTACT_TOLERANCE = timedelta(seconds=10)
#: a page whose countdown ran out hands in "time up"; within this of the server's deadline the
#: server agrees, further from it the page was behind (extra time granted) and goes on
TIME_UP_TOLERANCE = timedelta(seconds=5)
TAB_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_DEPARTURE_MS = 24 * 3600 * 1000


class SaveRefused(DomainError):
    """A request the server will not take; ``reason`` tells the page what to do."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


# --- which page holds the attempt ------------------------------------------------------------


def claim_attempt(attempt, *, address=None, user_agent=None):
    """Make the page being opened the only one that may save; an older page is told it was taken over.

    Until the new page reports its tab (``identify_page``), a page opened from the address and
    browser of the previous one counts as a reload, from anywhere else as a takeover; the tab
    then decides.
    """
    kind, detail = "opened", None
    if attempt.live_token is not None:
        previous = last_client(attempt)
        kind = "reopened" if previous == client_key(address, user_agent) else "takeover"
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
    _check_live(attempt, token, exam)
    opening = db.session.scalar(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind.in_(OPENING_EVENTS))
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
        opening.kind = "reopened" if detail["previous_tab"] == tab else "takeover"
    opening.detail = {**detail, "tab": tab}
    db.session.flush()
    return opening.kind


def _check_live(attempt, token, exam):
    """Refuse a page that may not save: the attempt voided or closed, or held by another page."""
    if attempt.state == AttemptState.VOIDED:
        raise SaveRefused("该答卷已被作废，不能继续作答", "closed")
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state == AttemptState.SUBMITTED:
        raise SaveRefused("考试时间已到或答卷已提交，不能再修改答案", "closed")
    if not isinstance(token, str) or not token or token != attempt.live_token:
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
            attempt,
            "address_changed",
            address=address,
            user_agent=user_agent,
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


# --- saving ------------------------------------------------------------------------------------


def _refusal(save, reason, message):
    seq = save.get("seq") if isinstance(save, dict) else None
    position = save.get("position") if isinstance(save, dict) else None
    return {
        "seq": seq if type(seq) is int else None,
        "position": position if type(position) is int else None,
        "reason": reason,
        "error": message,
    }


def _ms_ago(value, now):
    """A time the page gives as milliseconds before its request, or None."""
    if type(value) is not int or not 0 <= value <= MAX_AGE_MS:
        return None
    return now - timedelta(milliseconds=value)


def _parse_saves(saves, rules):
    """Each save as (seq, position, response, flagged, save) or a refusal naming it."""
    parsed, refused = [], []
    for save in saves:
        if not isinstance(save, dict):
            refused.append(_refusal(save, "invalid", "保存请求中有一条格式不正确"))
            continue
        seq, position = save.get("seq"), save.get("position")
        if type(seq) is not int or type(position) is not int or not 1 <= seq <= MAX_SEQ or position not in rules:
            refused.append(_refusal(save, "invalid", "题号或序号不正确"))
            continue
        try:
            response = clean_response(rules[position], save.get("response"))
        except DomainError as exc:
            refused.append(_refusal(save, "invalid", f"第 {position} 题：{exc.message}"))
            continue
        flagged = save.get("flagged", False)
        if not isinstance(flagged, bool):
            refused.append(_refusal(save, "invalid", f"第 {position} 题：标记无效"))
            continue
        parsed.append((seq, position, response, flagged, save))
    return parsed, refused


def answer_time(save, now, attempt):
    """When the examinee gave an answer: its request's time less the age the page gives, never
    before the attempt's start, nor well before the last save the server recorded (a page in
    contact then would have sent an older answer then)."""
    floor = attempt.started_at
    if attempt.last_saved_at is not None:
        floor = max(floor, attempt.last_saved_at - CONTACT_TOLERANCE)
    return max(now - answer_age(save), floor)


def _write_item(attempt, seq, position, response, flagged, at):
    """Store one answer unless the item holds a newer one or is graded; True if it was stored."""
    result = db.session.execute(
        update(AttemptItem)
        .where(
            AttemptItem.attempt_id == attempt.id,
            AttemptItem.position == position,
            AttemptItem.response_seq < seq,
            AttemptItem.awarded.is_(None),
        )
        .values(
            response=response,
            flagged=flagged,
            response_seq=seq,
            answered_at=at,
            **answer_timing(AttemptItem.__table__, at if response is not None else None),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _page_mode(attempt, token, exam, now):
    """ "open" (before the deadline), "grace" (after it, delivering) or "late" (closed; the page
    that held it delivers); SaveRefused for any other page or a voided attempt."""
    if attempt.state == AttemptState.IN_PROGRESS and attempt.is_overdue(exam.grace_seconds, now):
        submit_attempt(attempt, SubmitReason.DEADLINE)
    if attempt.state == AttemptState.SUBMITTED and isinstance(token, str) and token == attempt.live_token:
        return "late"
    _check_live(attempt, token, exam)
    return "grace" if now > attempt.deadline_at else "open"


def save_responses(attempt, token, saves, *, address=None, user_agent=None, evidence=None):
    """Apply saves [{seq, position, response, flagged, age_ms}]; each is taken or refused on its own.

    Returns {"acked", "stale", "late": [seq, ...], "refused": [{seq, position, reason, error}],
    "closed": bool}: acked and stale saves are stored or superseded, late ones are kept for
    review; all of these and the refused ones are done with, and the page may forget them.
    ``evidence``: the page's account of its link, {"offline_ms", "online_ms"} (ages).
    """
    exam = db.session.get(Exam, attempt.exam_id)
    # The attempt row is locked for the rest of the request, so a submit (or the sweep) either
    # comes first and this save is refused, or waits for it and grades what it stored.
    db.session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
    db.session.refresh(attempt)
    now = utcnow()
    mode = _page_mode(attempt, token, exam, now)
    if not isinstance(saves, list) or not saves or len(saves) > MAX_SAVES_PER_REQUEST:
        raise DomainError("保存请求无效")
    rules = paper_rules_for(attempt, token)
    note_client(attempt, token, address, user_agent)
    parsed, refused = _parse_saves(saves, rules)
    result = {"acked": [], "stale": [], "late": [], "refused": refused, "closed": mode == "late"}
    if mode == "late":
        evidence = evidence if isinstance(evidence, dict) else {}
        store_late(
            attempt,
            [
                (seq, position, response, flagged, answer_time(save, now, attempt))
                for seq, position, response, flagged, save in parsed
            ],
            result,
            now=now,
            address=address,
            offline_at=_ms_ago(evidence.get("offline_ms"), now),
            online_at=_ms_ago(evidence.get("online_ms"), now),
        )
        db.session.flush()
        return result
    top = 0
    for seq, position, response, flagged, save in parsed:
        at = answer_time(save, now, attempt)
        if mode == "grace" and at > attempt.deadline_at:
            refused.append(_refusal(save, "after_deadline", f"第 {position} 题的答案是在考试时间结束后作出的，未保存"))
            continue
        stored = _write_item(attempt, seq, position, response, flagged, at)
        (result["acked"] if stored else result["stale"]).append(seq)
        top = max(top, seq)
    # The attempt row is written at most every LAST_SAVE_RESOLUTION (the monitor's "last
    # save"); a page resumes its numbering from the items' own sequence numbers. After the
    # deadline every save writes it: it bounds the answer times later saves may claim.
    if top and (mode == "grace" or needs_touch(attempt.last_saved_at, now)):
        touch_attempt(attempt.id, now, top)
    db.session.flush()
    return result


# --- the page's events --------------------------------------------------------------------------


def report_event(attempt, token, kind, *, address=None, user_agent=None, detail=None):
    """Record what the page saw; at the exam's departure limit the attempt is submitted. Returns True if it was.

    A "return" ends the page's last open departure with its duration (``detail["duration_ms"]``).
    """
    exam = db.session.get(Exam, attempt.exam_id)
    _check_live(attempt, token, exam)
    if not isinstance(kind, str) or kind not in PAGE_EVENTS:
        raise DomainError("事件类型无效")
    if detail is not None and not isinstance(detail, dict):
        raise DomainError("事件内容无效")
    detail = {str(k)[:30]: str(v)[:100] for k, v in list((detail or {}).items())[:10]} or None
    if kind == RETURN:
        _end_departure(attempt, (detail or {}).get("duration_ms"))
        db.session.flush()
        return False
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


def _end_departure(attempt, duration_ms):
    try:
        duration = int(duration_ms)
    except (TypeError, ValueError):
        raise DomainError("离开时长无效") from None
    if not 0 <= duration <= MAX_DEPARTURE_MS:
        raise DomainError("离开时长无效")
    departure = db.session.scalar(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind == DEPARTURE)
        .order_by(AttemptEvent.id.desc())
        .limit(1)
    )
    if departure is not None and departure.duration_ms is None:
        departure.duration_ms = duration


# --- handing in -----------------------------------------------------------------------------------


def finish_attempt(attempt, token, saves=None, *, time_up=False, address=None, user_agent=None, evidence=None):
    """The examinee's hand-in: the last saves first (same transaction), then submit and grade.

    Idempotent. Returns the saves' result (see ``save_responses``) with "submitted": whether
    the attempt is now submitted. A page whose countdown ran out (``time_up``) well before the
    server's deadline (extra time it has not heard of) is not submitted: it goes on.
    """
    result = {"acked": [], "stale": [], "late": [], "refused": [], "closed": False}
    if saves is not None and not isinstance(saves, list):
        raise DomainError("交卷请求无效")
    if attempt.state == AttemptState.SUBMITTED and not saves:
        return {**result, "submitted": True}
    if saves:
        result = save_responses(attempt, token, saves, address=address, user_agent=user_agent, evidence=evidence)
    else:
        _page_mode(attempt, token, db.session.get(Exam, attempt.exam_id), utcnow())
    if attempt.state != AttemptState.IN_PROGRESS:
        return {**result, "submitted": attempt.state == AttemptState.SUBMITTED}
    now = utcnow()
    if time_up and now < attempt.deadline_at - TIME_UP_TOLERANCE:
        return {**result, "submitted": False}
    reason = SubmitReason.DEADLINE if time_up or now >= attempt.deadline_at else SubmitReason.EXAMINEE
    submit_attempt(attempt, reason)
    return {**result, "submitted": True}
