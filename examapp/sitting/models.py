from datetime import timedelta

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text, update
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from .. import access
from ..audit.labels import register_value_labels
from ..clock import utcnow
from ..db_types import UTCDateTime
from ..errors import DomainError
from ..extensions import db
from ..models_base import TimestampMixin


class AttemptState:
    IN_PROGRESS = "in_progress"
    #: handed in, its final answers stored; the score follows within seconds (``sitting.grading``)
    GRADING = "grading"
    SUBMITTED = "submitted"
    VOIDED = "voided"

    ALL = (IN_PROGRESS, GRADING, SUBMITTED, VOIDED)
    #: handed in, graded or not: no page may change its answers any more
    HANDED_IN = (GRADING, SUBMITTED)
    LABELS = {IN_PROGRESS: "答题中", GRADING: "成绩计算中", SUBMITTED: "已交卷", VOIDED: "已作废"}


class SubmitReason:
    EXAMINEE = "examinee"
    DEADLINE = "deadline"
    SWEEP = "sweep"
    DEPARTURES = "departures"
    #: an exam admin or district admin handed it in from the monitor, with what was saved
    ADMIN = "admin"

    LABELS = {
        EXAMINEE: "考生交卷",
        DEADLINE: "时间到自动交卷",
        SWEEP: "超时由系统收卷",
        DEPARTURES: "离开页面次数达到上限自动交卷",
        ADMIN: "监考管理员强制交卷",
    }


