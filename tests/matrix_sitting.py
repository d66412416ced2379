"""Permission-matrix rows for the examinee's pages (merged by tests/test_permissions.py)."""

from examapp.auth.models import User
from examapp.extensions import db
from examapp.sitting.services import start_attempt

from . import exam_factories

EXAMINEE = {"examinee"}

EXPECTED = {
    "sitting.start": ("GET", EXAMINEE),
    "sitting.attempt": ("GET", EXAMINEE),
    "sitting.save": ("POST", EXAMINEE),
    "sitting.event": ("POST", EXAMINEE),
    "sitting.state": ("GET", EXAMINEE),
    "sitting.submit": ("GET", EXAMINEE),
    "sitting.result": ("GET", EXAMINEE),
}


def url_params(endpoint, world, user):
    """An exam with the examinee kaosheng on its roster, and kaosheng's attempt."""
    exam = exam_factories.exam(world, publish=True)
    attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
    if endpoint == "sitting.start":
        return {"exam_id": exam.id}
    return {"attempt_id": attempt.id}
