"""The office's list of corrections after the seal that wait for its confirmation, and the
confirm / decline forms (see ``corrections``)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import requires
from ..errors import DomainError
from ..extensions import db
from ..web.form_errors import report
from . import corrections
from .forms import CorrectionDecisionForm
from .models import CorrectionStatus, PendingCorrection

bp = Blueprint("corrections", __name__, template_folder="templates")

PERMISSION = "results.confirm"
#: how many decided corrections the list shows below the pending ones
DECIDED_SHOWN = 30


def _lists():
    pending = db.session.scalars(
        select(PendingCorrection)
        .where(PendingCorrection.status == CorrectionStatus.PENDING)
        .order_by(PendingCorrection.proposed_at, PendingCorrection.id)
    ).all()
    decided = db.session.scalars(
        select(PendingCorrection)
        .where(PendingCorrection.status != CorrectionStatus.PENDING)
        .order_by(PendingCorrection.decided_at.desc(), PendingCorrection.id.desc())
        .limit(DECIDED_SHOWN)
    ).all()
    return pending, decided


def _render(forms=None, status=200):
    pending, decided = _lists()
    forms = forms or {}
    return (
        render_template(
            "results/corrections.html",
            pending=pending,
            decided=decided,
            forms={p.id: forms.get(p.id) or CorrectionDecisionForm(formdata=None) for p in pending},
            verdict_label=corrections.verdict_label,
        ),
        status,
    )


@bp.get("/results/corrections")
@requires(PERMISSION)
def index():
    return _render()


def _proposal(correction_id):
    proposal = db.session.get(PendingCorrection, correction_id)
    if proposal is None:
        abort(404)
    access.ensure(current_user, PERMISSION)
    return proposal


def _decide(correction_id, action, done):
    proposal = _proposal(correction_id)
    form = CorrectionDecisionForm()
    if not form.validate_on_submit():
        return _render({proposal.id: form}, status=400)
    try:
        action(current_user._get_current_object(), proposal, form.reason.data)
    except DomainError as exc:
        if exc.field == "reason":
            report(exc, form)
            return _render({proposal.id: form}, status=400)
        report(exc)
        return redirect(url_for("corrections.index"))
    flash(done, "success")
    return redirect(url_for("corrections.index"))


@bp.post("/results/corrections/<int:correction_id>/confirm")
@requires(PERMISSION)
def confirm(correction_id):
    return _decide(
        correction_id, corrections.confirm_correction, "已确认：更正已生效，单位成绩已重新计算并写入验收记录。"
    )


@bp.post("/results/corrections/<int:correction_id>/reject")
@requires(PERMISSION)
def reject(correction_id):
    return _decide(correction_id, corrections.reject_correction, "已记录：不同意这项更正，成绩不变。")
