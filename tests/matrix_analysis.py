"""Permission-matrix rows for the item analysis pages (merged by tests/test_permissions.py)."""

from examapp.auth.models import User
from examapp.extensions import db
from examapp.sitting.models import SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt

from . import exam_factories

#: the analysis shows the answer key: exam admins only (like the question bank)
ANALYSTS = {"exam_admin"}

#: endpoint -> (method, allowed roles); the role sets are those of tests/test_permissions.py
EXPECTED = {
    "analysis.exam": ("GET", ANALYSTS),
    "analysis.question": ("GET", ANALYSTS),
    # judging a fill-in answer correct regrades the exam: results.regrade, exam admins only
    "analysis.accept_variant": ("POST", ANALYSTS),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments: a published exam; for one question, a version of a submitted attempt.

    Called inside a request context; the caller commits what is made here.
    """
    exam = exam_factories.exam(world, publish=True)
    params = {"exam_id": exam.id}
    if endpoint in ("analysis.question", "analysis.accept_variant"):
        attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        submit_attempt(attempt, SubmitReason.EXAMINEE)
        params["version_id"] = attempt.items[0].question_version_id
    return params
