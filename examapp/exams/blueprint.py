"""The exams feature's blueprint, shared by its page modules (settings, paper, roster, paperwork),
and the lookup each of them starts from."""

from flask import Blueprint, abort, current_app
from flask_login import current_user

from .. import access
from ..extensions import db
from .models import Exam

bp = Blueprint("exams", __name__, url_prefix="/exams", template_folder="templates")


@bp.context_processor
def monitor_link():
    """The live monitor is its own feature: link to it only once its page exists."""
    return {
        "has_monitor": "monitor.exam" in current_app.view_functions,
        "has_analysis": "analysis.exam" in current_app.view_functions,
    }


def get_exam(exam_id, permission):
    """The exam, when it exists and ``permission`` on it is granted (404 or 403 otherwise)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    access.ensure(current_user, permission, exam)
    return exam
