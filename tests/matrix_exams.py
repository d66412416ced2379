"""Permission-matrix rows for the exams feature (merged by tests/test_permissions.py)."""

from sqlalchemy import select

from examapp.exams.models import RosterEntry
from examapp.extensions import db

EXAM_ADMIN = {"exam_admin"}
ADMINS = {"district_admin", "exam_admin"}
VIEWERS = {"district_admin", "exam_admin", "office"}

#: endpoint -> (method, allowed roles); the role sets are those of tests/test_permissions.py
EXPECTED = {
    "exams.index": ("GET", VIEWERS),
    "exams.create": ("GET", EXAM_ADMIN),
    "exams.detail": ("GET", VIEWERS),
    "exams.edit": ("GET", EXAM_ADMIN),
    "exams.publish": ("POST", EXAM_ADMIN),
    "exams.close": ("POST", EXAM_ADMIN),
    "exams.copy": ("POST", EXAM_ADMIN),
    # the paper and its preview show questions (and the key): exam admins only
    "exams.paper": ("GET", EXAM_ADMIN),
    "exams.fixed_paper": ("GET", EXAM_ADMIN),
    "exams.preview": ("GET", EXAM_ADMIN),
    # district admins see their district's part of a roster; only exam admins change it
    "exams.roster": ("GET", VIEWERS),
    "exams.roster_entry": ("GET", VIEWERS),
    "exams.roster_add": ("POST", EXAM_ADMIN),
    "exams.roster_remove": ("POST", EXAM_ADMIN),
    # printing admission tickets changes nothing; issuing first-login passwords is its own action
    "exams.paperwork": ("GET", ADMINS),
    "exams.tickets": ("GET", ADMINS),
    "exams.issue_passwords": ("GET", ADMINS),
    "exams.issue_passwords_confirmed": ("POST", ADMINS),
    # room and seat on the ticket: exam admins, district admins for their district's people
    "exams.roster_seat": ("POST", ADMINS),
    "exams.sign_in_sheet": ("GET", ADMINS),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments for an exams endpoint (objects inside district A)."""
    from flask import current_app

    from . import exam_factories

    arguments = next(current_app.url_map.iter_rules(endpoint)).arguments
    params = {}
    if "exam_id" in arguments:
        exam = exam_factories.exam(world)
        params["exam_id"] = exam.id
        if "entry_id" in arguments:
            params["entry_id"] = db.session.scalar(
                select(RosterEntry.id).where(
                    RosterEntry.exam_id == exam.id, RosterEntry.user_id == world.accounts["examinee"].id
                )
            )
    if "unit_id" in arguments:
        params["unit_id"] = world.communities["a"].id
    return params
