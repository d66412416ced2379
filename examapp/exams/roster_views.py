"""The roster of an exam: the list (scoped to the viewer's district), adding and removing people."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import access
from ..access import requires
from ..auth.models import User
from ..errors import DomainError
from ..extensions import db
from ..org.models import Unit
from ..web.form_errors import report
from ..web.ids import db_int, parse_id
from .blueprint import bp, get_exam
from .forms import RosterAddForm, RosterRemoveForm
from .models import ExamStatus, RosterEntry
from .paperwork_forms import SeatForm
from .queries import district_names, roster_statement, roster_unit_counts, unit_choices
from .services import add_to_roster, remove_from_roster

PER_PAGE = 50


def _filter_unit():
    unit_id = parse_id(request.args.get("unit", ""))
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None or not access.can(current_user, "units.view", unit):
        abort(404)
    return unit


def _add_form(form=None):
    form = form or RosterAddForm(formdata=None)
    form.unit_id.choices = [SelectChoice("", "（不按单位加入）"), *unit_choices(current_user)]
    return form


def _roster_page(exam, *, add_form=None, remove_form=None, selected=(), status=200):
    page = request.args.get("page", 1, type=db_int)
    stmt = roster_statement(exam, current_user, q=request.args.get("q", ""), unit=_filter_unit())
    pagination = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    editable = exam.status in (ExamStatus.DRAFT, ExamStatus.PUBLISHED) and not exam.has_ended
    return render_template(
        "exams/roster.html",
        exam=exam,
        pagination=pagination,
        districts=district_names(e.district_id for e in pagination.items),
        units=roster_unit_counts(exam, current_user),
        add_form=_add_form(add_form),
        remove_form=remove_form or RosterRemoveForm(formdata=None),
        selected=set(selected),
        editable=editable,
        scope=access.unit_scope(current_user),
        args=request.args,
    ), status


@bp.get("/<int:exam_id>/roster")
@requires("exams.view")
def roster(exam_id):
    return _roster_page(get_exam(exam_id, "exams.view"))


@bp.post("/<int:exam_id>/roster/add")
@requires("exams.manage")
def roster_add(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    form = _add_form(RosterAddForm())
    if not form.validate_on_submit():
        return _roster_page(exam, add_form=form, status=400)
    unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
    if form.unit_id.data and (unit is None or not access.can(current_user, "units.view", unit)):
        form.unit_id.errors.append("请选择您管辖范围内的单位")
    usernames = form.username_list()
    users = db.session.scalars(select(User).where(User.username.in_(usernames))).all() if usernames else []
    missing = [name for name in usernames if name not in {u.username for u in users}]
    if missing:
        form.usernames.errors.append("以下用户名不存在：" + "、".join(missing))
    if not form.unit_id.data and not usernames:
        form.unit_id.errors.append("请选择单位，或填写要加入的用户名")
    if form.unit_id.errors or form.usernames.errors:
        return _roster_page(exam, add_form=form, status=400)
    try:
        added = add_to_roster(current_user, exam, units=[unit] if unit else [], users=users)
    except DomainError as exc:
        report(exc, form, default="unit_id" if unit is not None else "usernames")
        return _roster_page(exam, add_form=form, status=400)
    else:
        flash(f"已加入 {added} 人" if added else "所选人员都已在名单中，没有新加入的人", "success" if added else "info")
        return redirect(url_for("exams.roster", exam_id=exam.id))


@bp.post("/<int:exam_id>/roster/remove")
@requires("exams.manage")
def roster_remove(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    form = RosterRemoveForm()
    ids = sorted({i for i in map(parse_id, request.form.getlist("entry_ids")) if i is not None})
    entries = db.session.scalars(
        select(RosterEntry).where(RosterEntry.id.in_(ids), RosterEntry.exam_id == exam.id)
    ).all()
    if len(entries) != len(ids):
        abort(404)
    for entry in entries:
        access.ensure(current_user, "exams.manage", entry)
    valid = form.validate_on_submit()
    if not ids:
        form.reason.errors = [*form.reason.errors, "请先勾选要移出名单的人员"]
    if not valid or not ids:
        return _roster_page(exam, remove_form=form, selected=ids, status=400)
    try:
        removed = remove_from_roster(current_user, exam, entries, form.reason.data)
    except DomainError as exc:
        report(exc, form, default="reason")
        return _roster_page(exam, remove_form=form, selected=ids, status=400)
    else:
        flash(f"已将 {removed} 人移出名单", "success")
        return redirect(url_for("exams.roster", exam_id=exam.id))


@bp.get("/<int:exam_id>/roster/<int:entry_id>")
@requires("exams.view")
def roster_entry(exam_id, entry_id):
    """One roster row: who, the unit frozen for this exam, the ticket, and whether they have started."""
    exam = get_exam(exam_id, "exams.view")
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None or entry.exam_id != exam.id:
        abort(404)
    access.ensure(current_user, "exams.view", entry)
    return roster_entry_page(exam, entry)


def roster_entry_page(exam, entry, *, seat_form=None, status=200):
    added_by = db.session.get(User, entry.added_by_id) if entry.added_by_id else None
    seat_editable = not exam.has_ended and access.can(current_user, "exams.paperwork", entry)
    if seat_form is None:
        seat_form = SeatForm(formdata=None, room=entry.room, seat=entry.seat)
    return render_template(
        "exams/roster_entry.html",
        exam=exam,
        entry=entry,
        attempt=entry.attempt,
        added_by=added_by,
        district=district_names([entry.district_id]).get(entry.district_id),
        seat_form=seat_form,
        seat_editable=seat_editable,
    ), status
