"""The office's results pages: the city table of units, a unit's staff, sealing, corrections, exports."""

from fractions import Fraction

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import requires
from ..auth.models import User
from ..bank.models import QuestionVersion
from ..clock import display_zone, file_stamp, utcnow
from ..downloads import send_spreadsheet
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus, RosterEntry
from ..extensions import db
from ..org.models import Unit, UnitKind
from ..sitting.models import Attempt, AttemptState
from ..web.form_errors import first_error, report
from ..web.ids import db_int
from . import corrections, late, services
from .export import build_workbook, person_status
from .forms import ExcuseForm, RegradeForm, SealForm, WithdrawExcuseForm
from .scores import Verdict, district_summaries, histogram, unit_scores

bp = Blueprint("results", __name__, template_folder="templates")

#: sortable columns of the unit table -> key of a UnitScore
SORT_KEYS = {
    "district": lambda s: s.district_name,
    "code": lambda s: s.unit_code,
    "name": lambda s: s.unit_name,
    "roster": lambda s: s.roster_size,
    "sat": lambda s: s.sat,
    "excused": lambda s: s.excused,
    "absent": lambda s: s.absent,
    "average": lambda s: s.average if s.average is not None else Fraction(-1),
    "highest": lambda s: s.highest if s.highest is not None else -1,
    "lowest": lambda s: s.lowest if s.lowest is not None else -1,
    "verdict": lambda s: Verdict.ALL.index(s.verdict),
}


def _exam(exam_id, permission="results.view"):
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.status == ExamStatus.DRAFT:
        abort(404)
    access.ensure(current_user, permission, exam)
    return exam


def _district_filter():
    """The district the request may look at: a district admin's own, or the one chosen (None: all)."""
    scope = access.unit_scope(current_user)
    if scope is not None:
        return scope.id, True
    return request.args.get("district", type=db_int), False


def _districts():
    return db.session.execute(
        select(Unit.id, Unit.name).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.code)
    ).all()


def _table(exam):
    district_id, fixed = _district_filter()
    scores = unit_scores(exam, district_id)
    verdict = request.args.get("result")
    verdict = verdict if verdict in Verdict.ALL else None
    shown = [s for s in scores if verdict is None or s.verdict == verdict]
    sort = request.args.get("sort")
    sort = sort if sort in SORT_KEYS else None
    descending = request.args.get("dir") == "desc"
    if sort:
        shown.sort(key=SORT_KEYS[sort], reverse=descending)
    return {
        "scores": scores,
        "shown": shown,
        "district_id": district_id,
        "district_fixed": fixed,
        "verdict": verdict,
        "sort": sort,
        "descending": descending,
        "summaries": district_summaries(scores),
        "args": {k: v for k, v in (("district", None if fixed else district_id), ("result", verdict)) if v},
    }


def _chart_data(exam, table):
    threshold = float(table["scores"][0].threshold) if table["scores"] else 95.0
    units = [s for s in table["shown"] if s.average is not None]
    return {
        "units": {
            "labels": [s.unit_name for s in units],
            "averages": [float(s.average_shown) for s in units],
            "passed": [s.verdict == Verdict.PASSED for s in units],
            "threshold": threshold,
        },
        "histogram": histogram(exam, table["district_id"]),
    }


@bp.get("/exams/<int:exam_id>/results")
@requires("results.view")
def exam(exam_id):
    exam = _exam(exam_id)
    table = _table(exam)
    return render_template(
        "results/exam.html",
        exam=exam,
        table=table,
        districts=_districts(),
        charts=_chart_data(exam, table),
        seal_form=SealForm(),
        verdicts=Verdict,
        sort_keys=SORT_KEYS,
        not_started=services.not_started_count(exam) if exam.status == ExamStatus.PUBLISHED else 0,
        regrade_candidates=services.regrade_candidates(exam)
        if access.can(current_user, "results.regrade") and exam.status in (ExamStatus.CLOSED, ExamStatus.SEALED)
        else [],
        late_counts=late.exam_late_counts(exam.id) if access.can(current_user, "results.late_review") else (0, 0),
        pending_corrections=corrections.pending_for(exam) if exam.status == ExamStatus.SEALED else [],
        may_confirm=access.can(current_user, "results.confirm"),
    )


@bp.get("/exams/<int:exam_id>/results/print")
@requires("results.view")
def print_report(exam_id):
    exam = _exam(exam_id)
    table = _table(exam)
    return render_template(
        "results/print.html",
        exam=exam,
        table=table,
        verdicts=Verdict,
        printed_at=utcnow(),
        district_name=next((name for i, name in _districts() if i == table["district_id"]), None),
    )


@bp.get("/exams/<int:exam_id>/results.xlsx")
@requires("results.view")
def export(exam_id):
    exam = _exam(exam_id)
    district_id, _fixed = _district_filter()
    data = build_workbook(exam, display_zone(), district_id)
    return send_spreadsheet(data, "xlsx", f"exam-{exam.id}-results-{file_stamp()}")


