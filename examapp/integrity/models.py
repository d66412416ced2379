"""Integrity findings of an exam, and the runs that computed them.

A finding is keyed by its kind and the attempts (or the unit) it involves, so a
recomputation recognises a finding it made before: unreviewed findings are replaced,
reviewed ones keep their review (and are marked as no longer holding when the new
computation does not find them again). Nothing here changes a score.
"""

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db


class FindingKind:
    SAME_DEVICE = "same_device"
    SAME_ADDRESS = "same_address"
    TWO_ADDRESSES = "two_addresses"
    COPYING = "copying"
    SPEED = "speed"
    UNIT = "unit"
    TIMING = "timing"

    ALL = (SAME_DEVICE, SAME_ADDRESS, TWO_ADDRESSES, COPYING, TIMING, SPEED, UNIT)
    LABELS = {
        SAME_DEVICE: "同一设备同时作答多份答卷",
        SAME_ADDRESS: "同一地址同时作答多份答卷",
        TWO_ADDRESSES: "一份答卷同时在两台设备上作答",
        COPYING: "相同错误答案远超偶然",
        SPEED: "高分而答题用时异常短",
        UNIT: "单位内答案雷同远超偶然",
        TIMING: "同考场答题先后紧随远超偶然",
    }
    SHORT_LABELS = {
        SAME_DEVICE: "同设备多账号",
        SAME_ADDRESS: "同地址多账号",
        TWO_ADDRESSES: "两处同时作答",
        COPYING: "疑似抄袭",
        SPEED: "用时异常短",
        UNIT: "单位答案雷同",
        TIMING: "答题紧随",
    }


class Level:
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    ALL = (HIGH, MEDIUM, LOW)
    LABELS = {HIGH: "高", MEDIUM: "中", LOW: "低"}
    #: strength at or above which a finding has the level (strength is on a -log10(p) scale):
    #: 高 a chance of one in a million or less, 中 one in a thousand (the flagging line) or less
    HIGH_FROM = 6.0
    MEDIUM_FROM = 3.0

    @classmethod
    def of(cls, strength):
        if strength >= cls.HIGH_FROM:
            return cls.HIGH
        if strength >= cls.MEDIUM_FROM:
            return cls.MEDIUM
        return cls.LOW


class Finding(db.Model):
    """One thing the office should look at, with the evidence it was found on."""

    __tablename__ = "integrity_findings"
    __table_args__ = (
        UniqueConstraint("exam_id", "key", name="uq_integrity_findings_exam_id_key"),
        CheckConstraint(
            "kind IN ('same_device', 'same_address', 'two_addresses', 'copying', 'speed', 'unit', 'timing')",
            name="kind",
        ),
        CheckConstraint("level IN ('high', 'medium', 'low')", name="level"),
        Index("ix_integrity_findings_exam_strength", "exam_id", "strength"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: kind and the involved attempts (or unit): how a recomputation recognises this finding
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    #: for sorting; about -log10 of the chance of the evidence under honest sitting
    strength: Mapped[float] = mapped_column(Float, nullable=False)
    level: Mapped[str] = mapped_column(String(8), nullable=False)
    #: roster units of the people involved
    unit_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    attempt_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    #: the figures the finding rests on (plain values; see examapp/integrity/analysis.py)
    evidence: Mapped[dict] = mapped_column(JSON, nullable=False)
    computed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: False once a recomputation no longer finds a reviewed finding (the review is kept)
    holds: Mapped[bool] = mapped_column(nullable=False, default=True, server_default=sa_true())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)

    reviewed_by = relationship("User")

    def __repr__(self):
        return f"<Finding {self.id} {self.key}>"

    @property
    def kind_label(self):
        return FindingKind.LABELS[self.kind]

    @property
    def short_label(self):
        return FindingKind.SHORT_LABELS[self.kind]

    @property
    def level_label(self):
        return Level.LABELS[self.level]

    @property
    def is_reviewed(self):
        return self.reviewed_at is not None


class IntegrityRun(db.Model):
    """One computation of an exam's findings: when, by whom, over how much, with what outcome."""

    __tablename__ = "integrity_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False, index=True)
    computed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: None: the command line or the sweep after the exam closed
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attempts: Mapped[int] = mapped_column(nullable=False)
    findings: Mapped[int] = mapped_column(nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    #: figures of the computation: pairs compared, cut-offs, units screened (shown on the list page)
    stats: Mapped[dict] = mapped_column(JSON, nullable=False)

    computed_by = relationship("User")
