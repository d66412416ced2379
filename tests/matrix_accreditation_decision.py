"""Permission-matrix rows for the decision, the accredited list and the cycles' settings (merged by
tests/test_permissions.py)."""

from examapp.accreditation.services import cycle_for_year, record_for
from examapp.extensions import db

VIEWERS = {"district_admin", "exam_admin", "office"}
OFFICE = {"office"}

EXPECTED = {
    "accreditation.decide": ("POST", OFFICE),
    "accreditation.change_decision": ("POST", OFFICE),
    "accreditation.accredited": ("GET", VIEWERS),
    "accreditation.accredited_export": ("GET", VIEWERS),
    "accreditation.cycles": ("GET", OFFICE),
    "accreditation.cycle_create": ("POST", OFFICE),
    "accreditation.cycle_settings": ("GET", OFFICE),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments (a record of a community in district A). Called inside a request context."""
    cycle = cycle_for_year(2026)
    if endpoint in ("accreditation.decide", "accreditation.change_decision"):
        record = record_for(cycle, world.communities["a"].id, world.districts["a"].id)
        db.session.flush()
        return {"record_id": record.id}
    if endpoint in ("accreditation.accredited", "accreditation.accredited_export"):
        return {"year": cycle.year}
    if endpoint == "accreditation.cycle_settings":
        return {"year": cycle.year}
    return {}
