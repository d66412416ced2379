"""Permission-matrix rows for the decision, the accredited list and the cycles' settings (merged by
tests/test_permissions.py)."""

from examapp.cycles.services import cycle_for_year, record_for
from examapp.extensions import db

VIEWERS = {"district_admin", "exam_admin", "office"}
OFFICE = {"office"}

EXPECTED = {
    "accreditation_decision.decide": ("POST", OFFICE),
    "accreditation_decision.change_decision": ("POST", OFFICE),
    "accreditation_decision.accredited": ("GET", VIEWERS),
    "accreditation_decision.accredited_export": ("GET", VIEWERS),
    "accreditation_decision.cycles": ("GET", OFFICE),
    "accreditation_decision.cycle_create": ("POST", OFFICE),
    "accreditation_decision.cycle_settings": ("GET", OFFICE),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments (a record of a community in district A). Called inside a request context."""
    cycle = cycle_for_year(2026)
    if endpoint in ("accreditation_decision.decide", "accreditation_decision.change_decision"):
        record = record_for(cycle, world.communities["a"].id, world.districts["a"].id)
        db.session.flush()
        return {"record_id": record.id}
    if endpoint in ("accreditation_decision.accredited", "accreditation_decision.accredited_export"):
        return {"year": cycle.year}
    if endpoint == "accreditation_decision.cycle_settings":
        return {"year": cycle.year}
    return {}
