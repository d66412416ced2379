"""The accreditation records of a cycle: each assessed unit's standing and its history.
The pages of recommendations, the checks and the decision are their packages' own blueprints
(``blueprints.BLUEPRINTS``)."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import requires
from ..cycles.models import AccreditationCycle, AccreditationRecord
from ..extensions import db
from ..web.ids import db_int
from . import listing
from .decision.views import decision_helpers
from .links import only_this_computer
from .outcomes import exam_verdict_label

bp = Blueprint("accreditation", __name__, url_prefix="/accreditation", template_folder="templates")
#: the index and record pages show each unit's four checks and proposed result
bp.context_processor(decision_helpers)
#: 四考试 in the results page's words (record.html is also shown by the decision's blueprint)
bp.add_app_template_global(exam_verdict_label, "exam_verdict_label")
#: the hearing's pages warn when the questionnaire's link works on this computer only
bp.add_app_template_global(only_this_computer, "only_this_computer")


@bp.get("/")
@requires("accreditation.view")
def index():
    cycles = db.session.scalars(select(AccreditationCycle).order_by(AccreditationCycle.year.desc())).all()
    year = request.args.get("year", type=db_int)
    cycle = next((c for c in cycles if c.year == year), cycles[0] if cycles else None)
    filters = listing.parse_filters(request.args)
    rows, districts, details = [], [], {}
    if cycle is not None:
        scope = access.unit_scope(current_user)
        rows = listing.list_records(cycle, filters, scope)
        districts = listing.districts_of(cycle, scope)
        changed = listing.latest_changes([record for record, *_ in rows])
        details = {
            record.id: {"district": district or "—", "recommendation": recommendation, "changed_at": changed[record.id]}
            for record, _unit, district, recommendation in rows
        }
    return render_template(
        "accreditation/index.html",
        cycles=cycles,
        cycle=cycle,
        records=[(record, unit) for record, unit, *_ in rows],
        details=details,
        districts=districts,
        filters=filters,
        status=filters.status,
        exam_filters=listing.EXAM_FILTERS,
        recommendation_filters=listing.RECOMMENDATION_FILTERS,
        not_recommended=listing.NOT_RECOMMENDED,
    )


@bp.get("/records/<int:record_id>")
@requires("accreditation.view")
def record(record_id):
    record = db.session.get(AccreditationRecord, record_id)
    if record is None:
        abort(404)
    access.ensure(current_user, "accreditation.view", record)
    return render_template("accreditation/record.html", record=record, unit=record.unit)
