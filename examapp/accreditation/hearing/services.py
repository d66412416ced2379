"""一听 (hearing): the unit's report and residents' satisfaction.

Satisfaction is (satisfied + basically satisfied) / asked, computed exactly (a Fraction),
kept floored to six places and shown floored to two decimals of a percent, so a shown
figure never rounds up across the pass line; a unit passes when the exact rate is at least
the cycle's ``satisfaction_required`` (exactly the line passes). The counts come either from
the team's own survey or from the public questionnaire residents answer on a link or QR
code: one response per device (a keyed hash of a long-lived cookie), no login, and at most
a few responses per client address in a window (a flood from one address is refused).
"""

import hashlib
import hmac
import io
import secrets
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import segno
from flask import current_app, has_request_context, url_for
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...audit.services import record_change, register_actions
from ...clock import local_today, utcnow
from ...cycles.services import add_entry
from ...errors import DomainError
from ...extensions import db
from ...numbers import percent
from ...reasons import MAX_REASON_LENGTH, too_long
from ..outcomes import CheckOutcome, floor_rate, percent_shown
from .models import Answer, Hearing, QuestionnaireResponse, SatisfactionSource

NAME = "一听"
#: the one question of the public questionnaire
QUESTION = "对本社区（街道、乡镇）劳动保障工作是否满意？"
MAX_SUMMARY_LENGTH = 5000
#: a resident's comment on the questionnaire: as long as a reason in the record
MAX_COMMENT_LENGTH = MAX_REASON_LENGTH
#: a survey larger than this is a typing mistake
MAX_COUNT = 100_000
#: default flood limit: accepted responses per client address per window (minutes)
DEFAULT_RESPONSES_PER_ADDRESS = 30
DEFAULT_RESPONSE_WINDOW_MINUTES = 10
RATE_PLACES = Decimal("0.000001")

ALREADY_RESPONDED = "本设备已提交过问卷，感谢参与"

COUNT_LABELS = {
    "asked": "调查人数",
    "satisfied": "满意人数",
    "basically_satisfied": "基本满意人数",
    "dissatisfied": "不满意人数",
}

register_actions(
    {
        "hearing.record": "记录一听",
        "hearing.change": "修改一听",
        "questionnaire.open": "开启居民问卷",
        "questionnaire.close": "关闭居民问卷",
    }
)


class AlreadyResponded(DomainError):
    """This device has answered this questionnaire before."""


class TooManyResponses(DomainError):
    """Too many responses from one client address in the window."""


# --- the figures ---------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    asked: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int

    @property
    def rate(self):
        """(satisfied + basically satisfied) / asked, exact; None when nobody was asked."""
        if self.asked <= 0:
            return None
        return Fraction(self.satisfied + self.basically_satisfied, self.asked)


