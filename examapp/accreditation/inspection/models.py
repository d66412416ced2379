"""二看 (inspection): the checklist from the standard's sections 一 and 六, judged item by item."""

from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ... import access
from ...extensions import db
from ...models_base import TimestampMixin


class Inspection(TimestampMixin, db.Model):
    """The inspection of one unit in one cycle (one per record)."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("accreditation_records.id"), nullable=False, unique=True)
    inspected_on: Mapped[object | None] = mapped_column(Date)
    #: "street" (street / township office) or "community": which checklist applies
    checklist: Mapped[str] = mapped_column(String(16), nullable=False)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    record = relationship("AccreditationRecord")
    recorded_by = relationship("User")
    items = relationship("InspectionItem", order_by="InspectionItem.id", back_populates="inspection")

    @property
    def district_id(self):
        return self.record.district_id


class InspectionItem(db.Model):
    """One checklist item: a measured value judged against its threshold, or yes / no."""

    __tablename__ = "inspection_items"
    __table_args__ = (UniqueConstraint("inspection_id", "code", name="uq_inspection_items_inspection_id_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    #: numeric items: the measured value; yes / no items: ``checked``
    value: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    checked: Mapped[bool | None] = mapped_column(Boolean)
    #: the threshold the value was judged against (kept: the cycle's setting may change later)
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: an optional photo, stored outside the web root (like recommendation materials)
    photo_name: Mapped[str | None] = mapped_column(String(80))
    photo_type: Mapped[str | None] = mapped_column(String(100))

    inspection = relationship("Inspection", back_populates="items")


@access.object_rule(Inspection)
def _inspection_rule(user, permission, obj):
    # an inspection, like the record it belongs to, is reached through its district
    return access.district_in_scope(user, obj.district_id)
