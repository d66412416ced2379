"""The answer path: what a response to each question may be, and how a save is stored.

A save takes one of two paths, side by side below:

- **The quick path** (``quick_save``). Nearly every save on exam day is one answer from a live
  page well before the deadline. That save is done in a single conditional UPDATE that also
  checks, in the database, that the attempt belongs to the user, is in progress, is held by
  this page (its live token) and is before its deadline, and that the item is not graded yet
  (a submit locks the items as it grades them, so a save racing it is either graded or
  refused, never stored ungraded).
- **The full path** (``save_responses``). Whatever the quick path does not take (a batch, a
  stale or replayed save, a takeover, the grace period after the deadline, a save from another
  address, browser or device id, a first save since the page was opened in this process) is
  taken save by save with the attempt row locked: every valid save is stored, a refused one is
  named with its reason, and answers a closed attempt's page delivers late are kept for review
  (``late.store_late``).

Both write an item only when the save's sequence number is newer than the item's, so a stale or
replayed save never overwrites a newer one, and a retried save is acknowledged again.

To check a response without reading the question, each process remembers the shape of
the papers its pages save to: per position, the question type and its number of options
or blanks. A drawn paper never changes, and the memory is keyed by the attempt and the
page's live token, which the UPDATE checks; so a memory that is out of date can never be
applied, it only misses.

Services flush; the caller commits (and acknowledges a save only after the commit).
"""

import functools
import threading
from collections import OrderedDict, namedtuple
from datetime import timedelta

from flask import has_request_context, request
from sqlalchemy import bindparam, case, func, literal, select, update
from sqlalchemy.sql import ClauseElement

from ..auth.models import User, UserSession
from ..bank.content import QType
from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from .late import store_late
from .models import Attempt, AttemptItem, AttemptState, EventKind, own_attempts
from .page import bind_login, last_page_client, page_client, page_mode
from .services import record_event

#: how fresh the attempt's "last saved" time is kept
LAST_SAVE_RESOLUTION = timedelta(seconds=30)
#: answers older than this take the full path, which keeps their time after the attempt's start
QUICK_AGE_LIMIT = timedelta(seconds=60)
#: the oldest answer time a page can claim (longer than any exam)
MAX_AGE_MS = 24 * 3600 * 1000
MAX_BLANK_LENGTH = 200
#: sequence numbers are stored as 32-bit integers; a larger one is no page's
MAX_SEQ = 2**31 - 1
MAX_SAVES_PER_REQUEST = 200
#: an answer's time is never put earlier than this before the page's last recorded save: a
#: page in contact with the server would have sent it then (requests in flight take a while)
CONTACT_TOLERANCE = timedelta(seconds=10)

#: set in the WSGI environ by ``sitting.lean`` when a save it tried goes on to the app
LEAN_DECLINED = "examapp.lean_declined"

#: what a response to one question may be: its type and its number of options and blanks
ResponseRule = namedtuple("ResponseRule", "qtype options blanks")


def rule_of(version):
    """The ResponseRule of a question version (or of a row with qtype, options and answer)."""
    blanks = len(version.answer) if version.qtype == QType.BLANK else 0
    return ResponseRule(version.qtype, len(version.options or ()), blanks)


def clean_response(rule, response):
    """The response in the version's terms, or raise DomainError for something no page would send."""
    if response is None:
        return None
    options = "ABCDEF"[: rule.options]
    if rule.qtype == "single":
        if not isinstance(response, str) or (response and (len(response) != 1 or response not in options)):
            raise DomainError("单选题的答案无效")
        return response or None
    if rule.qtype == "multiple":
        if (
            not isinstance(response, str)
            or any(c not in options for c in response)
            or len(set(response)) != len(response)
        ):
            raise DomainError("多选题的答案无效")
        return "".join(sorted(response)) or None
    if rule.qtype == "judge":
        if response not in ("T", "F", ""):
            raise DomainError("判断题的答案无效")
        return response or None
    if (
        not isinstance(response, list)
        or len(response) != rule.blanks
        or any(not isinstance(part, str) or len(part) > MAX_BLANK_LENGTH for part in response)
    ):
        raise DomainError("填空题的答案无效")
    return response if any(part.strip() for part in response) else None


