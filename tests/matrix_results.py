"""Permission-matrix rows for results, sealing, corrections and accreditation records (merged by
tests/test_permissions.py)."""

from sqlalchemy import select

from examapp.cycles.models import AccreditationRecord, RecordStatus
from examapp.cycles.services import cycle_for_year
from examapp.exams.models import RosterEntry
from examapp.extensions import db
from examapp.results.models import PendingCorrection

from . import exam_factories

VIEWERS = {"district_admin", "exam_admin", "office"}
CORRECTORS = {"district_admin", "exam_admin"}

EXPECTED = {
    "results.exam": ("GET", VIEWERS),
    "results.print_report": ("GET", VIEWERS),
    "results.export": ("GET", VIEWERS),
    "results.unit": ("GET", VIEWERS),
    "results.seal": ("POST", {"office"}),
    "results.excuse": ("POST", CORRECTORS),
    "results.unexcuse": ("POST", CORRECTORS),
    "results.regrade": ("POST", {"exam_admin"}),
    "corrections.index": ("GET", {"office"}),
    "corrections.confirm": ("POST", {"office"}),
    "corrections.reject": ("POST", {"office"}),
    "accreditation.index": ("GET", VIEWERS),
    "accreditation.record": ("GET", VIEWERS),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments (objects inside district A). Called inside a request context."""
    if endpoint in ("accreditation.index", "corrections.index"):
        return {}
    if endpoint == "accreditation.record":
        record = AccreditationRecord(
            cycle_id=cycle_for_year(2026).id,
            unit_id=world.communities["a"].id,
            district_id=world.districts["a"].id,
            status=RecordStatus.EXAM_PASSED,
            status_reason="考试平均分 96 ≥ 95",
        )
        db.session.add(record)
        db.session.flush()
        return {"record_id": record.id}
    exam = exam_factories.exam(world, publish=True)
    params = {"exam_id": exam.id}
    if endpoint == "results.unit":
        params["unit_id"] = world.communities["a"].id
    if endpoint in ("results.excuse", "results.unexcuse"):
        params["entry_id"] = db.session.scalar(
            select(RosterEntry.id).where(
                RosterEntry.exam_id == exam.id, RosterEntry.user_id == world.accounts["examinee"].id
            )
        )
    if endpoint in ("corrections.confirm", "corrections.reject"):
        entry = db.session.scalar(
            select(RosterEntry).where(
                RosterEntry.exam_id == exam.id, RosterEntry.user_id == world.accounts["examinee"].id
            )
        )
        proposal = PendingCorrection(
            exam_id=exam.id,
            kind="excuse",
            params={"entry_id": entry.id},
            summary="批准缺考",
            standings=[],
            reason="矩阵测试",
            district_id=entry.district_id,
            proposed_by_id=world.accounts["district_admin"].id,
        )
        db.session.add(proposal)
        db.session.flush()
        return {"correction_id": proposal.id}
    return params
