"""The unit scores of a sealed exam, stored as they stood at the seal (and after each correction)."""

from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db


class UnitResult(db.Model):
    """One assessed unit's figures in a sealed exam; changed only by an audited correction."""

    __tablename__ = "unit_results"
    __table_args__ = (UniqueConstraint("exam_id", "unit_id", name="uq_unit_results_exam_id_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    roster_size: Mapped[int] = mapped_column(nullable=False)
    sat: Mapped[int] = mapped_column(nullable=False)
    excused: Mapped[int] = mapped_column(nullable=False)
    absent: Mapped[int] = mapped_column(nullable=False)
    #: the sum of the scores of those who sat (absent count 0): average = score_sum / (roster - excused)
    score_sum: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    highest: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    lowest: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    #: 0 at the seal, +1 for each correction that changed this unit
    revision: Mapped[int] = mapped_column(nullable=False, default=0)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    unit = relationship("Unit", foreign_keys=[unit_id])


class CorrectionStatus:
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"

    LABELS = {PENDING: "等待确认", CONFIRMED: "已确认", REJECTED: "未确认"}


class PendingCorrection(db.Model):
    """A correction after the seal that would change a unit's standing: proposed by an exam or
    district admin, applied only when the leadership-group office confirms it (``corrections``)."""

    __tablename__ = "pending_corrections"
    __table_args__ = (CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False, index=True)
    #: excuse / unexcuse / regrade
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: what to apply: the roster entry's id, or the used and the corrected question versions
    params: Mapped[dict] = mapped_column(JSON, nullable=False)
    #: the correction in words, as proposed ("批准 张三 缺考")
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    #: the standings it would change, as found when proposed: [{"unit", "before", "after"}]
    standings: Mapped[list] = mapped_column(JSON, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=CorrectionStatus.PENDING, index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    proposed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    exam = relationship("Exam")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def status_label(self):
        return CorrectionStatus.LABELS[self.status]