class PaperRules:
    """A bounded, thread-safe memory: (attempt id, live token) -> {position: ResponseRule}, and the
    client (address, user agent, device id) the page is known to save from."""

    def __init__(self, capacity=20_000):
        self.capacity = capacity
        self._entries = OrderedDict()  # key -> [rules, client]
        self._shared = {}  # one ResponseRule object per distinct rule
        self._lock = threading.Lock()

    def _entry(self, attempt_id, token):
        entry = self._entries.get((attempt_id, token))
        if entry is not None:
            self._entries.move_to_end((attempt_id, token))
        return entry

    def get(self, attempt_id, token):
        with self._lock:
            entry = self._entry(attempt_id, token)
            return entry[0] if entry is not None else None

    def lookup(self, attempt_id, token):
        """(rules, client) of a page, or (None, None): what a quick save needs, under one lock."""
        with self._lock:
            entry = self._entry(attempt_id, token)
            return (entry[0], entry[1]) if entry is not None else (None, None)

    def client(self, attempt_id, token):
        with self._lock:
            entry = self._entry(attempt_id, token)
            return entry[1] if entry is not None else None

    def remember(self, attempt_id, token, rules, client=None):
        with self._lock:
            rules = {position: self._shared.setdefault(rule, rule) for position, rule in rules.items()}
            self._entries[(attempt_id, token)] = [rules, client]
            self._entries.move_to_end((attempt_id, token))
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def remember_client(self, attempt_id, token, client):
        with self._lock:
            entry = self._entry(attempt_id, token)
            if entry is not None:
                entry[1] = client

    def forget_all(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


paper_rules = PaperRules()


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


def same_client(known, client):
    """Whether a save from ``client`` (address, user agent, device id) comes from where the page is
    known to save from. A device id missing on either side (a page from before device ids, an
    opening not yet told its device) is no change by itself."""
    if known is None or known[:2] != client[:2]:
        return False
    return known[2] is None or client[2] is None or known[2] == client[2]


def note_client(attempt, token, address, user_agent, device=None):
    """Record when a page's saves come from another address, browser or device than the one it
    was opened (or last saved) from: an "address_changed" event with where it came from. The
    process remembers the page's client, so the common save compares and writes nothing."""
    if address is None and user_agent is None:
        return None  # a caller outside a request: nothing to compare
    client = page_client(address, user_agent, device)
    if paper_rules.client(attempt.id, token) == client:
        return None
    before = last_page_client(attempt)
    event = None
    if before is not None and not same_client(before, client):
        event = record_event(
            attempt,
            EventKind.ADDRESS_CHANGED,
            address=address,
            user_agent=user_agent,
            detail={
                "from": before[0],
                "from_user_agent": before[1],
                "device": client[2],
                "from_device": before[2],
                "tab": attempt.live_tab,
            },
        )
    paper_rules.remember_client(attempt.id, token, client)
    return event


# --- what every save writes: the answer's time, the item's counts, the attempt's last save -------


def touch_attempt(attempt_id, now, top_seq, session=None):
    """Write the attempt's "last saved" time and highest sequence number (which only ever grows)."""
    (session or db.session).execute(
        update(Attempt)
        .where(Attempt.id == attempt_id)
        .values(last_saved_at=now, last_seq=case((Attempt.last_seq < top_seq, top_seq), else_=Attempt.last_seq))
        .execution_options(synchronize_session=False)
    )


def needs_touch(last_saved_at, now):
    return last_saved_at is None or now - last_saved_at > LAST_SAVE_RESOLUTION


def answer_age(save):
    """How long before its request the page took this answer: the page sends ``age_ms`` (from
    queuing to sending: a slow link, a save waiting for the one before, an offline queue), so an
    item's times are when the examinee answered, not when the request arrived. Anything else
    than a whole number of milliseconds counts as 0: the answer matters more than its time."""
    age = save.get("age_ms", 0)
    if type(age) is not int or age <= 0:
        return timedelta(0)
    return timedelta(milliseconds=min(age, MAX_AGE_MS))


def answer_timing(items, first_answer_at):
    """The SET clauses every save of an item adds: the first answer's time is kept once given
    (``first_answer_at`` is the save's time when it carries an answer, else NULL), and the
    item's saves are counted (the integrity signals: order of answering, time per question)."""
    if not isinstance(first_answer_at, ClauseElement):
        first_answer_at = literal(first_answer_at, type_=items.c.first_answered_at.type)
    return {
        "first_answered_at": func.coalesce(items.c.first_answered_at, first_answer_at),
        "save_count": items.c.save_count + 1,
    }


def answer_time(save, now, attempt):
    """When the examinee gave an answer (full path): its request's time less the age the page
    gives, never before the attempt's start, nor well before the last save the server recorded
    (a page in contact then would have sent an older answer then)."""
    floor = attempt.started_at
    if attempt.last_saved_at is not None:
        floor = max(floor, attempt.last_saved_at - CONTACT_TOLERANCE)
    return max(now - answer_age(save), floor)


# --- the quick path: one statement ---------------------------------------------------------------


def _item_update(live):
    """UPDATE one item if ``live`` (a condition on its attempt) holds, the save is newer and the
    item is not graded; RETURNING the attempt's deadline and last save."""
    attempt_id = bindparam("attempt")
    items = AttemptItem.__table__
    return (
        update(items)
        .where(
            items.c.attempt_id == attempt_id,
            items.c.position == bindparam("pos"),
            items.c.response_seq < bindparam("seq"),
            live,
            # an item is graded only once its attempt is submitted; checked on the item row itself,
            # which a save waiting for a submit's lock re-reads (the subquery above would not)
            items.c.awarded.is_(None),
        )
        .values(
            response=bindparam("answer", type_=items.c.response.type),
            flagged=bindparam("flag"),
            response_seq=bindparam("seq"),
            answered_at=bindparam("at", type_=items.c.answered_at.type),
            **answer_timing(items, bindparam("first", type_=items.c.first_answered_at.type)),
        )
        .returning(
            select(Attempt.deadline_at).where(Attempt.id == attempt_id).scalar_subquery(),
            select(Attempt.last_saved_at).where(Attempt.id == attempt_id).scalar_subquery(),
        )
    )


def _live_attempt(*conditions):
    """The attempt of the save is in progress, held by the page's token and before its deadline."""
    return (
        select(Attempt.id)
        .where(
            Attempt.id == bindparam("attempt"),
            Attempt.state == AttemptState.IN_PROGRESS,
            Attempt.live_token == bindparam("token"),
            Attempt.deadline_at > bindparam("now", type_=Attempt.deadline_at.type),
            *conditions,
        )
        .exists()
    )


@functools.cache
def _quick_update():
    """The one-statement save of a logged-in request: the attempt must be the user's.
    Built once: composing the statement costs more than running it."""
    return _item_update(_live_attempt(own_attempts(bindparam("user_id"))))


def login_live():
    """The login the page was opened under is still live: not logged out, the account enabled and
    its logins not all ended since (a condition on the attempt row)."""
    return (
        select(UserSession.id)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.id == Attempt.live_session_id,
            User.id == Attempt.user_id,
            User.is_enabled.is_(True),
            User.session_epoch == Attempt.live_epoch,
        )
        .exists()
    )


