"""Permission-matrix rows for the live monitor (merged by tests/test_permissions.py)."""

from sqlalchemy import select

from examapp.exams.models import RosterEntry
from examapp.extensions import db

from . import exam_factories

#: exam admins everywhere, district admins for their own district; never office or examinees
MONITORS = {"district_admin", "exam_admin"}

#: endpoint -> (method, allowed roles); the role sets are those of tests/test_permissions.py
EXPECTED = {
    "monitor.exam": ("GET", MONITORS),
    "monitor.status": ("GET", MONITORS),
    "monitor.person": ("GET", MONITORS),
    "monitor.person_extra_time": ("POST", MONITORS),
    "monitor.unit_extra_time": ("POST", MONITORS),
    "monitor.reopen": ("POST", MONITORS),
    "monitor.void": ("POST", MONITORS),
    "monitor.person_force_submit": ("POST", MONITORS),
    "monitor.unit_force_submit": ("POST", MONITORS),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments for a monitor endpoint (objects inside district A).

    Called inside a request context; the caller commits the published exam made here.
    """
    exam = exam_factories.exam(world, publish=True)
    params = {"exam_id": exam.id}
    if endpoint in ("monitor.unit_extra_time", "monitor.unit_force_submit"):
        params["unit_id"] = world.communities["a"].id
    elif endpoint in (
        "monitor.person",
        "monitor.person_extra_time",
        "monitor.reopen",
        "monitor.void",
        "monitor.person_force_submit",
    ):
        params["entry_id"] = db.session.scalar(
            select(RosterEntry.id).where(
                RosterEntry.exam_id == exam.id, RosterEntry.user_id == world.accounts["examinee"].id
            )
        )
    return params
