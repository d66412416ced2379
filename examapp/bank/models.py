"""Questions, their immutable versions, and the categories (知识点) they are filed under."""

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..clock import utcnow
from ..db_types import UTCDateTime
from ..errors import DomainError
from ..extensions import db
from ..models_base import TimestampMixin
from .content import JUDGE_LABELS, Difficulty, QType, format_answer, split_stem

_QTYPE_CHECK = "qtype IN ('single', 'multiple', 'judge', 'blank')"
_DIFFICULTY_CHECK = "difficulty IN ('easy', 'medium', 'hard')"


class Status:
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"

    ALL = (DRAFT, PUBLISHED, RETIRED)
    LABELS = {DRAFT: "草稿", PUBLISHED: "已发布", RETIRED: "已停用"}


class _TypeAndDifficultyLabels:
    """Chinese labels of ``qtype`` and ``difficulty``, shared by questions and their versions."""

    @property
    def qtype_label(self):
        return QType.LABELS[self.qtype]

    @property
    def difficulty_label(self):
        return Difficulty.LABELS[self.difficulty]


class QuestionCategory(db.Model):
    """A knowledge area (知识点); a small tree, names unique across it."""

    __tablename__ = "question_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("question_categories.id"), index=True)
    #: position among its siblings (then by name)
    sort_order: Mapped[int] = mapped_column(default=0, nullable=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    parent = relationship("QuestionCategory", remote_side=[id])

    def __repr__(self):
        return f"<QuestionCategory {self.name}>"


class Question(_TypeAndDifficultyLabels, TimestampMixin, db.Model):
    """A question's identity and status; its content lives in ``current_version``.

    Category, type, difficulty and the stem are copied from the current version
    so the list, the filters and the draw never join the versions table.
    """

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(_QTYPE_CHECK, name="qtype"),
        CheckConstraint(_DIFFICULTY_CHECK, name="difficulty"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        #: what a paper blueprint draws on: published x category x type x difficulty
        Index("ix_questions_draw", "status", "category_id", "qtype", "difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id"), nullable=False, index=True)
    qtype: Mapped[str] = mapped_column(String(16), nullable=False)
    difficulty: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=Status.DRAFT)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version_id_question_versions")
    )
    #: the current stem normalised (half-width, lower case, no spaces): searched and compared
    stem_key: Mapped[str] = mapped_column(Text, nullable=False)
    #: sha256 of ``stem_key``, to find questions with the same stem through an index
    stem_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    category = relationship("QuestionCategory")
    current_version = relationship("QuestionVersion", foreign_keys=[current_version_id], post_update=True)
    versions = relationship(
        "QuestionVersion",
        foreign_keys="QuestionVersion.question_id",
        back_populates="question",
        order_by="QuestionVersion.number",
    )

    def __repr__(self):
        return f"<Question {self.id} {self.status}>"

    @property
    def status_label(self):
        return Status.LABELS[self.status]

    @property
    def is_drawable(self):
        """Only published questions go into papers; drafts and retired ones never do."""
        return self.status == Status.PUBLISHED

    def publish(self):
        if self.status == Status.PUBLISHED:
            raise DomainError(f"试题 {self.id} 已是发布状态")
        self.status = Status.PUBLISHED

    def retire(self):
        if self.status == Status.RETIRED:
            raise DomainError(f"试题 {self.id} 已停用")
        self.status = Status.RETIRED

    def transition(self, status):
        """Move to ``status``: published or retired (a question never goes back to draft)."""
        moves = {Status.PUBLISHED: self.publish, Status.RETIRED: self.retire}
        if status not in moves:
            raise DomainError("试题只能发布或停用")
        moves[status]()


class QuestionVersion(_TypeAndDifficultyLabels, db.Model):
    """One immutable state of a question. Papers and attempts point here."""

    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "number", name="uq_question_versions_question_id_number"),
        CheckConstraint(_QTYPE_CHECK, name="qtype"),
        CheckConstraint(_DIFFICULTY_CHECK, name="difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), nullable=False)
    #: 1, 2, 3 ... within the question
    number: Mapped[int] = mapped_column(nullable=False)
    qtype: Mapped[str] = mapped_column(String(16), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id"), nullable=False)
    difficulty: Mapped[str] = mapped_column(String(8), nullable=False)
    stem: Mapped[str] = mapped_column(Text, nullable=False)
    #: option texts in order, A first; empty for 判断 and 填空
    options: Mapped[list] = mapped_column(JSON, nullable=False)
    #: 单选/多选: options keep their written order even when the exam shuffles options (选项顺序固定)
    keep_option_order: Mapped[bool] = mapped_column(default=False, server_default=false(), nullable=False)
    #: canonical answer: "B", "ACD", "T"/"F", or [[alternatives of blank 1], ...]
    answer: Mapped[object] = mapped_column(JSON, nullable=False)
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: the policy source (依据): document number and article
    source: Mapped[str] = mapped_column(Text, nullable=False)
    #: why this version was made (optional, from the editor)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    question = relationship("Question", foreign_keys=[question_id], back_populates="versions")
    category = relationship("QuestionCategory")
    created_by = relationship("User")

    def __repr__(self):
        return f"<QuestionVersion {self.question_id}.{self.number}>"

    @property
    def answer_text(self):
        """The answer as written in the import format."""
        return format_answer(self.qtype, self.answer)

    @property
    def option_order_label(self):
        """选项顺序 as the import format writes it, for 单选/多选 only."""
        if self.qtype not in QType.CHOICE:
            return ""
        return "固定" if self.keep_option_order else "随考试设置"

    @property
    def lettered_options(self):
        return [(chr(ord("A") + i), text) for i, text in enumerate(self.options)]

    @property
    def stem_segments(self):
        return split_stem(self.stem)

    @property
    def judge_label(self):
        return JUDGE_LABELS.get(self.answer, "")


class ImmutableVersionError(RuntimeError):
    """A question version was changed or deleted after it was written."""


@event.listens_for(Session, "before_flush")
def _keep_versions_immutable(session, _context, _instances):
    for obj in session.dirty:
        if isinstance(obj, QuestionVersion) and session.is_modified(obj, include_collections=False):
            raise ImmutableVersionError(f"{obj!r} is immutable; edit the question to make a new version")
    for obj in session.deleted:
        if isinstance(obj, QuestionVersion):
            raise ImmutableVersionError(f"{obj!r} is immutable and cannot be deleted")