@functools.cache
def _lean_update():
    """The one-statement save of a page speaking with its token alone (``sitting.lean``)."""
    return _item_update(_live_attempt(login_live()))


@functools.cache
def _lean_paper():
    """The shape of a live page's paper (``paper_rules_for``), read only if the page may save."""
    return (
        select(AttemptItem.position, QuestionVersion.qtype, QuestionVersion.options, QuestionVersion.answer)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == bindparam("attempt"), _live_attempt(login_live()))
    )


def learn_page(session, attempt_id, token, client, now):
    """A page's first save in this process, on the lean path: learn the page's paper and client,
    if the page may save now and saves from where it was opened (or last saved from). True if
    learned; otherwise the app's full path decides (and records a change of client)."""
    rows = session.execute(_lean_paper(), {"attempt": attempt_id, "token": token, "now": now}).all()
    if not rows:
        return False
    before = last_page_client(attempt_id, session)
    if before is not None and not same_client(before, client):
        return False
    paper_rules.remember(attempt_id, token, {row.position: rule_of(row) for row in rows}, client)
    return True


def quick_plan(attempt_id, payload, client, now):
    """The statement parameters of a save the one-statement path can take, or None (nothing to
    do here: the full path decides). ``client``: the request's ``page_client``; a save from
    another client than the page's known one goes the full way, which records the change."""
    token, saves = payload.get("token"), payload.get("saves")
    if not isinstance(token, str) or not isinstance(saves, list) or len(saves) != 1 or not isinstance(saves[0], dict):
        return None
    save = saves[0]
    seq, position = save.get("seq"), save.get("position")
    if type(seq) is not int or type(position) is not int or not 1 <= seq <= MAX_SEQ:
        return None
    rules, known_client = paper_rules.lookup(attempt_id, token)
    rule = rules.get(position) if rules is not None else None
    if rule is None or (client is not None and known_client != client):
        return None
    try:
        response = clean_response(rule, save.get("response"))
    except DomainError:
        return None
    flagged = save.get("flagged", False)
    if not isinstance(flagged, bool):
        return None
    age = answer_age(save)
    if age > QUICK_AGE_LIMIT:
        return None  # answered long ago (queued offline): the full path bounds it by the start
    at = now - age
    return {
        "attempt": attempt_id,
        "pos": position,
        "seq": seq,
        "token": token,
        "now": now,
        "at": at,
        "answer": response,
        "flag": flagged,
        "first": at if response is not None else None,
    }


