"""Permission-matrix rows for the practice pages (merge into tests/test_permissions.py's FEATURES)."""

from sqlalchemy import select

from examapp.bank.models import Question
from examapp.extensions import db

from . import exam_factories

#: practising: examinees only (their own answers); the settings: exam admins
EXAMINEES = {"examinee"}
MANAGERS = {"exam_admin"}

#: endpoint -> (method, allowed roles); the role sets are those of tests/test_permissions.py
EXPECTED = {
    "practice.index": ("GET", EXAMINEES),
    "practice.question": ("GET", EXAMINEES),
    "practice.answer": ("POST", EXAMINEES),
    "practice.wrong_book": ("GET", EXAMINEES),
    "practice.settings": ("GET", MANAGERS),
}


def url_params(endpoint, world, user):
    """A published bank to practise on. Called inside a request context; the caller commits."""
    exam_factories.shared_small_bank()
    if endpoint == "practice.question":
        first = db.session.scalar(select(Question.id).order_by(Question.id).limit(1))
        return {"mode": "order", "after": first - 1}
    return {}
