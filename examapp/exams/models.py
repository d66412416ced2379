import hmac
import ipaddress
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, event, select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .. import access
from ..audit.labels import register_row_formatter, register_value_labels, show_value
from ..bank.content import Difficulty, QType
from ..bank.grading import MultipleMode
from ..clock import local_time, utcnow
from ..db_types import UTCDateTime
from ..errors import DomainError
from ..extensions import db
from ..models_base import TimestampMixin

FULL_MARKS = Decimal("100")


class ExamStatus:
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    SEALED = "sealed"

    ALL = (DRAFT, PUBLISHED, CLOSED, SEALED)
    LABELS = {DRAFT: "草稿", PUBLISHED: "已发布", CLOSED: "已结束", SEALED: "已封存"}


class PaperMode:
    BLUEPRINT = "blueprint"
    FIXED = "fixed"

    ALL = (BLUEPRINT, FIXED)
    LABELS = {BLUEPRINT: "按组卷规则随机抽题", FIXED: "固定试卷"}


class ReleaseMode:
    ON_SUBMIT = "on_submit"
    AFTER_CLOSE = "after_close"
    ON_SEAL = "on_seal"

    ALL = (ON_SUBMIT, AFTER_CLOSE, ON_SEAL)
    LABELS = {ON_SUBMIT: "交卷后立即公布", AFTER_CLOSE: "考试结束后公布", ON_SEAL: "领导小组办公室封存后公布"}


class Exam(TimestampMixin, db.Model):
    __tablename__ = "exams"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'closed', 'sealed')", name="status"),
        CheckConstraint("paper_mode IN ('blueprint', 'fixed')", name="paper_mode"),
        CheckConstraint("release_mode IN ('on_submit', 'after_close', 'on_seal')", name="release_mode"),
        CheckConstraint("multiple_mode IN ('all_or_nothing', 'partial')", name="multiple_mode"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("duration_minutes > 0", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    instructions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    opens_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    closes_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(nullable=False)
    #: saves still accepted this long after the deadline (requests in flight)
    grace_seconds: Mapped[int] = mapped_column(nullable=False, default=60)
    shuffle_questions: Mapped[bool] = mapped_column(nullable=False, default=True)
    shuffle_options: Mapped[bool] = mapped_column(nullable=False, default=True)
    multiple_mode: Mapped[str] = mapped_column(String(16), nullable=False, default=MultipleMode.ALL_OR_NOTHING)
    release_mode: Mapped[str] = mapped_column(String(16), nullable=False, default=ReleaseMode.AFTER_CLOSE)
    #: optional code examinees type before starting (printed on admission tickets)
    access_code: Mapped[str | None] = mapped_column(String(32))
    #: optional CIDR list, one per line; empty means any address
    ip_allowlist: Mapped[str | None] = mapped_column(Text)
    #: leaving the page this many times submits the attempt; 0 only records departures
    departure_limit: Mapped[int] = mapped_column(nullable=False, default=0)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("accreditation_cycles.id"), index=True)
    paper_mode: Mapped[str] = mapped_column(String(16), nullable=False, default=PaperMode.BLUEPRINT)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ExamStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    sealed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: simulated data loaded by ``flask demo load``, never a real exam
    is_demo: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=sa_false())

    cycle = relationship("AccreditationCycle")
    blueprint_rows = relationship(
        "BlueprintRow", order_by="BlueprintRow.position", cascade="all, delete-orphan", back_populates="exam"
    )
    fixed_items = relationship(
        "FixedPaperItem", order_by="FixedPaperItem.position", cascade="all, delete-orphan", back_populates="exam"
    )

    def __repr__(self):
        return f"<Exam {self.id} {self.title}>"

    @property
    def status_label(self):
        return ExamStatus.LABELS[self.status]

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)

    @property
    def is_draft(self):
        return self.status == ExamStatus.DRAFT

    @property
    def is_open(self):
        """Published and inside its window: attempts may start and save."""
        now = utcnow()
        return self.status == ExamStatus.PUBLISHED and self.opens_at <= now < self.closes_at

    @property
    def has_ended(self):
        return self.status in (ExamStatus.CLOSED, ExamStatus.SEALED) or utcnow() >= self.closes_at

    @property
    def results_released(self):
        if self.release_mode == ReleaseMode.ON_SUBMIT:
            return self.status != ExamStatus.DRAFT
        if self.release_mode == ReleaseMode.AFTER_CLOSE:
            return self.has_ended
        return self.status == ExamStatus.SEALED

    @property
    def review_allowed(self):
        """Own answers with the key and 解析: only once nobody can still be sitting."""
        return self.results_released and self.has_ended

    def check_access_code(self, given):
        """Whether ``given`` opens the exam. Only a string is compared: anything else (a number,
        a list, an object, None) is refused when the exam has a code."""
        if not self.access_code:
            return True
        if not isinstance(given, str):
            return False
        return hmac.compare_digest(given.strip().encode(), self.access_code.encode())

    @property
    def networks(self):
        return [ipaddress.ip_network(line, strict=False) for line in parse_allowlist(self.ip_allowlist)]

    def allows_address(self, address):
        networks = self.networks
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in networks)

    # --- transitions -------------------------------------------------------

    def mark_published(self):
        if self.status != ExamStatus.DRAFT:
            raise DomainError("只有草稿状态的考试可以发布")
        self.status = ExamStatus.PUBLISHED
        self.published_at = utcnow()

    def mark_closed(self):
        if self.status != ExamStatus.PUBLISHED:
            raise DomainError("只有已发布的考试可以结束")
        self.status = ExamStatus.CLOSED
        self.closed_at = utcnow()

    def mark_sealed(self):
        if self.status != ExamStatus.CLOSED:
            raise DomainError("只有已结束的考试可以封存")
        self.status = ExamStatus.SEALED
        self.sealed_at = utcnow()