@bp.post("/exams/<int:exam_id>/results/seal")
@requires("results.seal")
def seal(exam_id):
    exam = _exam(exam_id, "results.seal")
    form = SealForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return redirect(url_for("results.exam", exam_id=exam.id))
    try:
        scores = services.seal_exam(current_user._get_current_object(), exam)
    except DomainError as exc:
        report(exc)
        return redirect(url_for("results.exam", exam_id=exam.id))
    disqualified = sum(1 for s in scores if s.verdict == Verdict.DISQUALIFIED)
    flash(f"成绩已封存：{len(scores)} 个单位，其中 {disqualified} 个单位取消验收资格，已写入验收记录。", "success")
    return redirect(url_for("results.exam", exam_id=exam.id))


@bp.get("/exams/<int:exam_id>/results/units/<int:unit_id>")
@requires("results.view")
def unit(exam_id, unit_id):
    exam = _exam(exam_id)
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    access.ensure(current_user, "results.view", unit)
    scores = unit_scores(exam, unit_id=unit.id)
    if not scores:
        abort(404)
    score = scores[0]
    rows = db.session.execute(
        select(RosterEntry, User, Attempt)
        .join(User, User.id == RosterEntry.user_id)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.exam_id == exam.id, RosterEntry.unit_id == unit.id)
        .order_by(User.username)
    ).all()
    people = [
        {
            "entry": entry,
            "user": user,
            "attempt": attempt,
            "status": person_status(attempt.state if attempt else None, entry.excuse_reason),
            "score": attempt.score if attempt is not None and attempt.state == AttemptState.SUBMITTED else None,
        }
        for entry, user, attempt in rows
    ]
    return render_template(
        "results/unit.html",
        exam=exam,
        unit=unit,
        score=score,
        people=people,
        excuse_form=ExcuseForm(),
        withdraw_form=WithdrawExcuseForm(),
        may_excuse=access.can(current_user, "results.excuse"),
    )


def _entry(exam, entry_id):
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None or entry.exam_id != exam.id:
        abort(404)
    access.ensure(current_user, "results.excuse", entry)
    return entry


#: what the proposer is told when a correction waits for the office
PROPOSED = "这项更正会改变单位的考试结论，已提交领导小组办公室确认，确认后生效。"


def _correction(exam, entry, form, kind, done):
    back = url_for("results.unit", exam_id=exam.id, unit_id=entry.unit_id)
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return redirect(back)
    try:
        outcome = corrections.correct(
            current_user._get_current_object(), exam, kind, {"entry_id": entry.id}, form.reason.data
        )
    except DomainError as exc:
        report(exc)
        return redirect(back)
    if outcome.proposed:
        flash(f"{outcome.proposal.summary}：{PROPOSED}", "info")
        return redirect(back)
    changed = outcome.result
    extra = ""
    if exam.status == ExamStatus.SEALED:
        extra = "；已封存的单位成绩已重新计算，并写入验收记录" if changed else "；单位成绩没有变化"
    flash(done + extra + "。", "success")
    return redirect(back)


@bp.post("/exams/<int:exam_id>/roster/<int:entry_id>/excuse")
@requires("results.excuse")
def excuse(exam_id, entry_id):
    exam = _exam(exam_id, "results.excuse")
    entry = _entry(exam, entry_id)
    return _correction(exam, entry, ExcuseForm(), "excuse", f"已批准 {entry.user.name} 缺考")


@bp.post("/exams/<int:exam_id>/roster/<int:entry_id>/unexcuse")
@requires("results.excuse")
def unexcuse(exam_id, entry_id):
    exam = _exam(exam_id, "results.excuse")
    entry = _entry(exam, entry_id)
    return _correction(exam, entry, WithdrawExcuseForm(), "unexcuse", f"已撤销 {entry.user.name} 的缺考批准")


@bp.post("/exams/<int:exam_id>/results/regrade")
@requires("results.regrade")
def regrade(exam_id):
    exam = _exam(exam_id, "results.regrade")
    form = RegradeForm()
    back = url_for("results.exam", exam_id=exam.id) + "#regrade"
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return redirect(back)
    version_id, key_version_id = _int(form.version_id.data), _int(form.key_version_id.data)
    version = db.session.get(QuestionVersion, version_id) if version_id else None
    key_version = db.session.get(QuestionVersion, key_version_id) if key_version_id else None
    if version is None or key_version is None:
        flash("请选择要重新评分的试题", "danger")
        return redirect(back)
    try:
        outcome = corrections.correct(
            current_user._get_current_object(),
            exam,
            "regrade",
            {"version_id": version.id, "key_version_id": key_version.id},
            form.reason.data,
        )
    except DomainError as exc:
        report(exc)
        return redirect(back)
    if outcome.proposed:
        flash(f"{outcome.proposal.summary}：{PROPOSED}", "info")
        return redirect(back)
    items, attempts, units = outcome.result
    flash(
        f"已重新评分：{items} 份答卷涉及此题，{attempts} 人的成绩有变化，{len(units)} 个单位的结果有变化。", "success"
    )
    return redirect(back)


def _int(value):
    """A posted id the database can hold, or None."""
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return None
