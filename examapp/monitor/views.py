"""The live monitor of a sitting, and the corrections admins make from it."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access
from ..access import requires
from ..auth.models import Role
from ..clock import local_time, utcnow
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from ..sitting.late import late_counts
from ..sitting.models import SubmitReason
from ..sitting.services import force_submit, grant_extra_time, reopen_attempt, void_attempt
from ..web.form_errors import first_error, report
from ..web.ids import db_int
from . import queries
from .forms import ExtraTimeForm, ForceSubmitForm, ReopenForm, VoidForm

bp = Blueprint("monitor", __name__, url_prefix="/monitor", template_folder="templates")

#: how often the page asks for fresh figures
REFRESH_SECONDS = 10


def _exam(exam_id):
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    access.ensure(current_user, "exams.monitor", exam)
    return exam


def _entry(exam, entry_id):
    entry = queries.roster_entry(exam.id, entry_id)
    if entry is None:
        abort(404)
    access.ensure(current_user, "exams.monitor", entry)
    return entry


def _exam_page_url(exam):
    """The exam's own page (examapp/exams), when that feature serves one."""
    if "exams.detail" not in current_app.view_functions:
        return None
    return url_for("exams.detail", exam_id=exam.id)


def _shows_scores():
    # Scores stay with the city's exam admins until results are released through the results pages;
    # district admins follow progress, not marks.
    return current_user.role == Role.EXAM_ADMIN


def _filters():
    """The list filters of the request, as plain values and as URL arguments to carry along."""
    unit_id = request.args.get("unit", type=db_int)
    state = request.args.get("state", "")
    state = state if state in queries.STATES else None
    q = request.args.get("q", "").strip()[:64] or None
    args = {k: v for k, v in (("unit", unit_id), ("state", state), ("q", q)) if v is not None}
    return unit_id, state, q, args


def _snapshot(exam):
    """Everything the page and the JSON show: the units' counts and one page of people."""
    now = utcnow()
    unit_id, state, q, args = _filters()
    summary = queries.unit_summary(exam.id, current_user)
    people = queries.people_page(
        exam.id, current_user, now, unit_id=unit_id, state=state, q=q, page=request.args.get("page", 1, type=db_int)
    )
    return {
        "now": now,
        "summary": summary,
        "totals": queries.totals(summary),
        "people": people,
        "unit": next((row for row in summary if row["unit_id"] == unit_id), None),
        "state": state,
        "q": q or "",
        "args": args,
    }


