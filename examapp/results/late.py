"""Deciding on late deliveries: answers a page gave before its attempt closed that reached the
server after the deadline and its grace (a link down across the deadline; see ``sitting.late``).

Nothing is accepted automatically: an exam admin or the office accepts or rejects them with a
written reason. Accepting writes each answer into the attempt as a save would have (only where
it is newer than what the item holds), regrades those items and the score, and, after the seal,
re-derives the stored unit figures through the correction flow (``services.rederive``). Both
decisions are audited. Services flush; the caller commits.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select

from ..audit.services import record_change, register_actions
from ..auth.models import User
from ..bank.card import JUDGE_CHOICES
from ..bank.content import LETTERS, QType
from ..bank.grading import CENT, grade_response
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import ExamStatus, RosterEntry
from ..extensions import db
from ..org.models import Unit
from ..sitting.models import Attempt, AttemptItem, AttemptState, LateDelivery, LateStatus
from .services import _require_reason, rederive

register_actions(
    {
        "attempt.late_accept": "接受迟到送达的答案",
        "attempt.late_reject": "不接受迟到送达的答案",
    }
)

JUDGE_WORDS = dict(JUDGE_CHOICES)


@dataclass
class Decision:
    """What a decision did, for the page's message."""

    deliveries: int
    #: positions whose answer changed (accepting only)
    changed: list = field(default_factory=list)
    #: positions of accepted deliveries older than what the item already held
    unchanged: list = field(default_factory=list)
    score_before: Decimal | None = None
    score_after: Decimal | None = None
    #: units whose sealed result was re-derived
    units: list = field(default_factory=list)


# --- deciding --------------------------------------------------------------------------------


