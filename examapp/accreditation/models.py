from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit.chain import ChainedMixin
from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin

#: the notice's rules, the defaults of every new cycle
DEFAULT_THRESHOLD = Decimal("95")
DEFAULT_RECOMMENDATION_SHARE = Decimal("0.10")


class AccreditationCycle(TimestampMixin, db.Model):
    """One year's acceptance of demonstration communities (郑政办〔2005〕27号)."""

    __tablename__ = "accreditation_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    #: a unit whose staff average is below this loses its eligibility; exactly it passes
    threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=DEFAULT_THRESHOLD)
    #: districts recommend at least this share of their street and community units
    recommendation_share: Mapped[Decimal] = mapped_column(
        Numeric(4, 3), nullable=False, default=DEFAULT_RECOMMENDATION_SHARE
    )
    #: recommendation materials are due by this day (Asia/Shanghai); later counts as forfeited
    materials_deadline: Mapped[date] = mapped_column(Date, nullable=False)

    def __repr__(self):
        return f"<AccreditationCycle {self.year}>"


class RecordStatus:
    """Where a unit stands in a cycle as far as the exam (the fourth check) is concerned."""

    EXAM_PASSED = "exam_passed"
    DISQUALIFIED = "disqualified"
    NO_RESULT = "no_result"

    LABELS = {EXAM_PASSED: "考试合格", DISQUALIFIED: "取消验收资格", NO_RESULT: "无考试成绩"}


class AccreditationRecord(TimestampMixin, db.Model):
    """An assessed unit's standing in a cycle; its entries are the history of how it got there."""

    __tablename__ = "accreditation_records"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", name="uq_accreditation_records_cycle_id_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("accreditation_cycles.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    #: the unit's district, for district admins' scope
    district_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    #: why, in words: "考试平均分 94.37 < 95"
    status_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: the unit's exam average as shown (floored to two decimals); None without a result
    exam_average: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id"))

    cycle = relationship("AccreditationCycle")
    unit = relationship("Unit", foreign_keys=[unit_id])
    entries = relationship("RecordEntry", order_by="RecordEntry.id", back_populates="record")

    @property
    def status_label(self):
        return RecordStatus.LABELS.get(self.status, self.status)


class RecordEntry(ChainedMixin, db.Model):
    """One step in a record's history: an exam sealed, or a correction after the seal.
    Append-only and hash-chained (``audit.chain``)."""

    __tablename__ = "accreditation_record_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("accreditation_records.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: "exam_sealed" or "exam_corrected"
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    exam_average: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    #: what the entry says ("考试合格，平均分 96.50" / "取消验收资格：考试平均分 94.37 < 95")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    #: for a correction: why it was made, and what stood before
    reason: Mapped[str | None] = mapped_column(Text)
    before_status: Mapped[str | None] = mapped_column(String(16))
    before_average: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    record = relationship("AccreditationRecord", back_populates="entries")
    actor = relationship("User")
    exam = relationship("Exam")

    KINDS = {"exam_sealed": "考试成绩封存", "exam_corrected": "封存后更正"}

    def chain_content(self):
        """What the entry's hash covers: everything it says, and whose record it is."""
        return {
            "record_id": self.record_id, "created_at": self.created_at, "actor_id": self.actor_id,
            "kind": self.kind, "exam_id": self.exam_id, "status": self.status, "exam_average": self.exam_average,
            "text": self.text, "reason": self.reason, "before_status": self.before_status,
            "before_average": self.before_average,
        }

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return RecordStatus.LABELS.get(self.status, self.status)
