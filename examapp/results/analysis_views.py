"""Item analysis pages for exam admins."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access
from ..access import requires
from ..bank.models import QuestionVersion
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus
from ..extensions import db
from ..web.form_errors import report
from . import analysis, blank_review
from .forms import AcceptVariantForm

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
    return _question_page(exam, version_id)


def _question_page(exam, version_id, form=None, status=200):
    detail = analysis.question_detail(exam.id, version_id)
    if detail is None:
        abort(404)
    blanks = None
    if exam.status in (ExamStatus.CLOSED, ExamStatus.SEALED):
        blanks = blank_review.review(exam, detail.version)
    return render_template(
        "results/analysis_question.html",
        exam=exam,
        detail=detail,
        percent=analysis.percent,
        blanks=blanks,
        accept_form=form or AcceptVariantForm(formdata=None),
        failed=form,
        may_accept=access.can(current_user, "results.regrade", exam),
    ), status


@bp.post("/exams/<int:exam_id>/analysis/<int:version_id>/accept")
@requires("results.regrade")
def accept_variant(exam_id, version_id):
    """Judge one written answer of a blank correct: the question's next version accepts it, the exam is regraded."""
    exam = _exam(exam_id)
    access.ensure(current_user, "results.regrade", exam)
    version = db.session.get(QuestionVersion, version_id)
    if version is None or not analysis.used_in_exam(exam.id, version_id):
        abort(404)
    form = AcceptVariantForm()
    if not form.validate_on_submit():
        return _question_page(exam, version_id, form, 400)
    try:
        outcome = blank_review.accept_variant(
            current_user._get_current_object(), exam, version, form.blank.data, form.text.data, form.reason.data
        )
    except DomainError as exc:
        report(exc, form, default="reason")
        return _question_page(exam, version_id, form, 400)
    if outcome.proposed:
        flash(
            f"“{form.text.data}”已加入第 {form.blank.data} 空的标准答案。{outcome.proposal.summary}："
            "重新评分会改变单位的考试结论，已提交领导小组办公室确认，确认后生效。",
            "info",
        )
    else:
        items, attempts, units = outcome.result
        flash(
            f"已将第 {form.blank.data} 空的“{form.text.data}”判为正确，重新评分 {items} 份答卷，"
            f"{attempts} 人的成绩有变化" + (f"，{len(units)} 个单位的结果已更新" if units else "") + "。",
            "success",
        )
    return redirect(url_for("analysis.question", exam_id=exam.id, version_id=version_id) + "#blanks")