def accept_late(actor, attempt, delivery_ids, reason):
    """Grade the chosen pending deliveries of ``attempt`` into it; all or nothing."""
    reason = _require_reason(reason)
    if attempt.state == AttemptState.VOIDED:
        raise DomainError("该答卷已作废，不能接受迟到送达的答案")
    if attempt.state == AttemptState.GRADING:
        raise DomainError("该答卷的成绩正在计算，请稍候几秒再试")
    if attempt.state != AttemptState.SUBMITTED:
        raise DomainError("该答卷已重新开放作答，交卷后才能接受迟到送达的答案")
    deliveries = _pending(attempt, delivery_ids)
    exam = attempt.exam
    # The items are locked and read afresh: two decisions on one attempt never interleave.
    items = {
        item.position: item
        for item in db.session.scalars(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    score_before = attempt.score
    before, after, unchanged, changed = {}, {}, [], {}
    now = utcnow()
    for delivery in deliveries:  # in seq order: a newer answer to the same question wins
        item = items.get(delivery.position)
        label = _label(delivery)
        if item is None or delivery.seq <= item.response_seq:
            held = f"（序号 {item.response_seq}）" if item is not None else ""
            unchanged.append(f"{label}：该题已有更新的答案{held}，接受后未改变")
        else:
            key = f"第 {item.position} 题"
            before.setdefault(key, answer_text(item, item.response))
            item.response, item.flagged = delivery.response, delivery.flagged
            item.response_seq, item.answered_at = delivery.seq, delivery.answered_at
            if item.first_answered_at is None and delivery.response is not None:
                item.first_answered_at = delivery.answered_at
            item.save_count += 1
            after[key] = answer_text(item, item.response)
            changed[item.position] = item
        _decide(delivery, LateStatus.ACCEPTED, actor, reason, now)
    for item in changed.values():
        key = item.key_version or item.version
        item.awarded = grade_response(
            key.qtype, key.answer, item.response, item.points, multiple_mode=exam.multiple_mode, stem=key.stem
        )
    attempt.score = sum((item.awarded or Decimal("0") for item in items.values()), Decimal("0")).quantize(CENT)
    db.session.flush()
    record_change(
        actor,
        "attempt.late_accept",
        "attempt",
        attempt.id,
        label=f"{exam.title}：{attempt.user.name}",
        before={"responses": before, "score": _score(score_before)},
        after={
            "responses": after,
            "score": _score(attempt.score),
            "accepted": [_label(d) for d in deliveries],
            **({"unchanged": unchanged} if unchanged else {}),
        },
        reason=reason,
        district_id=attempt.roster_entry.district_id,
    )
    units = []
    if exam.status == ExamStatus.SEALED:
        units = rederive(actor, exam, f"接受 {attempt.user.name} 迟到送达的答案：{reason}")
    return Decision(
        deliveries=len(deliveries),
        changed=sorted(changed),
        unchanged=sorted({d.position for d in deliveries} - set(changed)),
        score_before=score_before,
        score_after=attempt.score,
        units=units,
    )


def reject_late(actor, attempt, delivery_ids, reason):
    """Mark the chosen pending deliveries of ``attempt`` not accepted; nothing else changes."""
    reason = _require_reason(reason)
    if attempt.state == AttemptState.VOIDED:
        raise DomainError("该答卷已作废，不能审核迟到送达的答案")
    deliveries = _pending(attempt, delivery_ids)
    now = utcnow()
    for delivery in deliveries:
        _decide(delivery, LateStatus.REJECTED, actor, reason, now)
    db.session.flush()
    labels = [_label(d) for d in deliveries]
    record_change(
        actor,
        "attempt.late_reject",
        "attempt",
        attempt.id,
        label=f"{attempt.exam.title}：{attempt.user.name}",
        before={"status": dict.fromkeys(labels, LateStatus.LABELS[LateStatus.PENDING])},
        after={"status": dict.fromkeys(labels, LateStatus.LABELS[LateStatus.REJECTED])},
        reason=reason,
        district_id=attempt.roster_entry.district_id,
    )
    return Decision(deliveries=len(deliveries))


def _pending(attempt, delivery_ids):
    """The chosen deliveries, locked, in seq order; every one must be a pending one of ``attempt``."""
    try:
        ids = {int(i) for i in delivery_ids or ()}
    except (TypeError, ValueError):
        raise DomainError("所选的迟到送达记录无效，请刷新页面后重试", field="deliveries") from None
    if not ids:
        raise DomainError("请至少勾选一份迟到送达的答案", field="deliveries")
    deliveries = db.session.scalars(
        select(LateDelivery)
        .where(LateDelivery.id.in_(ids))
        .order_by(LateDelivery.seq)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if len(deliveries) != len(ids) or any(d.attempt_id != attempt.id for d in deliveries):
        raise DomainError("所选的迟到送达记录不属于这份答卷，请刷新页面后重试", field="deliveries")
    decided = [d for d in deliveries if d.status != LateStatus.PENDING]
    if decided:
        names = "、".join(_label(d) for d in decided)
        raise DomainError(f"{names} 已经审核过，请刷新页面后重试", field="deliveries")
    return deliveries


def _decide(delivery, status, actor, reason, now):
    delivery.status, delivery.decided_at = status, now
    delivery.decided_by_id = actor.id if actor is not None else None
    delivery.decision_reason = reason


def _label(delivery):
    return f"第 {delivery.position} 题（序号 {delivery.seq}）"


def _score(value):
    return None if value is None else str(Decimal(value).quantize(CENT))


# --- what the pages show ---------------------------------------------------------------------


@dataclass
class Answer:
    """A response as the examinee gave it: letters in their own order (单选/多选), 正确/错误, blank texts."""

    #: the letters the examinee saw (单选/多选), else None
    letters: str | None
    #: the chosen options' texts with their shown letters, the judgement, or each blank's text
    parts: list

    @property
    def is_empty(self):
        return not self.parts


def shown_answer(version, option_order, response):
    """``response`` (in the version's own terms) as the examinee saw and gave it.

    ``option_order`` lists the original option indices in the order shown: the examinee's
    letter i stands for the original option ``option_order[i]``.
    """
    if response is None:
        return Answer(None, [])
    if version.qtype in QType.CHOICE:
        options = version.options or []
        order = option_order if option_order is not None else list(range(len(options)))
        chosen = set(response) if isinstance(response, str | list) else set()
        shown = [(LETTERS[i], options[original]) for i, original in enumerate(order) if LETTERS[original] in chosen]
        return Answer("".join(letter for letter, _text in shown), [f"{letter}. {text}" for letter, text in shown])
    if version.qtype == QType.JUDGE:
        return Answer(None, [JUDGE_WORDS.get(response, str(response))])
    if isinstance(response, list):
        return Answer(None, [f"第 {n} 空：{text}" for n, text in enumerate(response, start=1)])
    return Answer(None, [str(response)])


def answer_text(item, response):
    """One line for the audit log: "C、D（丙；丁）", "正确", "第 1 空：…", "未作答"."""
    answer = shown_answer(item.version, item.option_order, response)
    if answer.is_empty:
        return "未作答"
    if answer.letters is not None:
        return f"考生所见 {answer.letters}（题库原序 {''.join(sorted(response))}）"
    return "；".join(answer.parts)


@dataclass
class AttemptRow:
    attempt: Attempt
    user: User
    unit: Unit
    pending: int
    accepted: int
    rejected: int
    last_received_at: object


def exam_late_counts(exam_id):
    """(pending, all) late deliveries of an exam."""
    pending, total = db.session.execute(
        select(func.sum(case((LateDelivery.status == LateStatus.PENDING, 1), else_=0)), func.count())
        .select_from(LateDelivery)
        .join(Attempt, Attempt.id == LateDelivery.attempt_id)
        .where(Attempt.exam_id == exam_id)
    ).one()
    return pending or 0, total


def exam_attempts(exam_id):
    """Every attempt of the exam with late deliveries: those with some pending first."""
    pending = func.sum(case((LateDelivery.status == LateStatus.PENDING, 1), else_=0))
    accepted = func.sum(case((LateDelivery.status == LateStatus.ACCEPTED, 1), else_=0))
    rejected = func.sum(case((LateDelivery.status == LateStatus.REJECTED, 1), else_=0))
    counts = (
        select(
            LateDelivery.attempt_id,
            pending.label("pending"),
            accepted.label("accepted"),
            rejected.label("rejected"),
            func.max(LateDelivery.received_at).label("last_received_at"),
        )
        .group_by(LateDelivery.attempt_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Attempt, User, Unit, counts.c.pending, counts.c.accepted, counts.c.rejected, counts.c.last_received_at)
        .join(counts, counts.c.attempt_id == Attempt.id)
        .join(User, User.id == Attempt.user_id)
        .join(RosterEntry, RosterEntry.id == Attempt.roster_entry_id)
        .join(Unit, Unit.id == RosterEntry.unit_id)
        .where(Attempt.exam_id == exam_id)
        .order_by((counts.c.pending > 0).desc(), Unit.code, User.username)
    ).all()
    return [AttemptRow(*row) for row in rows]


@dataclass
class DeliveryRow:
    delivery: LateDelivery
    item: AttemptItem | None
    delivered: Answer
    #: the answer the item is graded on now
    current: Answer
    #: the item already holds a newer answer: accepting would change nothing
    is_superseded: bool
    #: the page says it lost the link before the attempt closed
    offline_before_close: bool
    #: the options in the order the examinee saw them, lettered as they saw them (单选/多选)
    options: list
    #: how long after the close the server received it
    received_after: object


def attempt_deliveries(attempt):
    """The attempt's late deliveries (by question, then as the page numbered them) with what they show."""
    items = {
        item.position: item
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))
    }
    deliveries = db.session.scalars(
        select(LateDelivery)
        .where(LateDelivery.attempt_id == attempt.id)
        .order_by(LateDelivery.position, LateDelivery.seq)
    ).all()
    close = attempt.submitted_at or attempt.deadline_at
    rows = []
    for delivery in deliveries:
        item = items.get(delivery.position)
        version = item.version if item is not None else None
        order = item.option_order if item is not None else None
        rows.append(
            DeliveryRow(
                delivery=delivery,
                item=item,
                delivered=shown_answer(version, order, delivery.response) if version else Answer(None, []),
                current=shown_answer(version, order, item.response) if version else Answer(None, []),
                is_superseded=item is None or delivery.seq <= item.response_seq,
                offline_before_close=delivery.offline_at is not None and delivery.offline_at <= close,
                options=_shown_options(version, order),
                received_after=delivery.received_at - close,
            )
        )
    return rows


def _shown_options(version, option_order):
    if version is None or version.qtype not in QType.CHOICE:
        return []
    options = version.options or []
    order = option_order if option_order is not None else range(len(options))
    return [(LETTERS[i], options[original]) for i, original in enumerate(order)]


def duration_text(delta):
    """A delay as people say it: "45 秒", "3 分 20 秒", "2 小时 5 分"."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} 秒"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} 分 {seconds} 秒" if seconds else f"{minutes} 分"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    return f"{hours // 24} 天 {hours % 24} 小时"
