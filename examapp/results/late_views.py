"""The review of late deliveries: per exam, per attempt, and the accept / reject form.

These pages never show the answer key or whether an answer is right: the office may read them
before results are released. The score is shown to exam admins only, as on the monitor.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import access
from ..access import requires
from ..auth.models import Role
from ..bank.content import QType
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus
from ..extensions import db
from ..forms import BaseForm
from ..reasons import MAX_REASON_LENGTH
from ..sitting.models import Attempt, AttemptEvent, EventKind, LateStatus, SubmitReason
from ..web.ids import db_int
from ..web.transaction import fail
from . import corrections, late

bp = Blueprint("late_review", __name__, template_folder="templates")

PERMISSION = "results.late_review"
#: how a page came to hold the attempt (the address it was opened from, beside the delivery's)
OPENING_EVENTS = EventKind.OPENINGS


class LateDecisionForm(BaseForm):
    deliveries = SelectMultipleField(
        "迟到送达的答案",
        coerce=db_int,
        validate_choice=False,
        validators=[DataRequired("请至少勾选一份迟到送达的答案")],
    )
    reason = TextAreaField(
        "审核理由（记入操作日志）",
        validators=[
            DataRequired("请填写原因（将记入操作日志）"),
            Length(max=MAX_REASON_LENGTH, message=f"原因不能超过 {MAX_REASON_LENGTH} 个字"),
        ],
    )
    accept = SubmitField("接受")
    reject = SubmitField("不予接受")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not (self.accept.data or self.reject.data):
            self.form_errors.append("请选择“接受”或“不予接受”")
            return False
        return valid


def _shows_scores():
    # As on the monitor: scores stay with the city's exam admins until results are released.
    return current_user.role == Role.EXAM_ADMIN


def _exam(exam_id):
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.status == ExamStatus.DRAFT:
        abort(404)
    access.ensure(current_user, PERMISSION, exam)
    return exam


def _attempt(attempt_id):
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    access.ensure(current_user, PERMISSION, attempt)
    return attempt


@bp.get("/results/exams/<int:exam_id>/late")
@requires(PERMISSION)
def exam(exam_id):
    exam = _exam(exam_id)
    rows = late.exam_attempts(exam.id)
    return render_template(
        "results/late_exam.html",
        exam=exam,
        rows=rows,
        pending=sum(r.pending for r in rows),
        decided=sum(r.accepted + r.rejected for r in rows),
    )


@bp.get("/results/attempts/<int:attempt_id>/late")
@requires(PERMISSION)
def attempt(attempt_id):
    attempt = _attempt(attempt_id)
    return _render_attempt(attempt, LateDecisionForm(formdata=None))


@bp.post("/results/attempts/<int:attempt_id>/late")
@requires(PERMISSION)
def decide(attempt_id):
    attempt = _attempt(attempt_id)
    form = LateDecisionForm()
    if not form.validate_on_submit():
        return _render_attempt(attempt, form), 400
    actor = current_user._get_current_object()
    try:
        if form.accept.data:
            # after the seal an acceptance that changes a unit's standing waits for the office
            outcome = corrections.correct(
                actor,
                attempt.exam,
                "late_accept",
                {"attempt_id": attempt.id, "delivery_ids": sorted(form.deliveries.data)},
                form.reason.data,
                office_applies=actor.role == Role.OFFICE,
            )
            if outcome.proposed:
                flash("接受这些答案会改变单位的考试结论，已提交领导小组办公室确认，确认后生效。", "warning")
                return redirect(url_for("late_review.attempt", attempt_id=attempt_id))
            decision = outcome.result
        else:
            decision = late.reject_late(actor, attempt, form.deliveries.data, form.reason.data)
    except DomainError as exc:
        fail()
        target = form.deliveries if exc.field == "deliveries" else form.reason if exc.field == "reason" else None
        (target.errors if target is not None else form.form_errors).append(exc.message)
        return _render_attempt(db.session.get(Attempt, attempt_id), form), 400
    flash(_done_message(form.accept.data, decision), "success")
    return redirect(url_for("late_review.attempt", attempt_id=attempt_id))


def _done_message(accepted, decision):
    if not accepted:
        return f"已记录：{decision.deliveries} 份迟到送达的答案不予接受，成绩不变。"
    parts = [f"已接受 {decision.deliveries} 份迟到送达的答案"]
    if decision.changed:
        parts.append("已计入第 " + "、".join(str(p) for p in decision.changed) + " 题并重新评分")
    if decision.unchanged:
        parts.append("第 " + "、".join(str(p) for p in decision.unchanged) + " 题已有更新的答案，未改变")
    if _shows_scores() and decision.score_before != decision.score_after:
        parts.append(f"成绩由 {_cents(decision.score_before)} 分变为 {_cents(decision.score_after)} 分")
    if decision.units:
        parts.append("已封存的单位成绩已重新计算，并写入验收记录")
    return "；".join(parts) + "。"


def _cents(value):
    return "—" if value is None else f"{value:.2f}"


def _render_attempt(attempt, form):
    rows = late.attempt_deliveries(attempt)
    opened = db.session.execute(
        select(AttemptEvent.client_address, AttemptEvent.occurred_at)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind.in_(OPENING_EVENTS))
        .order_by(AttemptEvent.occurred_at.desc(), AttemptEvent.id.desc())
        .limit(1)
    ).first()
    return render_template(
        "results/late_attempt.html",
        attempt=attempt,
        exam=attempt.exam,
        entry=attempt.roster_entry,
        rows=rows,
        pending=[r for r in rows if r.delivery.status == LateStatus.PENDING],
        chosen=set(form.deliveries.data or ()),
        opened=opened,
        form=form,
        show_score=_shows_scores(),
        submit_reasons=SubmitReason.LABELS,
        qtype_labels=QType.LABELS,
        duration_text=late.duration_text,
    )
