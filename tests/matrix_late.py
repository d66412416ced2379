"""Permission-matrix rows for the review of late deliveries (merged by tests/test_permissions.py)."""

from datetime import timedelta

from examapp.auth.models import User
from examapp.extensions import db
from examapp.sitting.models import LateDelivery, LateStatus, SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt

from . import exam_factories

#: exam admins and the office decide on late deliveries, city-wide; district admins do not
REVIEWERS = {"exam_admin", "office"}

EXPECTED = {
    "late_review.exam": ("GET", REVIEWERS),
    "late_review.attempt": ("GET", REVIEWERS),
    "late_review.decide": ("POST", REVIEWERS),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments: a published exam; for an attempt, kaosheng's (district A), submitted,
    with one pending late delivery. Called inside a request context; the caller commits."""
    exam = exam_factories.exam(world, publish=True)
    if endpoint == "late_review.exam":
        return {"exam_id": exam.id}
    attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
    submit_attempt(attempt, SubmitReason.DEADLINE)
    db.session.add(
        LateDelivery(
            attempt_id=attempt.id,
            position=1,
            seq=1,
            response=None,
            flagged=False,
            answered_at=attempt.submitted_at - timedelta(seconds=20),
            received_at=attempt.submitted_at + timedelta(minutes=3),
            status=LateStatus.PENDING,
        )
    )
    db.session.flush()
    return {"attempt_id": attempt.id}
