"""The accreditation records of a cycle: each assessed unit's standing and its history.
The pages of recommendations, the checks and the decision are their packages' own blueprints
(``blueprints.BLUEPRINTS``)."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import requires
from ..cycles.models import AccreditationCycle, AccreditationRecord, RecordStatus
from ..extensions import db
from ..org.models import Unit
from .decision.views import decision_helpers

bp = Blueprint("accreditation", __name__, url_prefix="/accreditation", template_folder="templates")
#: the index and record pages show each unit's four checks and proposed result
bp.context_processor(decision_helpers)


@bp.get("/")
@requires("accreditation.view")
def index():
    cycles = db.session.scalars(select(AccreditationCycle).order_by(AccreditationCycle.year.desc())).all()
    year = request.args.get("year", type=int)
    cycle = next((c for c in cycles if c.year == year), cycles[0] if cycles else None)
    status = request.args.get("status")
    status = status if status in RecordStatus.LABELS else None
    records = []
    if cycle is not None:
        query = (
            select(AccreditationRecord, Unit)
            .join(Unit, Unit.id == AccreditationRecord.unit_id)
            .where(AccreditationRecord.cycle_id == cycle.id)
            .order_by(Unit.path)
        )
        scope = access.unit_scope(current_user)
        if scope is not None:
            query = query.where(AccreditationRecord.district_id == scope.id)
        if status:
            query = query.where(AccreditationRecord.status == status)
        records = db.session.execute(query).all()
    return render_template(
        "accreditation/index.html", cycles=cycles, cycle=cycle, records=records, status=status, statuses=RecordStatus
    )


@bp.get("/records/<int:record_id>")
@requires("accreditation.view")
def record(record_id):
    record = db.session.get(AccreditationRecord, record_id)
    if record is None:
        abort(404)
    access.ensure(current_user, "accreditation.view", record)
    return render_template("accreditation/record.html", record=record, unit=record.unit)
