"""三查 (on-site check): the year's re-employment target, the reported list, and a recorded sample."""

from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ... import access
from ...db_types import UTCDateTime
from ...extensions import db
from ...models_base import TimestampMixin
from .people_sheet import mask_id_number


class Verification:
    VERIFIED = "verified"  # found re-employed as reported
    NOT_VERIFIED = "not_verified"  # could not be confirmed
    FALSE = "false"  # the report is untrue (虚假)

    LABELS = {VERIFIED: "属实", NOT_VERIFIED: "未能核实", FALSE: "虚假"}


class OnsiteCheck(TimestampMixin, db.Model):
    """The on-site check of one unit in one cycle (one per record)."""

    __tablename__ = "onsite_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("accreditation_records.id"), nullable=False, unique=True)
    #: the unit's re-employment target for the year (就业再就业目标任务数)
    target: Mapped[int] = mapped_column(Integer, nullable=False)
    #: the draw: its size, its seed (recorded so anyone can repeat it), when and by whom
    sample_size: Mapped[int | None] = mapped_column(Integer)
    sample_seed: Mapped[str | None] = mapped_column(String(64))
    drawn_at: Mapped[object | None] = mapped_column(UTCDateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: completion rate (re-employed confirmed / target), exact to 6 places (floored), once the sample is checked
    completion_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    passed: Mapped[bool | None] = mapped_column(Boolean)

    record = relationship("AccreditationRecord")
    drawn_by = relationship("User")
    people = relationship("ReemployedPerson", order_by="ReemployedPerson.row_no", back_populates="check")

    @property
    def district_id(self):
        return self.record.district_id


class ReemployedPerson(db.Model):
    """A person the unit reports as re-employed this year (imported from its list)."""

    __tablename__ = "reemployed_people"
    __table_args__ = (UniqueConstraint("check_id", "id_number", name="uq_reemployed_people_check_id_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(
        ForeignKey("onsite_checks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    row_no: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    #: the full ID number is kept for the check; every view and export shows it masked
    id_number: Mapped[str] = mapped_column(String(18), nullable=False)
    employer: Mapped[str] = mapped_column(String(200), nullable=False)
    reemployed_on: Mapped[object] = mapped_column(Date, nullable=False)
    #: place in the drawn sample (1-based), None when not drawn
    sample_order: Mapped[int | None] = mapped_column(Integer)
    verification: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[object | None] = mapped_column(UTCDateTime)

    check = relationship("OnsiteCheck", back_populates="people")
    verified_by = relationship("User")

    @property
    def masked_id_number(self):
        """What every page and export shows: 410102********123X."""
        return mask_id_number(self.id_number)

    @property
    def verification_label(self):
        return Verification.LABELS.get(self.verification, "未记录")

    def __repr__(self):
        return f"<ReemployedPerson {self.row_no} {self.masked_id_number}>"


@access.object_rule(OnsiteCheck)
def _onsite_rule(user, permission, obj):
    # an on-site check, like the record it belongs to, is reached through its district
    return access.district_in_scope(user, obj.district_id)