def run_quick(session, statement, params):
    """Run a planned one-statement save in ``session``; the reply (acked, stale, seconds_left),
    or None when the statement took nothing (the full path must decide)."""
    row = session.execute(statement, params).first()
    if row is None:
        return None
    now, seq = params["now"], params["seq"]
    deadline_at, last_saved_at = row
    if needs_touch(last_saved_at, now):
        touch_attempt(params["attempt"], now, seq, session=session)
    return {"acked": [seq], "stale": [], "seconds_left": max(0, int((deadline_at - now).total_seconds()))}


def quick_save(attempt_id, user, payload, client=None):
    """Try the common save of a logged-in request in one statement. Returns the reply (acked,
    stale, seconds_left), or None when ``save_responses`` must decide; nothing has been changed
    in that case."""
    if has_request_context() and request.environ.get(LEAN_DECLINED):
        # the same statement was tried on the page's token before the app (``sitting.lean``) and
        # took nothing: the full path says why, and binds the page to this request's login
        return None
    params = quick_plan(attempt_id, payload, client, utcnow())
    if params is None:
        return None
    return run_quick(db.session, _quick_update(), {**params, "user_id": user.id})


def lean_save(session, attempt_id, payload, client, now):
    """The page's save with its token alone (no session, see ``sitting.lean``): the reply, or
    None when the full path must decide; nothing has been changed in that case."""
    token, saves = payload.get("token"), payload.get("saves")
    single = isinstance(token, str) and isinstance(saves, list) and len(saves) == 1
    if (
        single
        and paper_rules.get(attempt_id, token) is None
        and not learn_page(session, attempt_id, token, client, now)
    ):
        return None
    params = quick_plan(attempt_id, payload, client, now)
    if params is None:
        return None
    return run_quick(session, _lean_update(), params)


# --- the full path: save by save, the attempt locked ---------------------------------------------


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


def save_responses(attempt, token, saves, *, address=None, user_agent=None, device=None, evidence=None):
    """Apply saves [{seq, position, response, flagged, age_ms}]; each is taken or refused on its own.

    Returns {"acked", "stale", "late": [seq, ...], "refused": [{seq, position, reason, error}],
    "closed": bool}: acked and stale saves are stored or superseded, late ones are kept for
    review; all of these and the refused ones are done with, and the page may forget them.
    ``evidence``: the page's account of its link, {"offline_ms", "online_ms"} (ages).
    ``device``: the browser's device id the page sends (see ``note_client``); ignored if malformed.
    """
    exam = db.session.get(Exam, attempt.exam_id)
    # The attempt row is locked for the rest of the request, so a submit (or the sweep) either
    # comes first and this save is refused, or waits for it and grades what it stored.
    db.session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
    db.session.refresh(attempt)
    now = utcnow()
    mode = page_mode(attempt, token, exam, now)
    if not isinstance(saves, list) or not saves or len(saves) > MAX_SAVES_PER_REQUEST:
        raise DomainError("保存请求无效")
    rules = paper_rules_for(attempt, token)
    bind_login(attempt)  # the page speaks under this login now: its next saves may go lean
    note_client(attempt, token, address, user_agent, device)
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
