"""A year's accreditation cycle and each assessed unit's sealed record in it: its standing and the
hash-chained history of how it got there. The exam writes into it (``services.write_exam_entry``);
the checks of ``accreditation`` write their own entries and hang their tables off the record."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import access
from ..audit.chain import ChainedMixin, register_chain
from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin

#: the notice's rules, the defaults of every new cycle
DEFAULT_THRESHOLD = Decimal("95")
DEFAULT_RECOMMENDATION_SHARE = Decimal("0.10")
#: 三查: the on-site check samples this share of the year's re-employment target ...
DEFAULT_SAMPLE_SHARE = Decimal("0.80")
#: ... and the target must be completed to at least this rate (100 %), with no false entry
DEFAULT_COMPLETION_REQUIRED = Decimal("1.0000")
#: 一听: residents' satisfaction (satisfied + basically satisfied) / asked must reach this.
#: The notice names no figure; 90 % is the office's usual line and a setting of each cycle.
DEFAULT_SATISFACTION_REQUIRED = Decimal("0.900")
#: 二看 (the standard's section 一): street office hall / community office floor area, m²
DEFAULT_STREET_HALL_AREA = Decimal("60")
DEFAULT_COMMUNITY_OFFICE_AREA = Decimal("15")


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
    #: recommendation materials are due by this day (in the display zone); later counts as forfeited
    materials_deadline: Mapped[date] = mapped_column(Date, nullable=False)
    #: 三查: share of the re-employment target drawn for the on-site check, and the completion required
    sample_share: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, default=DEFAULT_SAMPLE_SHARE)
    completion_required: Mapped[Decimal] = mapped_column(
        Numeric(6, 4), nullable=False, default=DEFAULT_COMPLETION_REQUIRED
    )
    #: 一听: the satisfaction rate a unit must reach
    satisfaction_required: Mapped[Decimal] = mapped_column(
        Numeric(4, 3), nullable=False, default=DEFAULT_SATISFACTION_REQUIRED
    )
    #: 二看: the standard's numeric thresholds (street / township office vs. community)
    street_hall_area: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False, default=DEFAULT_STREET_HALL_AREA)
    community_office_area: Mapped[Decimal] = mapped_column(
        Numeric(6, 1), nullable=False, default=DEFAULT_COMMUNITY_OFFICE_AREA
    )
    street_computers: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    community_computers: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    street_cabinets: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    community_cabinets: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    phones: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    community_staff: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    def __repr__(self):
        return f"<AccreditationCycle {self.year}>"


class RecordStatus:
    """Where a unit stands in a cycle as far as the exam (the fourth check) is concerned."""

    EXAM_PASSED = "exam_passed"
    DISQUALIFIED = "disqualified"
    NO_RESULT = "no_result"

    LABELS = {EXAM_PASSED: "考试合格", DISQUALIFIED: "取消验收资格", NO_RESULT: "无考试成绩"}


class Decision:
    """The office's final word on a unit in a cycle."""

    PASSED = "passed"
    FAILED = "failed"
    FORFEITED = "forfeited"

    LABELS = {PASSED: "通过", FAILED: "不通过", FORFEITED: "放弃"}


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
    #: the office's confirmed decision (Decision.*), None until confirmed; it changes only
    #: through a new entry with a reason
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle = relationship("AccreditationCycle")
    unit = relationship("Unit", foreign_keys=[unit_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    entries = relationship("RecordEntry", order_by="RecordEntry.id", back_populates="record")

    @property
    def status_label(self):
        return RecordStatus.LABELS.get(self.status, self.status)

    @property
    def decision_label(self):
        return Decision.LABELS.get(self.decision, "未决定") if self.decision else "未决定"


#: the outcome of one of the other three checks, on its record entries
CHECK_LABELS = {"passed": "合格", "failed": "不合格", "": "未判定"}


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
    #: one of KINDS
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

    #: ``status`` of the exam entries is a RecordStatus; of a check's entries "passed" / "failed"
    #: / "" (not judged yet); of a decision, a Decision
    KINDS = {
        "exam_sealed": "考试成绩封存",
        "exam_corrected": "封存后更正",
        "recommended": "推荐验收",
        "forfeited": "逾期未报",
        "hearing": "一听",
        "inspection": "二看",
        "sample_drawn": "三查抽样",
        "onsite_check": "三查",
        "decision": "验收决定",
        "decision_changed": "验收决定变更",
    }

    def chain_content(self):
        """What the entry's hash covers: everything it says, and whose record it is."""
        return {
            "record_id": self.record_id,
            "created_at": self.created_at,
            "actor_id": self.actor_id,
            "kind": self.kind,
            "exam_id": self.exam_id,
            "status": self.status,
            "exam_average": self.exam_average,
            "text": self.text,
            "reason": self.reason,
            "before_status": self.before_status,
            "before_average": self.before_average,
        }

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        if self.kind in ("exam_sealed", "exam_corrected"):
            return RecordStatus.LABELS.get(self.status, self.status)
        if self.kind in ("decision", "decision_changed", "forfeited"):
            return Decision.LABELS.get(self.status, self.status)
        return CHECK_LABELS.get(self.status, self.status)


register_chain("records", "验收记录", RecordEntry, order=2)


@access.object_rule(AccreditationRecord)
def _record_rule(user, permission, record):
    # a unit's accreditation is reached through its district
    return access.district_in_scope(user, record.district_id)