class Attempt(TimestampMixin, db.Model):
    """One person's sitting of one exam, holding the paper drawn for them."""

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint("state IN ('in_progress', 'grading', 'submitted', 'voided')", name="state"),
        Index("ix_attempts_state_deadline", "state", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), nullable=False, index=True)
    #: one attempt per roster row
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entries.id"), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=AttemptState.IN_PROGRESS)
    started_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: min(start + duration + extra, window close); kept current when extra time is granted
    deadline_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    submit_reason: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[object | None] = mapped_column(Numeric(6, 2))
    #: the seed the paper was drawn with (reproducible draws)
    seed: Mapped[int] = mapped_column(nullable=False)
    #: highest save sequence number recorded with ``last_saved_at`` (kept at most 30 s behind;
    #: each item keeps its own exact number, which decides whether a save is newer)
    last_seq: Mapped[int] = mapped_column(nullable=False, default=0)
    last_saved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    departures: Mapped[int] = mapped_column(nullable=False, default=0)
    #: the page currently allowed to save (opening the attempt elsewhere takes over)
    live_token: Mapped[str | None] = mapped_column(String(64))
    #: the browser tab (the page's per-tab id) holding ``live_token``; None until that page says hello
    live_tab: Mapped[str | None] = mapped_column(String(64))
    #: the login (``UserSession.id``) and the account's session epoch the live page was opened
    #: under: the page's saves, which carry its token and no session (``sitting.lean``), stop
    #: when that login ends (logout, every login ended, a disabled account)
    live_session_id: Mapped[str | None] = mapped_column(String(64))
    live_epoch: Mapped[int | None] = mapped_column()
    voided_reason: Mapped[str | None] = mapped_column(String(500))

    exam = relationship("Exam")
    #: ``RosterEntry.attempt`` reads the other way (declared here: exams does not know sitting)
    roster_entry = relationship(
        "RosterEntry", backref=backref("attempt", uselist=False, viewonly=True), sync_backref=False
    )
    user = relationship("User")
    items = relationship("AttemptItem", order_by="AttemptItem.position", back_populates="attempt")

    def __repr__(self):
        return f"<Attempt {self.id} {self.state}>"

    @property
    def state_label(self):
        return AttemptState.LABELS[self.state]

    @property
    def is_in_progress(self):
        return self.state == AttemptState.IN_PROGRESS

    def compute_deadline(self, exam, extra_minutes):
        return min(self.started_at + exam.duration + timedelta(minutes=extra_minutes), exam.closes_at)

    def seconds_left(self, now=None):
        now = now or utcnow()
        return max(0, int((self.deadline_at - now).total_seconds()))

    def accepts_saves(self, grace_seconds, now=None):
        """In progress and not past the deadline plus the grace for requests in flight."""
        now = now or utcnow()
        return self.is_in_progress and now <= self.deadline_at + timedelta(seconds=grace_seconds)

    def is_overdue(self, grace_seconds, now=None):
        now = now or utcnow()
        return self.is_in_progress and now > self.deadline_at + timedelta(seconds=grace_seconds)

    # --- transitions -------------------------------------------------------
    #
    # Handing in races with the page's retries, the sweep and the departure limit, so it is one
    # conditional UPDATE on the state, run here; reopening and voiding are an administrator's
    # corrections of the row they are looking at, checked and written as loaded.

    def submit(self, reason, now=None, state=AttemptState.SUBMITTED):
        """In progress -> submitted (or ``state``: grading, for a hand-in graded right after),
        finishing at the deadline at the latest. True when this call did it, False when the attempt
        was no longer in progress (a retry, the sweep, a void): it is then read again as it is.
        The caller grades (in the same transaction, or after it for grading)."""
        now = now or utcnow()
        values = {
            "state": state,
            "submitted_at": min(now, self.deadline_at),
            "submit_reason": reason,
        }
        updated_at = db.session.execute(
            update(Attempt)
            .where(Attempt.id == self.id, Attempt.state == AttemptState.IN_PROGRESS)
            .values(**values)
            .returning(Attempt.updated_at)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if updated_at is None:
            db.session.refresh(self)
            return False
        # The attempt is now as the UPDATE left it: no need to read it again.
        for key, value in {**values, "updated_at": updated_at}.items():
            set_committed_value(self, key, value)
        return True

    def ensure_reopenable(self):
        if self.state != AttemptState.SUBMITTED:
            raise DomainError("只有已交卷的答卷可以重新开放")

    def reopen(self, deadline_at):
        """Submitted -> in progress until ``deadline_at``: the answers stay, the score and awards are
        cleared, and the departure count starts again (the events keep the history)."""
        self.ensure_reopenable()
        self.state, self.submitted_at, self.submit_reason = AttemptState.IN_PROGRESS, None, None
        self.score, self.deadline_at, self.departures = None, deadline_at, 0
        for item in self.items:
            item.awarded = None

    def ensure_voidable(self):
        if self.state == AttemptState.VOIDED:
            raise DomainError("该答卷已经作废")

    def void(self, reason, now=None):
        """Any state but voided -> voided: it scores nothing, and no page may save to it any more."""
        self.ensure_voidable()
        self.state, self.score, self.voided_reason, self.live_token = AttemptState.VOIDED, None, reason, None
        if self.submitted_at is None:
            self.submitted_at = now or utcnow()


class AttemptItem(db.Model):
    """One question of an attempt's paper: the exact version shown, and the response."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_attempt_items_attempt_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    points: Mapped[object] = mapped_column(Numeric(6, 2), nullable=False)
    #: original option indices in the order shown (None: no options or not shuffled)
    option_order: Mapped[list | None] = mapped_column(JSON)
    #: the response in the version's own terms (letters of the original options, blank texts)
    response: Mapped[object | None] = mapped_column(JSON)
    #: sequence number of the save that wrote ``response``
    response_seq: Mapped[int] = mapped_column(nullable=False, default=0)
    #: when ``response`` was last written
    answered_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: when an answer was first given (the order of answering, the time to the first answer)
    first_answered_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: saves that wrote this item (answering, changing, clearing or flagging it)
    save_count: Mapped[int] = mapped_column(nullable=False, default=0, server_default=text("0"))
    flagged: Mapped[bool] = mapped_column(nullable=False, default=False)
    awarded: Mapped[object | None] = mapped_column(Numeric(6, 2))
    #: a later version of the same question whose (corrected) key graded this item; None: its own
    key_version_id: Mapped[int | None] = mapped_column(ForeignKey("question_versions.id"))

    attempt = relationship("Attempt", back_populates="items")
    version = relationship("QuestionVersion", foreign_keys=[question_version_id])
    key_version = relationship("QuestionVersion", foreign_keys=[key_version_id])


class PreparedPaper(db.Model):
    """A roster row's paper, drawn before exam day (at publishing, or when the person is added
    later), so that starting is a copy of rows, not a draw (``sitting.prepared``)."""

    __tablename__ = "prepared_papers"

    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entries.id", ondelete="CASCADE"), primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the seed the paper was drawn with (``draw_paper``), copied to the attempt
    seed: Mapped[int] = mapped_column(nullable=False)
    drawn_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PreparedItem(db.Model):
    """One question of a prepared paper: what ``AttemptItem`` is given at the start."""

    __tablename__ = "prepared_items"

    roster_entry_id: Mapped[int] = mapped_column(
        ForeignKey("prepared_papers.roster_entry_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    points: Mapped[object] = mapped_column(Numeric(6, 2), nullable=False)
    option_order: Mapped[list | None] = mapped_column(JSON)


class EventKind:
    """What an ``AttemptEvent`` records, and how a person reads it (the monitor, the integrity pages)."""

    #: how a page came to hold the attempt: first opening, a reload in the same tab, another tab or PC
    OPENED = "opened"
    REOPENED = "reopened"
    TAKEOVER = "takeover"
    #: a page's saves came from another address or browser than the one it was opened from
    ADDRESS_CHANGED = "address_changed"
    #: what the page reports; departures count towards the exam's departure limit
    DEPARTURE = "departure"
    COPY = "copy"
    PASTE = "paste"
    OFFLINE = "offline"
    ONLINE = "online"
    SUBMITTED = "submitted"
    #: answers kept for review, given before the attempt closed and delivered after it
    LATE_DELIVERY = "late_delivery"
    #: the page's report that a departure ended: it gives the departure its duration and is not
    #: recorded itself
    RETURN = "return"

    OPENINGS = (OPENED, REOPENED, TAKEOVER)
    #: the kinds a page may report (``page.report_event``)
    PAGE_REPORTED = (DEPARTURE, RETURN, COPY, PASTE, OFFLINE, ONLINE)
    LABELS = {
        OPENED: "打开答题页面",
        REOPENED: "在同一标签页中重新打开（刷新页面）",
        TAKEOVER: "在另一个标签页、浏览器或电脑上打开（接管）",
        ADDRESS_CHANGED: "从另一地址或浏览器保存答案",
        DEPARTURE: "离开考试页面",
        COPY: "复制",
        PASTE: "粘贴",
        OFFLINE: "网络断开",
        ONLINE: "网络恢复",
        SUBMITTED: "交卷",
        LATE_DELIVERY: "考试结束后才送达的答案（待审核）",
    }
    #: every kind an event is recorded with
    ALL = tuple(LABELS)


def duration_text(ms):
    """A departure's length as an office reads it: "8 秒", "2 分 05 秒", "1 小时 02 分"."""
    if ms is None:
        return ""
    seconds = max(0, round(ms / 1000))
    if seconds < 60:
        return f"{seconds} 秒"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} 分 {seconds:02d} 秒"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes:02d} 分"


