"""Item analysis pages for exam admins."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from .. import access
from ..access import requires
from ..exams.models import Exam
from ..extensions import db
from . import analysis

bp = Blueprint("analysis", __name__, template_folder="templates")

SORT_LABELS = {
    "facility": "按答对率（低→高）",
    "discrimination": "按区分度（低→高）",
    "units_wrong": "按多数人答错的单位数（多→少）",
}


def _exam(exam_id):
    """The exam, once it has been published (a draft has no attempts to analyse)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.is_draft:
        abort(404)
    access.ensure(current_user, "exams.manage", exam)
    return exam


@bp.get("/exams/<int:exam_id>/analysis")
@requires("exams.manage")
def exam(exam_id):
    exam = _exam(exam_id)
    result = analysis.analyse_exam(exam.id, sort=request.args.get("sort", ""))
    return render_template(
        "results/analysis.html",
        exam=exam,
        analysis=result,
        sort_labels=SORT_LABELS,
        percent=analysis.percent,
        rule=analysis,
    )


@bp.get("/exams/<int:exam_id>/analysis/<int:version_id>")
@requires("exams.manage")
def question(exam_id, version_id):
    exam = _exam(exam_id)
    detail = analysis.question_detail(exam.id, version_id)
    if detail is None:
        abort(404)
    return render_template("results/analysis_question.html", exam=exam, detail=detail, percent=analysis.percent)