def parse_allowlist(text):
    """CIDR entries of an allowlist, one per line or comma-separated; blanks and # comments dropped."""
    entries = []
    for line in (text or "").replace(",", "\n").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entries.append(line)
    return entries


class BlueprintRow(db.Model):
    """Draw ``count`` questions of a category x type (x difficulty), worth ``points`` each."""

    __tablename__ = "blueprint_rows"
    __table_args__ = (
        CheckConstraint("count > 0", name="count"),
        CheckConstraint("points > 0", name="points"),
        UniqueConstraint("exam_id", "position", name="uq_blueprint_rows_exam_id_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id"), nullable=False)
    qtype: Mapped[str] = mapped_column(String(16), nullable=False)
    #: None draws any difficulty
    difficulty: Mapped[str | None] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(nullable=False)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2), nullable=False)

    exam = relationship("Exam", back_populates="blueprint_rows")
    category = relationship("QuestionCategory")

    @property
    def subtotal(self):
        return self.points * self.count


class FixedPaperItem(db.Model):
    """One chosen question version of a fixed paper."""

    __tablename__ = "fixed_paper_items"
    __table_args__ = (
        CheckConstraint("points > 0", name="points"),
        UniqueConstraint("exam_id", "position", name="uq_fixed_paper_items_exam_id_position"),
        UniqueConstraint("exam_id", "question_version_id", name="uq_fixed_paper_items_exam_id_question_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2), nullable=False)

    exam = relationship("Exam", back_populates="fixed_items")
    version = relationship("QuestionVersion")


class RosterEntry(db.Model):
    """A person who must sit the exam, with their unit frozen at the time they were added."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("exam_id", "user_id", name="uq_roster_entries_exam_id_user_id"),
        Index("ix_roster_entries_exam_unit", "exam_id", "unit_id"),
        Index("uq_roster_entries_ticket_number", "ticket_number", unique=True),
        CheckConstraint("extra_minutes >= 0", name="extra_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    #: the person's unit when added: a later transfer never moves this score
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    #: the district of that unit, for district admins' scope
    district_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: minutes granted on top of the duration (never past the window's close)
    extra_minutes: Mapped[int] = mapped_column(nullable=False, default=0)
    added_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: an absence excused by an administrator (with this reason) leaves the unit's denominator
    excuse_reason: Mapped[str | None] = mapped_column(Text)
    excused_at: Mapped[object | None] = mapped_column(UTCDateTime)
    excused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: 准考证号: the exam's year, its id and a sequence (``ticket_number_for``); unique across exams,
    #: given when the row is added (``_number_new_entries``), and a login name for its person
    ticket_number: Mapped[str] = mapped_column(String(20), nullable=False)
    #: 考场 and 座位号 printed on the admission ticket, set by an administrator
    room: Mapped[str | None] = mapped_column(String(40))
    seat: Mapped[str | None] = mapped_column(String(20))
    #: the exam-day login code printed on the ticket (登录码), stored as a hash only; with the
    #: 准考证号 it logs its person in for this exam (``auth.tickets``)
    ticket_code_hash: Mapped[str | None] = mapped_column(String(64))
    ticket_code_issued_at: Mapped[object | None] = mapped_column(UTCDateTime)

    exam = relationship("Exam")
    user = relationship("User", foreign_keys=[user_id])
    excused_by = relationship("User", foreign_keys=[excused_by_id])
    unit = relationship("Unit", foreign_keys=[unit_id])

    @property
    def is_excused(self):
        return self.excuse_reason is not None


#: digits of an admission ticket number's sequence part (a roster holds fewer than 100,000 people)
TICKET_SEQUENCE_DIGITS = 5


def ticket_number_for(year, exam_id, sequence):
    """``2026`` + the exam id in at least four digits + the sequence in five: 13 digits for exams 1-9999.

    Unique across exams: the sequence has a fixed width, so the length tells the exam id's width.
    """
    if not 0 < sequence < 10**TICKET_SEQUENCE_DIGITS:
        raise DomainError("本场考试的名单人数超出准考证号的编号范围")
    return f"{year:04d}{exam_id:04d}{sequence:0{TICKET_SEQUENCE_DIGITS}d}"


def ticket_sequence(ticket_number):
    return int(ticket_number[-TICKET_SEQUENCE_DIGITS:])


@event.listens_for(Session, "before_flush")
def _number_new_entries(session, _context, _instances):
    """Give every new roster row without one the next ticket number of its exam (in the order added).

    "Next" is after the highest number the exam's rows hold: a gap left by a removed person is
    not filled, though the number of the last person, once removed, is given again.
    """
    pending = [obj for obj in session.new if isinstance(obj, RosterEntry) and not obj.ticket_number]
    if not pending:
        return
    by_exam = {}
    for entry in pending:
        exam_id = entry.exam_id if entry.exam_id is not None else entry.exam.id
        by_exam.setdefault(exam_id, []).append(entry)
    with session.no_autoflush:
        for exam_id, entries in by_exam.items():
            exam = session.get(Exam, exam_id)
            year = local_time(exam.opens_at).year
            used = session.scalars(select(RosterEntry.ticket_number).where(RosterEntry.exam_id == exam_id)).all()
            last = max((ticket_sequence(t) for t in used if t), default=0)
            for offset, entry in enumerate(entries, start=1):
                entry.ticket_number = ticket_number_for(year, exam_id, last + offset)


@access.object_rule(Exam)
def _exam_rule(user, permission, exam):
    # District admins see every exam; what they see of its roster is scoped (access.scope_roster).
    return True


@access.object_rule(RosterEntry)
def _roster_entry_rule(user, permission, entry):
    return access.district_in_scope(user, entry.district_id)


register_value_labels("exam", "status", ExamStatus.LABELS)
register_value_labels("exam", "paper_mode", PaperMode.LABELS)
register_value_labels("exam", "release_mode", ReleaseMode.LABELS)
register_value_labels("exam", "multiple_mode", MultipleMode.LABELS)


def _blueprint_row(row):
    """One row of an exam's blueprint in the audit log: category, type, difficulty, count, points."""
    if not isinstance(row, list | tuple) or len(row) != 5:
        return show_value(row)
    category, qtype, difficulty, count, points = row
    parts = [
        show_value(category),
        QType.LABELS.get(qtype, show_value(qtype)),
        Difficulty.LABELS.get(difficulty, "不限难度") if difficulty else "不限难度",
        f"{show_value(count)} 题",
        f"每题 {show_value(points)} 分",
    ]
    return "，".join(parts)


def _fixed_row(row):
    """One question of a fixed paper in the audit log: the question version and its points."""
    if not isinstance(row, list | tuple) or len(row) != 2:
        return show_value(row)
    return f"试题版本 {show_value(row[0])}（{show_value(row[1])} 分）"


register_row_formatter("blueprint", _blueprint_row)
register_row_formatter("fixed", _fixed_row)
