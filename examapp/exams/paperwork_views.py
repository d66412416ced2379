"""Exam-day paperwork per unit: admission tickets (issuing first-login passwords) and sign-in sheets."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import access
from ..access import requires
from ..errors import DomainError
from ..extensions import db
from ..org.models import Unit
from ..web.form_errors import report
from .blueprint import bp, get_exam
from .forms import ActionForm
from .paperwork import issue_admission_tickets
from .queries import roster_in_unit, roster_unit_counts, unit_full_names


def _unit(unit_id):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    access.ensure(current_user, "exams.paperwork", unit)
    return unit


@bp.get("/<int:exam_id>/paperwork")
@requires("exams.paperwork")
def paperwork(exam_id):
    exam = get_exam(exam_id, "exams.paperwork")
    return render_template(
        "exams/paperwork.html", exam=exam, units=roster_unit_counts(exam, current_user), action_form=ActionForm()
    )


@bp.post("/<int:exam_id>/paperwork/<int:unit_id>/tickets")
@requires("exams.paperwork")
def tickets(exam_id, unit_id):
    """Print admission tickets: every person under the unit gets a new first-login password."""
    exam = get_exam(exam_id, "exams.paperwork")
    unit = _unit(unit_id)
    if not ActionForm().validate_on_submit():
        flash("请求无效，请刷新页面后重试", "danger")
        return redirect(url_for("exams.paperwork", exam_id=exam.id))
    entries = roster_in_unit(exam, current_user, unit)
    try:
        issued, started = issue_admission_tickets(current_user, exam, unit, entries)
    except DomainError as exc:
        report(exc)
        return redirect(url_for("exams.paperwork", exam_id=exam.id))
    else:
        return render_template(
            "exams/tickets.html",
            exam=exam,
            unit=unit,
            tickets=issued,
            started=started,
            unit_names=unit_full_names(e.unit for e in entries),
        )


@bp.get("/<int:exam_id>/paperwork/<int:unit_id>/sign-in")
@requires("exams.paperwork")
def sign_in_sheet(exam_id, unit_id):
    exam = get_exam(exam_id, "exams.paperwork")
    unit = _unit(unit_id)
    entries = roster_in_unit(exam, current_user, unit)
    return render_template(
        "exams/sign_in.html",
        exam=exam,
        unit=unit,
        entries=entries,
        unit_names=unit_full_names(e.unit for e in entries),
    )
