"""Exam-day paperwork per unit: admission tickets, issuing first-login passwords, sign-in sheets, seats."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access
from ..access import requires
from ..errors import DomainError
from ..extensions import db
from ..org.models import Unit
from ..web.form_errors import report
from ..web.ids import parse_id
from .blueprint import bp, get_exam
from .models import RosterEntry
from .paperwork import (
    AdmissionTicket,
    issue_first_login_passwords,
    issue_unit_ticket_codes,
    other_open_exams,
    set_seat,
    started_entry_ids,
)
from .paperwork_forms import ISSUE_CODES, ISSUE_CODES_AND_PASSWORDS, IssuePasswordsForm, SeatForm
from .queries import roster_in_unit, roster_unit_counts, unit_full_names
from .roster_views import roster_entry_page


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
    return render_template("exams/paperwork.html", exam=exam, units=roster_unit_counts(exam, current_user))


@bp.get("/<int:exam_id>/paperwork/<int:unit_id>/tickets")
@requires("exams.paperwork")
def tickets(exam_id, unit_id):
    """Print the unit's admission tickets as they are: nobody's password or login code changes."""
    exam = get_exam(exam_id, "exams.paperwork")
    unit = _unit(unit_id)
    entries = roster_in_unit(exam, current_user, unit)
    return render_template(
        "exams/tickets.html",
        exam=exam,
        unit=unit,
        tickets=[AdmissionTicket(entry) for entry in entries],
        started=[],
        issued=False,
        unit_names=unit_full_names(e.unit for e in entries),
    )


def _passwords_page(exam, unit, entries, form, selected=None, status=200):
    started = started_entry_ids(entries)
    return render_template(
        "exams/issue_passwords.html",
        exam=exam,
        unit=unit,
        entries=entries,
        started=started,
        selected={e.id for e in entries if e.id not in started} if selected is None else selected,
        other_exams=other_open_exams(exam, entries),
        form=form,
        unit_names=unit_full_names(e.unit for e in entries),
    ), status


@bp.get("/<int:exam_id>/paperwork/<int:unit_id>/passwords")
@requires("exams.paperwork")
def issue_passwords(exam_id, unit_id):
    """Who gets new login codes (and, if chosen, first-login passwords), to choose and confirm."""
    exam = get_exam(exam_id, "exams.paperwork")
    unit = _unit(unit_id)
    # "签发登录码" links here with ?what=codes; "重新发放初始密码" without it
    what = ISSUE_CODES if request.args.get("what") == ISSUE_CODES else ISSUE_CODES_AND_PASSWORDS
    form = IssuePasswordsForm(formdata=None, what=what)
    return _passwords_page(exam, unit, roster_in_unit(exam, current_user, unit), form)


@bp.post("/<int:exam_id>/paperwork/<int:unit_id>/passwords")
@requires("exams.paperwork")
def issue_passwords_confirmed(exam_id, unit_id):
    """New login codes (and first-login passwords) for the checked people; their tickets are shown this once."""
    exam = get_exam(exam_id, "exams.paperwork")
    unit = _unit(unit_id)
    entries = roster_in_unit(exam, current_user, unit)
    form = IssuePasswordsForm()
    ids = {i for i in map(parse_id, request.form.getlist("entry_ids")) if i is not None}
    chosen = [e for e in entries if e.id in ids]
    if not form.validate_on_submit():
        return _passwords_page(exam, unit, entries, form, selected=ids, status=400)
    try:
        if form.what.data == ISSUE_CODES:
            issued, started = issue_unit_ticket_codes(current_user, exam, unit, chosen, form.reason.data), []
        else:
            issued, started = issue_first_login_passwords(current_user, exam, unit, chosen, form.reason.data)
    except DomainError as exc:
        report(exc, form, default="reason")
        return _passwords_page(exam, unit, entries, form, selected=ids, status=400)
    return render_template(
        "exams/tickets.html",
        exam=exam,
        unit=unit,
        tickets=issued,
        started=started,
        issued=True,
        unit_names=unit_full_names(e.unit for e in chosen),
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


@bp.post("/<int:exam_id>/roster/<int:entry_id>/seat")
@requires("exams.paperwork")
def roster_seat(exam_id, entry_id):
    """The 考场 and 座位号 on one person's ticket (exam admins, district admins for their district)."""
    exam = get_exam(exam_id, "exams.paperwork")
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None or entry.exam_id != exam.id:
        abort(404)
    access.ensure(current_user, "exams.paperwork", entry)
    form = SeatForm()
    if form.validate_on_submit():
        try:
            changed = set_seat(current_user, entry, form.room.data, form.seat.data)
        except DomainError as exc:
            report(exc, form, default="room")
        else:
            flash("考场和座位号已保存" if changed else "考场和座位号没有变化", "success" if changed else "info")
            return redirect(url_for("exams.roster_entry", exam_id=exam.id, entry_id=entry.id))
    return roster_entry_page(exam, entry, seat_form=form, status=400)
