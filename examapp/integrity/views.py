"""The findings pages: the list of an exam's findings, one finding's evidence, review, recompute, export."""

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access
from ..access import requires
from ..clock import display_zone
from ..downloads import send_spreadsheet
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from ..web.form_errors import report
from . import pace, queries, services
from .chance import chance_words
from .export import build_workbook
from .forms import ComputeForm, ReviewForm
from .models import Finding, FindingKind, Level
from .power import power_words

bp = Blueprint("integrity", __name__, template_folder="templates")
#: the pages say a probability in words ("约五千分之一"), never "2.1e-04"
bp.add_app_template_filter(chance_words, "chance")

SORT_LABELS = {"strength": "按强度", "kind": "按类型", "unit": "按单位"}
STATUS_LABELS = {"unreviewed": "未复核", "reviewed": "已复核"}


def _exam(exam_id):
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.is_draft:
        abort(404)
    access.ensure(current_user, "integrity.view", exam)
    return exam


def _finding(exam, finding_id):
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.exam_id != exam.id:
        abort(404)
    return finding


def _choice(name, allowed, cast=str):
    value = request.args.get(name, type=cast)
    return value if value in allowed else None


@bp.get("/exams/<int:exam_id>/integrity")
@requires("integrity.view")
def exam(exam_id):
    exam = _exam(exam_id)
    all_findings, _ = queries.list_findings(exam.id)
    units = queries.unit_names({u for f in all_findings for u in f.unit_ids})
    filters = {
        "kind": _choice("kind", FindingKind.ALL),
        "unit_id": _choice("unit", units, int),
        "level": _choice("level", Level.ALL),
        "status": _choice("status", STATUS_LABELS),
    }
    sort = request.args.get("sort") if request.args.get("sort") in SORT_LABELS else "strength"
    _, shown = queries.list_findings(exam.id, sort=sort, **filters)
    run = services.latest_run(exam.id)
    return render_template(
        "integrity/exam.html",
        exam=exam,
        findings=shown,
        total=len(all_findings),
        units=units,
        filters=filters,
        sort=sort,
        sort_labels=SORT_LABELS,
        status_labels=STATUS_LABELS,
        kinds=FindingKind,
        levels=Level,
        counts=queries.counts_by_level(all_findings),
        run=run,
        sees=power_words((run.stats or {}).get("copying_power")) if run else "",
        compute_form=ComputeForm(),
        args={
            k: v
            for k, v in (
                ("kind", filters["kind"]),
                ("unit", filters["unit_id"]),
                ("level", filters["level"]),
                ("status", filters["status"]),
            )
            if v
        },
    )


@bp.post("/exams/<int:exam_id>/integrity/compute")
@requires("integrity.view")
def compute(exam_id):
    exam = _exam(exam_id)
    if not ComputeForm().validate_on_submit():
        abort(400)
    try:
        run = services.compute_findings(exam, current_user)
    except DomainError as exc:
        report(exc)
        return redirect(url_for("integrity.exam", exam_id=exam.id))
    flash(f"已重新计算：{run.attempts} 份答卷，发现 {run.findings} 个疑点（用时 {run.seconds:.1f} 秒）", "success")
    return redirect(url_for("integrity.exam", exam_id=exam.id))


@bp.get("/exams/<int:exam_id>/integrity/<int:finding_id>")
@requires("integrity.view")
def finding(exam_id, finding_id):
    exam = _exam(exam_id)
    finding = _finding(exam, finding_id)
    return _render_finding(exam, finding, ReviewForm(note=finding.review_note))


def _render_finding(exam, finding, form):
    people = queries.involved(finding)
    shared = lead = aligned = None
    if finding.kind == FindingKind.COPYING and len(people) == 2:
        shared = queries.shared_answers(people[0].attempt, people[1].attempt)
        lead = pace.lead(shared)
    if finding.kind == FindingKind.TIMING and len(people) == 2:
        aligned = queries.aligned_answers(people[0].attempt, people[1].attempt)
    return render_template(
        "integrity/finding.html",
        exam=exam,
        finding=finding,
        people=people,
        shared=shared,
        lead=lead,
        aligned=aligned,
        detail_limit=queries.TIMELINE_LIMIT,
        timeline=queries.timeline(people),
        form=form,
        units=queries.unit_names(set(finding.unit_ids)),
        event_names=queries.EVENT_NAMES,
        event_name=queries.event_name,
        kinds=FindingKind,
        iso_local=_iso_local,
    )


def _iso_local(text):
    """An ISO time kept in a finding's evidence, shown like every other time."""
    return current_app.jinja_env.filters["local_dt"](datetime.fromisoformat(text), "%H:%M:%S")


@bp.post("/exams/<int:exam_id>/integrity/<int:finding_id>/review")
@requires("integrity.review")
def review(exam_id, finding_id):
    exam = _exam(exam_id)
    finding = _finding(exam, finding_id)
    access.ensure(current_user, "integrity.review", exam)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_finding(exam, finding, form), 400
    try:
        services.review_finding(current_user, finding, form.note.data)
    except DomainError as exc:
        report(exc, form, default="note")
        return _render_finding(exam, finding, form), 400
    flash("已记录复核意见", "success")
    return redirect(url_for("integrity.finding", exam_id=exam.id, finding_id=finding.id))


@bp.get("/exams/<int:exam_id>/integrity/export.xlsx")
@requires("integrity.view")
def export(exam_id):
    exam = _exam(exam_id)
    findings, _ = queries.list_findings(exam.id)
    units = queries.unit_names({u for f in findings for u in f.unit_ids})
    data = build_workbook(findings, units, display_zone(), exam=exam)
    return send_spreadsheet(data, "xlsx", f"integrity-{exam.id}")