def event_text(kind, duration_ms=None):
    """An event's label, with a departure's length once the page reported the return."""
    label = EventKind.LABELS.get(kind, f"其他记录（{kind}）")
    if kind == EventKind.DEPARTURE:
        label += f"（{duration_text(duration_ms)}）" if duration_ms is not None else "（未记录返回时间）"
    return label


class AttemptEvent(db.Model):
    """Something that happened to an attempt: departures, takeovers, refusals, admin actions (``EventKind``)."""

    __tablename__ = "attempt_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    occurred_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict | None] = mapped_column(JSON)
    #: how long a departure lasted, once the page reported the examinee's return
    duration_ms: Mapped[int | None] = mapped_column()

    @property
    def text(self):
        return event_text(self.kind, self.duration_ms)


class LateStatus:
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    LABELS = {PENDING: "待审核", ACCEPTED: "已接受", REJECTED: "不予接受"}


class LateDelivery(db.Model):
    """An answer the page gave before the attempt closed but delivered after it (a link down
    across the deadline): kept apart from the graded answers until an administrator accepts it."""

    __tablename__ = "late_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),
        UniqueConstraint("attempt_id", "seq", name="uq_late_deliveries_attempt_id_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False)
    #: the page's sequence number: a retried delivery is stored once
    seq: Mapped[int] = mapped_column(nullable=False)
    #: in the version's own terms, as a graded response would be
    response: Mapped[object | None] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(nullable=False, default=False)
    #: when the page says the answer was given (its age, bounded by the page's last contact)
    answered_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: when the page says it lost and regained the link (the page's own account)
    offline_at: Mapped[object | None] = mapped_column(UTCDateTime)
    online_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: the last save the server had recorded from the attempt before this delivery
    last_contact_at: Mapped[object | None] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=LateStatus.PENDING)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    attempt = relationship("Attempt")
    decided_by = relationship("User")

    @property
    def status_label(self):
        return LateStatus.LABELS[self.status]


@access.object_rule(Attempt)
def _attempt_rule(user, permission, attempt):
    if permission == "sitting.sit":
        # An attempt is seen and changed by its owner only.
        return True if attempt.user_id == user.id else "forbidden"
    return access.district_in_scope(user, attempt.roster_entry.district_id)


def own_attempts(user_id):
    """The sitting.sit rule for attempts (owner only) as a SQL condition on the user's id (a
    value or a bind parameter), for statements that check it in the database instead of on a
    loaded attempt."""
    return Attempt.user_id == user_id


register_value_labels("attempt", "state", AttemptState.LABELS)
