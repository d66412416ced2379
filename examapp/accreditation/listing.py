"""The 验收记录 list: which records a filter keeps, each unit's district and recommendation, and
when anything on a record last changed (the record itself or any of its checks)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..cycles.models import AccreditationRecord, RecordStatus
from ..extensions import db
from ..org.models import Unit
from ..web.ids import db_int
from .hearing.models import Hearing
from .inspection.models import Inspection
from .onsite.models import OnsiteCheck, ReemployedPerson
from .outcomes import EXAM_VERDICT_LABELS
from .recommend.models import Recommendation, RecommendationStatus

#: the recommendation filter: value -> label ("none": never recommended, "any": recommended at all)
RECOMMENDATION_FILTERS = {
    "any": "已列入推荐",
    "none": "未列入推荐",
    **RecommendationStatus.LABELS,
}
#: what the 推荐情况 column says of a unit that was never recommended
NOT_RECOMMENDED = "未列入推荐"
#: the exam filter: RecordStatus value -> the results page's words
EXAM_FILTERS = {status: EXAM_VERDICT_LABELS[status] for status in RecordStatus.LABELS}


@dataclass(frozen=True)
class Filters:
    district_id: int | None = None
    recommended: str | None = None
    status: str | None = None


def parse_filters(args):
    """The list's filters from the query string; an unknown value is no filter."""
    recommended = args.get("recommended")
    status = args.get("status")
    return Filters(
        district_id=args.get("district", type=db_int),
        recommended=recommended if recommended in RECOMMENDATION_FILTERS else None,
        status=status if status in EXAM_FILTERS else None,
    )


def list_records(cycle, filters, scope=None):
    """[(record, unit, district name, recommendation or None)] of ``cycle``, in unit order.
    ``scope``: the district a district admin is limited to."""
    district = aliased(Unit)
    query = (
        select(AccreditationRecord, Unit, district.name, Recommendation)
        .join(Unit, Unit.id == AccreditationRecord.unit_id)
        .outerjoin(district, district.id == AccreditationRecord.district_id)
        .outerjoin(Recommendation, Recommendation.record_id == AccreditationRecord.id)
        .where(AccreditationRecord.cycle_id == cycle.id)
        .order_by(Unit.path)
    )
    if scope is not None:
        query = query.where(AccreditationRecord.district_id == scope.id)
    if filters.district_id:
        query = query.where(AccreditationRecord.district_id == filters.district_id)
    if filters.status:
        query = query.where(AccreditationRecord.status == filters.status)
    if filters.recommended == "none":
        query = query.where(Recommendation.id.is_(None))
    elif filters.recommended == "any":
        query = query.where(Recommendation.id.is_not(None))
    elif filters.recommended:
        query = query.where(Recommendation.status == filters.recommended)
    return [tuple(row) for row in db.session.execute(query).all()]


def districts_of(cycle, scope=None):
    """[(id, name)] of the districts that have records in ``cycle`` (only ``scope`` when given)."""
    query = (
        select(Unit.id, Unit.name)
        .where(Unit.id.in_(select(AccreditationRecord.district_id).where(AccreditationRecord.cycle_id == cycle.id)))
        .order_by(Unit.path)
    )
    if scope is not None:
        query = query.where(Unit.id == scope.id)
    return [tuple(row) for row in db.session.execute(query).all()]


def latest_changes(records):
    """{record id: when the record or any of its checks last changed}: the record (exam result,
    decision), its 一听, 二看 and 三查 (and the 三查's recorded verifications)."""
    latest = {r.id: r.updated_at for r in records}
    ids = list(latest)
    if not ids:
        return latest
    sources = [
        select(Hearing.record_id, Hearing.updated_at).where(Hearing.record_id.in_(ids)),
        select(Inspection.record_id, Inspection.updated_at).where(Inspection.record_id.in_(ids)),
        select(OnsiteCheck.record_id, OnsiteCheck.updated_at).where(OnsiteCheck.record_id.in_(ids)),
        select(OnsiteCheck.record_id, func.max(ReemployedPerson.verified_at))
        .join(ReemployedPerson, ReemployedPerson.check_id == OnsiteCheck.id)
        .where(OnsiteCheck.record_id.in_(ids))
        .group_by(OnsiteCheck.record_id),
    ]
    for source in sources:
        for record_id, changed_at in db.session.execute(source).all():
            if changed_at is not None and (latest[record_id] is None or changed_at > latest[record_id]):
                latest[record_id] = changed_at
    return latest
