"""Permission-matrix rows for the mock exams (merged by tests/test_permissions.py)."""

from examapp.auth.models import User
from examapp.extensions import db
from examapp.practice.mock import start_mock

from . import exam_factories

EXAMINEE = {"examinee"}

EXPECTED = {
    "mock.index": ("GET", EXAMINEE),
    "mock.start": ("POST", EXAMINEE),
    "mock.page": ("GET", EXAMINEE),
    "mock.save": ("POST", EXAMINEE),
    "mock.submit": ("POST", EXAMINEE),
    "mock.review": ("GET", EXAMINEE),
}


def url_params(endpoint, world, user):
    """kaosheng's mock of an exam kaosheng is rostered on."""
    if endpoint in ("mock.index", "mock.start"):
        return {}
    exam = exam_factories.exam(world, publish=True)
    mock = start_mock(db.session.get(User, world.accounts["examinee"].id), exam)
    return {"mock_id": mock.id}
