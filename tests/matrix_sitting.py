"""Permission-matrix rows for the examinee's pages (merged by tests/test_permissions.py)."""

from examapp.auth.models import User
from examapp.extensions import db
from examapp.sitting.services import start_attempt

from . import exam_factories

EXAMINEE = {"examinee"}
#: the in-page login of an exam page whose session ended: reached before logging in
EVERYONE = {"anonymous", "examinee", "district_admin", "exam_admin", "office"}

EXPECTED = {
    "sitting.start": ("GET", EXAMINEE),
    "sitting.attempt": ("GET", EXAMINEE),
    "sitting.save": ("POST", EXAMINEE),
    "sitting.event": ("POST", EXAMINEE),
    "sitting.hello": ("POST", EXAMINEE),
    "sitting.relogin_token": ("GET", EVERYONE),
    "sitting.relogin": ("POST", EVERYONE),
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
