from datetime import date

from sqlalchemy import select

from ..extensions import db
from .models import AccreditationCycle


def cycle_for_year(year):
    """The cycle of ``year``, created with the notice's defaults when missing."""
    cycle = db.session.scalar(select(AccreditationCycle).where(AccreditationCycle.year == year))
    if cycle is None:
        cycle = AccreditationCycle(
            year=year, name=f"{year} 年度劳动保障工作示范社区（街道、乡镇）验收", materials_deadline=date(year, 10, 31)
        )
        db.session.add(cycle)
        db.session.flush()
    return cycle