@bp.get("/<int:exam_id>")
@requires("exams.monitor")
def exam(exam_id):
    exam = _exam(exam_id)
    snapshot = _snapshot(exam)
    return render_template(
        "monitor/exam.html",
        exam=exam,
        refresh_seconds=REFRESH_SECONDS,
        state_labels=queries.STATE_LABELS,
        show_scores=_shows_scores(),
        unit_form=ExtraTimeForm(formdata=None, prefix="unit"),
        unit_force_form=ForceSubmitForm(formdata=None, prefix="unitforce"),
        online_minutes=int(queries.ONLINE_WITHIN.total_seconds() // 60),
        exam_url=_exam_page_url(exam),
        **snapshot,
    )


@bp.get("/<int:exam_id>/status.json")
@requires("exams.monitor")
def status(exam_id):
    exam = _exam(exam_id)
    snapshot = _snapshot(exam)
    show_scores = _shows_scores()
    people = snapshot["people"]
    return jsonify(
        {
            "exam": {"id": exam.id, "title": exam.title, "status": exam.status, "is_open": exam.is_open},
            "now": snapshot["now"].isoformat(),
            "now_text": local_time(snapshot["now"]).strftime("%H:%M:%S"),
            "refresh_seconds": REFRESH_SECONDS,
            "totals": snapshot["totals"],
            "units": snapshot["summary"],
            "people": [_person_json(row, show_scores) for row in people.items],
            "page": {"page": people.page, "pages": people.pages, "per_page": people.per_page, "total": people.total},
        }
    )


def _person_json(row, show_score):
    def text(value, fmt="%H:%M:%S"):
        return local_time(value).strftime(fmt) if value is not None else None

    data = {
        "entry_id": row["entry_id"],
        "unit_id": row["unit_id"],
        "name": row["name"],
        "username": row["username"],
        "state": row["state"],
        "state_label": row["state_label"],
        "seconds_left": row["seconds_left"],
        "deadline_at": row["deadline_at"].isoformat() if row["deadline_at"] else None,
        "deadline_text": text(row["deadline_at"], "%H:%M"),
        "last_saved_at": row["last_saved_at"].isoformat() if row["last_saved_at"] else None,
        "last_saved_text": text(row["last_saved_at"]),
        "departures": row["departures"],
        "extra_minutes": row["extra_minutes"],
        # how many questions hold a response ("answer" stays out of this reply: it carries none)
        "done_count": row["answered"],
        "question_count": row["questions"],
        "progress_text": f"{row['answered']} / {row['questions']}" if row["attempt_id"] else "—",
        "online": row["online"],
        "contact_text": contact_text(row["state"], row["online"], row["contact_at"]),
    }
    if show_score:
        data["score"] = str(row["score"]) if row["score"] is not None else None
    return data


def contact_text(state, online, contact_at):
    """在线 / 离线 as the monitor shows it (the same words as the page's macro)."""
    if state != "in_progress":
        return "—"
    if online:
        return "在线"
    return f"离线（最后联系 {local_time(contact_at):%H:%M:%S}）" if contact_at else "离线"


@bp.get("/<int:exam_id>/people/<int:entry_id>")
@requires("exams.monitor")
def person(exam_id, entry_id):
    exam = _exam(exam_id)
    entry = _entry(exam, entry_id)
    attempt = queries.attempt_for_entry(entry.id)
    answered, questions, contact_at = queries.progress(attempt) if attempt else (0, 0, None)
    now = utcnow()
    return render_template(
        "monitor/person.html",
        exam=exam,
        entry=entry,
        attempt=attempt,
        now=now,
        answered=answered,
        questions=questions,
        contact=contact_text(
            attempt.state if attempt else None,
            attempt is not None and queries.is_online(attempt.state, contact_at, now),
            contact_at,
        ),
        show_scores=_shows_scores(),
        events=queries.attempt_events(attempt.id) if attempt else [],
        late=late_counts(attempt.id) if attempt else (0, 0),
        corrections=queries.corrections(entry.id, attempt.id if attempt else None),
        submit_reasons=SubmitReason.LABELS,
        extra_form=ExtraTimeForm(formdata=None, prefix="extra"),
        reopen_form=ReopenForm(formdata=None, prefix="reopen"),
        void_form=VoidForm(formdata=None, prefix="void"),
        force_form=ForceSubmitForm(formdata=None, prefix="force"),
    )


# --- corrections: form POSTs that redirect back with a flash ------------------


def _correct(form, action):
    """Validate and run the service (the request commits it); a refusal is flashed and nothing is kept."""
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return None
    try:
        return action(form.reason.data.strip())
    except DomainError as exc:
        report(exc)
        return None


def _deadline_note(exam, attempt):
    if attempt is None or not attempt.is_in_progress:
        return ""
    note = f"，答题截止时间为 {local_time(attempt.deadline_at):%H:%M:%S}"
    if attempt.deadline_at >= exam.closes_at:
        note += "（已到考试关闭时间，不能再晚）"
    return note


@bp.post("/<int:exam_id>/people/<int:entry_id>/extra-time")
@requires("exams.monitor")
def person_extra_time(exam_id, entry_id):
    exam = _exam(exam_id)
    entry = _entry(exam, entry_id)
    form = ExtraTimeForm(prefix="extra")
    done = _correct(form, lambda reason: grant_extra_time(current_user, exam, [entry], form.minutes.data, reason))
    if done:
        note = _deadline_note(exam, queries.attempt_for_entry(entry.id))
        flash(f"已为{entry.user.name}延长 {form.minutes.data} 分钟{note}", "success")
    return redirect(url_for("monitor.person", exam_id=exam.id, entry_id=entry.id))


@bp.post("/<int:exam_id>/units/<int:unit_id>/extra-time")
@requires("exams.monitor")
def unit_extra_time(exam_id, unit_id):
    exam = _exam(exam_id)
    entries = queries.unit_entries(exam.id, unit_id, current_user)
    if not entries:
        abort(404)
    form = ExtraTimeForm(prefix="unit")
    done = _correct(form, lambda reason: grant_extra_time(current_user, exam, entries, form.minutes.data, reason))
    if done:
        flash(f"已为{entries[0].unit.name}名单上的 {done} 人各延长 {form.minutes.data} 分钟", "success")
    return redirect(url_for("monitor.exam", exam_id=exam.id, unit=unit_id))


@bp.post("/<int:exam_id>/people/<int:entry_id>/reopen")
@requires("exams.monitor")
def reopen(exam_id, entry_id):
    exam = _exam(exam_id)
    entry = _entry(exam, entry_id)
    attempt = queries.attempt_for_entry(entry.id)
    form = ReopenForm(prefix="reopen")
    if attempt is None:
        flash("该考生尚未开始答题，没有可重新开放的答卷", "danger")
    elif _correct(form, lambda reason: reopen_attempt(current_user, attempt, reason, form.extra_minutes.data or 0)):
        flash(f"已重新开放{entry.user.name}的答卷{_deadline_note(exam, attempt)}", "success")
    return redirect(url_for("monitor.person", exam_id=exam.id, entry_id=entry.id))


@bp.post("/<int:exam_id>/people/<int:entry_id>/void")
@requires("exams.monitor")
def void(exam_id, entry_id):
    exam = _exam(exam_id)
    entry = _entry(exam, entry_id)
    attempt = queries.attempt_for_entry(entry.id)
    form = VoidForm(prefix="void")
    if attempt is None:
        flash("该考生尚未开始答题，没有可作废的答卷", "danger")
    elif _correct(form, lambda reason: void_attempt(current_user, attempt, reason)):
        flash(f"已作废{entry.user.name}的答卷", "success")
    return redirect(url_for("monitor.person", exam_id=exam.id, entry_id=entry.id))


@bp.post("/<int:exam_id>/people/<int:entry_id>/force-submit")
@requires("exams.monitor")
def person_force_submit(exam_id, entry_id):
    exam = _exam(exam_id)
    entry = _entry(exam, entry_id)
    attempt = queries.attempt_for_entry(entry.id)
    form = ForceSubmitForm(prefix="force")
    if attempt is None:
        flash("该考生尚未开始答题，没有可交卷的答卷", "danger")
    elif _correct(form, lambda reason: force_submit(current_user, [attempt], reason)):
        flash(f"已为{entry.user.name}强制交卷，按已保存的答案计分", "success")
    return redirect(url_for("monitor.person", exam_id=exam.id, entry_id=entry.id))


@bp.post("/<int:exam_id>/units/<int:unit_id>/force-submit")
@requires("exams.monitor")
def unit_force_submit(exam_id, unit_id):
    exam = _exam(exam_id)
    entries = queries.unit_entries(exam.id, unit_id, current_user)
    if not entries:
        abort(404)
    form = ForceSubmitForm(prefix="unitforce")
    attempts = queries.in_progress_attempts(entries)
    done = _correct(form, lambda reason: force_submit(current_user, attempts, reason))
    if done:
        flash(f"已为{entries[0].unit.name}正在答题的 {done} 人强制交卷，按已保存的答案计分", "success")
    return redirect(url_for("monitor.exam", exam_id=exam.id, unit=unit_id))
