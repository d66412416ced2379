"""Exam administration: the list, settings, the detail page, publishing and closing.

The paper, roster and paperwork pages register on the same blueprint from their own modules.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField

from .. import access
from ..access import requires
from ..auth.models import User
from ..bank.content import Difficulty
from ..bank.grading import MultipleMode
from ..clock import local_time, utcnow
from ..errors import DomainError
from ..extensions import db
from ..forms import BaseForm
from ..web.ids import db_int
from ..web.transaction import fail

# The feature's other pages: importing them adds their routes to ``bp``.
from . import paper_views, paperwork_views, roster_views  # noqa: F401
from .blueprint import bp, get_exam
from .forms import ActionForm, ExamForm
from .models import Exam, ExamStatus, PaperMode, ReleaseMode
from .paper import paper_problems, paper_total
from .queries import roster_counts, roster_unit_counts
from .services import (
    close_exam,
    copy_exam,
    create_exam,
    current_settings,
    publish_exam,
    publish_problems,
    update_exam,
)

PER_PAGE = 30


@bp.get("/")
@requires("exams.view")
def index():
    page = request.args.get("page", 1, type=db_int)
    stmt = select(Exam).order_by(Exam.opens_at.desc(), Exam.id.desc())
    status = request.args.get("status", "")
    if status in ExamStatus.ALL:
        stmt = stmt.where(Exam.status == status)
    pagination = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    counts = roster_counts([e.id for e in pagination.items], current_user)
    return render_template(
        "exams/index.html",
        pagination=pagination,
        counts=counts,
        scope=access.unit_scope(current_user),
        statuses=ExamStatus.LABELS,
        args=request.args,
    )


def _settings_page(form, exam):
    """Create and edit: parse and call the service; errors go back on their fields (and nothing is kept)."""
    errors = []
    locked = exam is not None and exam.status == ExamStatus.PUBLISHED
    ended = exam is not None and exam.status in (ExamStatus.CLOSED, ExamStatus.SEALED)
    if locked:
        form.lock(current_settings(exam))
    if request.method == "POST":
        if form.validate_on_submit():
            settings = form.to_settings()
            try:
                if exam is None:
                    exam = create_exam(current_user, settings)
                else:
                    update_exam(current_user, exam, settings, reason=form.reason.data)
            except DomainError as exc:
                fail()
                errors = form.show_problems(getattr(exc, "problems", None) or [(exc.field, exc.message)])
            else:
                flash("考试设置已保存", "success")
                return redirect(url_for("exams.detail", exam_id=exam.id))
        if locked:
            form.lock(current_settings(exam))  # the read-only fields show the exam's values again
    status = 400 if request.method == "POST" else 200
    return render_template("exams/form.html", form=form, exam=exam, locked=locked, ended=ended, errors=errors), status


@bp.route("/new", methods=["GET", "POST"])
@requires("exams.manage")
def create():
    form = ExamForm()
    if request.method == "GET":
        form.prefill_defaults()
    return _settings_page(form, None)


@bp.route("/<int:exam_id>/edit", methods=["GET", "POST"])
@requires("exams.manage")
def edit(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    form = ExamForm()
    if request.method == "GET":
        form.fill_from(current_settings(exam))
    return _settings_page(form, exam)


def _detail_page(exam, status=200, refused=None):
    units = roster_unit_counts(exam, current_user)
    districts = [(u, n) for u, n in units if u.kind == "district"]
    problems = publish_problems(exam) if exam.is_draft else paper_problems(exam)
    creator = db.session.get(User, exam.created_by_id) if exam.created_by_id else None
    return render_template(
        "exams/detail.html",
        exam=exam,
        units=units,
        districts=districts,
        roster_total=roster_counts([exam.id], current_user).get(exam.id, 0),
        problems=problems,
        refused=refused or [],
        total=paper_total(exam),
        creator=creator,
        fixed=exam.paper_mode == PaperMode.FIXED,
        can_close=exam.status == ExamStatus.PUBLISHED and utcnow() >= exam.closes_at,
        action_form=ActionForm(),
        copy_form=CopyExamForm(formdata=None),
        scope=access.unit_scope(current_user),
        labels={"multiple": MultipleMode.LABELS, "release": ReleaseMode.LABELS, "difficulty": Difficulty.LABELS},
    ), status


@bp.get("/<int:exam_id>")
@requires("exams.view")
def detail(exam_id):
    return _detail_page(get_exam(exam_id, "exams.view"))


@bp.post("/<int:exam_id>/publish")
@requires("exams.manage")
def publish(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    if not ActionForm().validate_on_submit():
        return _detail_page(exam, 400, ["请求无效，请刷新页面后重试"])
    try:
        publish_exam(current_user, exam)
    except DomainError as exc:
        fail()  # the page shows the exam as it was
        return _detail_page(exam, 400, getattr(exc, "problems", None) or [exc.message])
    flash("考试已发布：名单中的考生可以在开放时间内登录参加考试", "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


@bp.post("/<int:exam_id>/close")
@requires("exams.manage")
def close(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    if not ActionForm().validate_on_submit():
        return _detail_page(exam, 400, ["请求无效，请刷新页面后重试"])
    try:
        close_exam(current_user, exam)
    except DomainError as exc:
        fail()  # the page shows the exam as it was
        return _detail_page(exam, 400, [exc.message])
    flash("考试已结束", "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


class CopyExamForm(BaseForm):
    """复制考试: the CSRF token and whether the roster comes along."""

    with_roster = BooleanField("同时复制考试名单")


def _stamp(moment):
    return local_time(moment).strftime("%Y-%m-%d %H:%M")


@bp.post("/<int:exam_id>/copy")
@requires("exams.manage")
def copy(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    form = CopyExamForm()
    if not form.validate_on_submit():
        return _detail_page(exam, 400, ["请求无效，请刷新页面后重试"])
    try:
        new = copy_exam(current_user, exam, with_roster=form.with_roster.data)
    except DomainError as exc:
        fail()
        return _detail_page(exam, 400, [exc.message])
    flash(
        f"已复制为新的草稿考试“{new.title}”。开放时间已顺延到 {_stamp(new.opens_at)} 至 {_stamp(new.closes_at)}"
        "（北京时间），请核对并修改考试名称和时间后保存。",
        "warning",
    )
    return redirect(url_for("exams.edit", exam_id=new.id))