def validate_counts(asked, satisfied, basically_satisfied, dissatisfied):
    """The survey's counts as Counts, or a DomainError naming the field that is wrong."""
    values = {
        "asked": asked,
        "satisfied": satisfied,
        "basically_satisfied": basically_satisfied,
        "dissatisfied": dissatisfied,
    }
    for field, value in values.items():
        label = COUNT_LABELS[field]
        if value is None or value == "":
            raise DomainError(f"请填写{label}", field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError(f"{label}应为整数", field)
        if value < 0:
            raise DomainError(f"{label}不能为负数", field)
        if value > MAX_COUNT:
            raise DomainError(f"{label}不能超过 {MAX_COUNT}", field)
    if asked == 0:
        raise DomainError("调查人数应大于 0", "asked")
    parts = satisfied + basically_satisfied + dissatisfied
    if parts != asked:
        raise DomainError(f"满意、基本满意、不满意人数之和（{parts}）应等于调查人数（{asked}）", "asked")
    return Counts(**values)


def required_shown(required):
    """The pass line as a percent without trailing zeros: 0.900 -> "90%", 0.925 -> "92.5%"."""
    return percent(required)


def is_passing(rate, required):
    """Exactly the line passes; compared exactly, never in floats."""
    return Fraction(rate) >= Fraction(Decimal(required))


def judgement_text(counts, required):
    """What the record entry says: "满意率 93.54%（满意 80、基本满意 7、不满意 6，共 93 人），达到 90% 的要求"."""
    rate = counts.rate
    verdict = "达到" if is_passing(rate, required) else "未达到"
    return (
        f"满意率 {percent_shown(rate)}（满意 {counts.satisfied}、基本满意 {counts.basically_satisfied}、"
        f"不满意 {counts.dissatisfied}，共 {counts.asked} 人），{verdict} {required_shown(required)} 的要求"
    )


def recorded_counts(hearing):
    """The counts the hearing was recorded with, or None."""
    if hearing is None or not hearing.is_recorded:
        return None
    return Counts(hearing.asked, hearing.satisfied, hearing.basically_satisfied, hearing.dissatisfied)


# --- reading --------------------------------------------------------------------


def hearing_of(record):
    return db.session.scalar(select(Hearing).where(Hearing.record_id == record.id))


def response_counts(hearing):
    """The questionnaire's responses so far, as Counts (asked = every response)."""
    by_answer = {Answer.SATISFIED: 0, Answer.BASIC: 0, Answer.DISSATISFIED: 0}
    if hearing is not None and hearing.id is not None:
        rows = db.session.execute(
            select(QuestionnaireResponse.answer, func.count())
            .where(QuestionnaireResponse.hearing_id == hearing.id)
            .group_by(QuestionnaireResponse.answer)
        )
        for answer, n in rows:
            by_answer[answer] = by_answer.get(answer, 0) + n
    return Counts(
        asked=sum(by_answer.values()),
        satisfied=by_answer[Answer.SATISFIED],
        basically_satisfied=by_answer[Answer.BASIC],
        dissatisfied=by_answer[Answer.DISSATISFIED],
    )


def recent_comments(hearing, limit=100):
    """Residents' comments, newest first (responses without one are left out)."""
    if hearing is None:
        return []
    return db.session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.hearing_id == hearing.id, QuestionnaireResponse.comment != "")
        .order_by(QuestionnaireResponse.id.desc())
        .limit(limit)
    ).all()


def open_questionnaire_by_token(token):
    """The hearing whose questionnaire takes answers on ``token``, or None (unknown or closed)."""
    if not token or len(token) > 64:
        return None
    hearing = db.session.scalar(select(Hearing).where(Hearing.questionnaire_token == token))
    if hearing is None or not hearing.questionnaire_open:
        return None
    return hearing


# --- recording the hearing --------------------------------------------------------


def _snapshot(hearing):
    return {
        "report_date": hearing.report_date.isoformat() if hearing.report_date else None,
        "report_summary": hearing.report_summary,
        "source": hearing.source,
        "asked": hearing.asked,
        "satisfied": hearing.satisfied,
        "basically_satisfied": hearing.basically_satisfied,
        "dissatisfied": hearing.dissatisfied,
        "satisfaction_rate": str(hearing.satisfaction_rate) if hearing.satisfaction_rate is not None else None,
        "passed": hearing.passed,
    }


def _today():
    return local_today()


def _check_report(report_date, report_summary):
    if not isinstance(report_date, date):
        raise DomainError("请填写汇报日期", "report_date")
    if report_date > _today():
        raise DomainError("汇报日期不能晚于今天", "report_date")
    summary = (report_summary or "").strip()
    if not summary:
        raise DomainError("请填写汇报要点", "report_summary")
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise DomainError(f"汇报要点不能超过 {MAX_SUMMARY_LENGTH} 字", "report_summary")
    return summary


