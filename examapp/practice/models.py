"""Practice answers, the 错题本, mock exams, and the practice settings (open categories, the switch).

Nothing here is an exam: no row is read by results, seals, records or integrity. A mock's
items keep the drawn question version and the examinee's response in the version's own
letters, like an exam's items, so grading and review share the bank's rules.
"""

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db


class PracticeSettings(db.Model):
    """One row (id 1): which categories are open for practice, and the city-wide switch."""

    __tablename__ = "practice_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the city-wide switch: practice and mocks closed (an exam day)
    closed: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=sa_false())
    #: what examinees read while it is closed
    closed_note: Mapped[str | None] = mapped_column(String(200))
    #: open categories (ids, each with its subtree); None: every published question
    category_ids: Mapped[list | None] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)

    updated_by = relationship("User")


class PracticeAnswer(db.Model):
    """One answer given in practice (never in an exam or a mock)."""

    __tablename__ = "practice_answers"
    __table_args__ = (Index("ix_practice_answers_user_answered", "user_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id"), nullable=False)
    #: in the version's own letters (as exam items keep it)
    response: Mapped[object | None] = mapped_column(JSON)
    correct: Mapped[bool] = mapped_column(nullable=False)
    answered_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: seconds from showing the question to the answer (None: not known)
    seconds: Mapped[int | None] = mapped_column()


class WrongBookEntry(db.Model):
    """A question the person answered wrong (in practice or a mock), until answered right twice
    in a row on different days."""

    __tablename__ = "wrong_book"
    __table_args__ = (UniqueConstraint("user_id", "question_id", name="uq_wrong_book_user_id_question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id"), nullable=False)
    added_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_wrong_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    wrong_count: Mapped[int] = mapped_column(nullable=False, default=1)
    #: right answers in a row since the last wrong one, each on a later day (Beijing) than the one before
    right_streak: Mapped[int] = mapped_column(nullable=False, default=0)
    last_right_on: Mapped[object | None] = mapped_column(Date)
    #: taken out (answered right twice in a row on different days); a new wrong answer puts it back
    cleared_at: Mapped[object | None] = mapped_column(UTCDateTime)


class MockState:
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"

    LABELS = {IN_PROGRESS: "进行中", SUBMITTED: "已交卷"}


class MockAttempt(db.Model):
    """A timed mock exam: a fresh draw from an exam's blueprint (or the default one), graded at once."""

    __tablename__ = "mock_attempts"
    __table_args__ = (
        Index("ix_mock_attempts_user_started", "user_id", "started_at"),
        CheckConstraint("state IN ('in_progress', 'submitted')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    #: the exam whose blueprint it follows (None: the default 100-point blueprint)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=MockState.IN_PROGRESS)
    started_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deadline_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: out of 100, set at submission
    score: Mapped[object | None] = mapped_column(Numeric(6, 2))

    items = relationship("MockItem", back_populates="mock", order_by="MockItem.position", cascade="all, delete-orphan")
    exam = relationship("Exam")


class MockItem(db.Model):
    __tablename__ = "mock_items"
    __table_args__ = (UniqueConstraint("mock_id", "position", name="uq_mock_items_mock_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mock_id: Mapped[int] = mapped_column(ForeignKey("mock_attempts.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    points: Mapped[object] = mapped_column(Numeric(6, 2), nullable=False)
    #: original option indices in the order shown (None: not shuffled)
    option_order: Mapped[list | None] = mapped_column(JSON)
    response: Mapped[object | None] = mapped_column(JSON)
    awarded: Mapped[object | None] = mapped_column(Numeric(6, 2))

    mock = relationship("MockAttempt", back_populates="items")
    version = relationship("QuestionVersion")
