"""Finding a year's cycle and a unit's record in it, and writing the record's chained entries.
Services flush; the request or command commits."""

from datetime import date

from sqlalchemy import select

from ..audit.chain import link
from ..clock import utcnow
from ..extensions import db
from .models import AccreditationCycle, AccreditationRecord, RecordEntry, RecordStatus

#: an exam verdict ("passed" / "disqualified" / "no_result") -> the record's standing
EXAM_STATUSES = {
    "passed": RecordStatus.EXAM_PASSED,
    "disqualified": RecordStatus.DISQUALIFIED,
    "no_result": RecordStatus.NO_RESULT,
}


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


def record_for(cycle, unit_id, district_id):
    """The unit's record in the cycle, created empty when missing."""
    record = db.session.scalar(
        select(AccreditationRecord).where(
            AccreditationRecord.cycle_id == cycle.id, AccreditationRecord.unit_id == unit_id
        )
    )
    if record is None:
        record = AccreditationRecord(
            cycle_id=cycle.id, unit_id=unit_id, district_id=district_id, status="", status_reason=""
        )
        db.session.add(record)
        db.session.flush()  # its id goes into the entries' hashes
    return record


def records_of(cycle, unit_ids):
    """{unit id: record} of the units that already have one in the cycle (one query)."""
    return {
        record.unit_id: record
        for record in db.session.scalars(
            select(AccreditationRecord).where(
                AccreditationRecord.cycle_id == cycle.id, AccreditationRecord.unit_id.in_(list(unit_ids))
            )
        )
    }


def write_exam_entry(actor, cycle, exam, score, *, kind="exam_sealed", reason=None, known=None):
    """Write a unit's exam result into its record: a new history entry, and the record's standing.

    ``score``: a unit's figures as plain values (``unit_id``, ``district_id``, ``average_shown``,
    ``reason`` and ``verdict``, one of the strings of ``EXAM_STATUSES``), such as the results'
    UnitScore. A correction keeps what stood before on the entry.
    ``known``: records already loaded (``records_of``), so that many units cost one query.
    """
    status = EXAM_STATUSES[score.verdict]
    record = (known or {}).get(score.unit_id) or record_for(cycle, score.unit_id, score.district_id)
    before_status, before_average = (record.status or None), record.exam_average
    if status == RecordStatus.EXAM_PASSED:
        text = f"考试合格，平均分 {score.average_shown}"
    elif status == RecordStatus.DISQUALIFIED:
        text = f"取消验收资格：{score.reason}"
    else:
        text = f"无考试成绩：{score.reason}"
    record.status, record.status_reason = status, score.reason
    record.exam_average, record.exam_id = score.average_shown, exam.id
    entry = RecordEntry(
        record=record,
        record_id=record.id,
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        exam_id=exam.id,
        status=status,
        exam_average=score.average_shown,
        text=text,
        reason=reason,
        before_status=before_status if kind != "exam_sealed" else None,
        before_average=before_average if kind != "exam_sealed" else None,
    )
    db.session.add(entry)
    link("records", entry)
    return entry


def add_entry(record, actor, kind, *, status="", text, reason=None):
    """Append an entry to ``record``'s chained history (any kind but the exam's own, which
    ``write_exam_entry`` writes). ``status``: "passed" / "failed" / "" for a check, a Decision
    for a decision. Flushed with the session, never committed here."""
    if kind not in RecordEntry.KINDS:
        raise ValueError(f"unknown record entry kind {kind!r}")
    entry = RecordEntry(
        record=record,
        record_id=record.id,
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        status=status,
        text=text,
        reason=reason,
    )
    db.session.add(entry)
    link("records", entry)
    return entry
