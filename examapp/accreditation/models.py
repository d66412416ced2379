from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

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
