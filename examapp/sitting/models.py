from datetime import timedelta

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import access
from ..audit.labels import register_value_labels
from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin


class AttemptState:
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    VOIDED = "voided"

    ALL = (IN_PROGRESS, SUBMITTED, VOIDED)
    LABELS = {IN_PROGRESS: "答题中", SUBMITTED: "已交卷", VOIDED: "已作废"}


class SubmitReason:
    EXAMINEE = "examinee"
    DEADLINE = "deadline"
    SWEEP = "sweep"
    DEPARTURES = "departures"

    LABELS = {
        EXAMINEE: "考生交卷",
        DEADLINE: "时间到自动交卷",
        SWEEP: "超时由系统收卷",
        DEPARTURES: "离开页面次数达到上限自动交卷",
    }


class Attempt(TimestampMixin, db.Model):
    """One person's sitting of one exam, holding the paper drawn for them."""

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint("state IN ('in_progress', 'submitted', 'voided')", name="state"),
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
    voided_reason: Mapped[str | None] = mapped_column(String(500))

    exam = relationship("Exam")
    roster_entry = relationship("RosterEntry")
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


class AttemptEvent(db.Model):
    """Something that happened to an attempt: departures, takeovers, refusals, admin actions."""

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