def record_hearing(actor, record, *, report_date, report_summary, source, counts=None, reason=None):
    """Record (or change) the hearing of ``record``'s unit.

    ``counts``: (asked, satisfied, basically satisfied, dissatisfied) of the team's survey
    (source survey); for the questionnaire they are counted from the responses, and the
    questionnaire is closed, so the figures recorded are the final ones. A change of a recorded
    hearing needs a ``reason``. Writes a record entry and an audit entry; returns
    (hearing, entry), entry None when nothing changed.
    """
    summary = _check_report(report_date, report_summary)
    if source not in SatisfactionSource.LABELS:
        raise DomainError("请选择满意度来源", "source")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise DomainError(too_long("修改原因"), "reason")
    hearing = hearing_of(record)
    if source == SatisfactionSource.QUESTIONNAIRE:
        if hearing is None or hearing.questionnaire_token is None:
            raise DomainError("还没有开启居民问卷，不能按问卷结果记录", "source")
        figures = response_counts(hearing)
        if figures.asked == 0:
            raise DomainError("问卷还没有收到答卷，无法计算满意率", "source")
    else:
        figures = validate_counts(*(counts or (None, None, None, None)))

    rate = figures.rate
    required = record.cycle.satisfaction_required
    before = _snapshot(hearing) if hearing is not None and hearing.is_recorded else None
    after = {
        "report_date": report_date.isoformat(),
        "report_summary": summary,
        "source": source,
        "asked": figures.asked,
        "satisfied": figures.satisfied,
        "basically_satisfied": figures.basically_satisfied,
        "dissatisfied": figures.dissatisfied,
        "satisfaction_rate": str(floor_rate(rate)),
        "passed": is_passing(rate, required),
    }
    if before == after:
        return hearing, None
    if before is not None and reason is None:
        raise DomainError("修改已记录的一听须填写修改原因（记入验收记录和操作日志）", "reason")

    if hearing is None:
        hearing = Hearing(record=record, record_id=record.id)
        db.session.add(hearing)
    closed = source == SatisfactionSource.QUESTIONNAIRE and hearing.questionnaire_open
    if closed:
        hearing.close_questionnaire()
    hearing.report_date, hearing.report_summary, hearing.source = report_date, summary, source
    hearing.asked, hearing.satisfied = figures.asked, figures.satisfied
    hearing.basically_satisfied, hearing.dissatisfied = figures.basically_satisfied, figures.dissatisfied
    hearing.satisfaction_rate, hearing.passed = floor_rate(rate), after["passed"]
    hearing.recorded_by_id = actor.id if actor is not None else None
    db.session.flush()

    entry = add_entry(
        record,
        actor,
        "hearing",
        status="passed" if hearing.passed else "failed",
        text=judgement_text(figures, required),
        reason=reason,
    )
    action = "hearing.record" if before is None else "hearing.change"
    if closed:
        after = {**after, "questionnaire_open": False}
        before = {**(before or {}), "questionnaire_open": True}
    record_change(
        actor,
        action,
        "hearing",
        hearing.id,
        label=record.unit.name,
        before=before,
        after=after,
        reason=reason,
        district_id=record.district_id,
    )
    return hearing, entry


# --- the public questionnaire --------------------------------------------------------


def new_token():
    """A secret for the questionnaire's link: 128 random bits, 22 URL-safe characters (a small QR code)."""
    return secrets.token_urlsafe(16)


def open_questionnaire(actor, record):
    """Start taking residents' answers for ``record``'s unit (creating the hearing if need be)."""
    hearing = hearing_of(record)
    if hearing is None:
        hearing = Hearing(record=record, record_id=record.id)
        db.session.add(hearing)
    first = hearing.questionnaire_token is None
    hearing.open_questionnaire(new_token())
    db.session.flush()
    record_change(
        actor,
        "questionnaire.open",
        "hearing",
        hearing.id,
        label=record.unit.name,
        before={"questionnaire_open": False},
        after={"questionnaire_open": True, "first_opening": first},
        district_id=record.district_id,
    )
    return hearing


def close_questionnaire(actor, record):
    hearing = hearing_of(record)
    if hearing is None:
        raise DomainError("问卷未开启，无需关闭")
    hearing.close_questionnaire()
    db.session.flush()
    record_change(
        actor,
        "questionnaire.close",
        "hearing",
        hearing.id,
        label=record.unit.name,
        before={"questionnaire_open": True},
        after={"questionnaire_open": False, "responses": response_counts(hearing).asked},
        district_id=record.district_id,
    )
    return hearing


def device_key(hearing, cookie_value):
    """The keyed hash stored for a device: the raw cookie never reaches the database, and one
    device's answers to different units' questionnaires cannot be linked."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"questionnaire:{hearing.id}:{cookie_value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def has_responded(hearing, key):
    return (
        db.session.scalar(
            select(QuestionnaireResponse.id).where(
                QuestionnaireResponse.hearing_id == hearing.id, QuestionnaireResponse.device_key == key
            )
        )
        is not None
    )


def submit_response(hearing, *, answer, comment, device, address):
    """Keep one resident's answer. ``device``: the device's keyed hash (``device_key``).

    Refuses a closed questionnaire, a second answer from the same device (AlreadyResponded) and
    a flood from one address (TooManyResponses). Flushed, never committed here.
    """
    if not hearing.questionnaire_open:
        raise DomainError("问卷已关闭，感谢关注")
    if answer not in Answer.LABELS:
        raise DomainError("请选择满意、基本满意或不满意", "answer")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise DomainError(f"意见和建议不能超过 {MAX_COMMENT_LENGTH} 字", "comment")
    if has_responded(hearing, device):
        raise AlreadyResponded(ALREADY_RESPONDED)
    limiter = questionnaire_limiter()
    if not limiter.hit(address):
        raise TooManyResponses(
            f"提交过于频繁：同一网络地址 {limiter.window_minutes()} 分钟内最多提交 {limiter.per_address()} 份问卷，"
            "请稍后再试。感谢您的参与！"
        )
    response = QuestionnaireResponse(
        hearing_id=hearing.id,
        answer=answer,
        comment=comment,
        device_key=device,
        address=(address or None),
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:  # the same device, at the same moment, in another request
        raise AlreadyResponded(ALREADY_RESPONDED) from None
    return response


class QuestionnaireLimiter:
    """Accepted responses per client address in a moving window, in ``RATELIMIT_STORAGE_URI``
    (memory for one process; Redis, shared by every process and server, in production)."""

    def __init__(self, storage_uri):
        self.storage = storage_from_string(storage_uri)
        self.limiter = MovingWindowRateLimiter(self.storage)

    @staticmethod
    def per_address():
        return int(current_app.config.get("QUESTIONNAIRE_RESPONSES_PER_ADDRESS", DEFAULT_RESPONSES_PER_ADDRESS))

    @staticmethod
    def window_minutes():
        return int(current_app.config.get("QUESTIONNAIRE_WINDOW_MINUTES", DEFAULT_RESPONSE_WINDOW_MINUTES))

    def _item(self):
        return RateLimitItemPerMinute(self.per_address(), self.window_minutes())

    @staticmethod
    def _key(address):
        return f"questionnaire:address:{address or 'unknown'}"

    def hit(self, address):
        """Count one response from ``address``; False (and not counted) when it is over the limit."""
        return self.limiter.hit(self._item(), self._key(address))

    def clear(self, address):
        self.limiter.clear(self._item(), self._key(address))


_limiter_lock = threading.Lock()


def questionnaire_limiter():
    """The app's limiter, made on first use (after any fork, so no connection crosses one)."""
    app = current_app._get_current_object()
    limiter = app.extensions.get("questionnaire_limiter")
    if limiter is None:
        with _limiter_lock:
            limiter = app.extensions.get("questionnaire_limiter")
            if limiter is None:
                limiter = QuestionnaireLimiter(app.config["RATELIMIT_STORAGE_URI"])
                app.extensions["questionnaire_limiter"] = limiter
    return limiter


def qr_svg(url):
    """The QR code of ``url`` as an SVG document (made here, no outside service)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=8, border=4, title="居民满意度问卷二维码")
    return buffer.getvalue()


# --- the check's outcome ------------------------------------------------------------


def current_verdict(hearing, cycle):
    """Whether the recorded counts reach ``cycle``'s line as it stands now (None: not recorded).
    Judged again from the counts, so a line the office changes after the recording is applied;
    ``hearing.passed`` keeps the judgement made when it was recorded."""
    counts = recorded_counts(hearing)
    return None if counts is None else is_passing(counts.rate, cycle.satisfaction_required)


def outcome(record):
    """一听 in the shape the record page and the decision use."""
    url = url_for("accreditation_hearing.hearing", record_id=record.id) if has_request_context() else None
    hearing = hearing_of(record)
    passed = current_verdict(hearing, record.cycle)
    if passed is None:
        return CheckOutcome(NAME, None, "尚未记录", ["尚未记录单位汇报和居民满意度"], url)
    shown = percent_shown(hearing.satisfaction_rate)
    line = required_shown(record.cycle.satisfaction_required)
    if passed:
        return CheckOutcome(NAME, True, f"满意率 {shown}（≥ {line}）", [], url)
    return CheckOutcome(NAME, False, f"满意率 {shown}（< {line}）", [f"居民满意率 {shown}，未达到 {line} 的要求"], url)
