"""The examinee's pages: start, the attempt page and its JSON endpoints, submit, result."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import access
from ..access import requires
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus
from ..extensions import db
from .forms import StartForm, SubmitForm
from .models import Attempt, AttemptState, SubmitReason
from .queries import paper_for_page, paper_view
from .saving import client_key, quick_save
from .services import (
    AccessRefused,
    SaveRefused,
    claim_attempt,
    close_if_overdue,
    finish_attempt,
    report_event,
    save_responses,
    sitting_of,
    start_attempt,
)

bp = Blueprint("sitting", __name__, template_folder="templates")


def _client():
    return {"address": request.remote_addr, "user_agent": request.headers.get("User-Agent")}


def _own_attempt(attempt_id):
    """The current user's attempt, closed first if it is overdue; 403 for anyone else's."""
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.exam)])
    if attempt is None:
        abort(404)
    access.ensure(current_user, "sitting.sit", attempt)
    if close_if_overdue(attempt):
        db.session.commit()
    return attempt


def _json_refusal(exc, status):
    return jsonify({"status": status, "error": exc.message, "reason": getattr(exc, "reason", "invalid")}), status


@bp.route("/exam/<int:exam_id>", methods=["GET", "POST"])
@requires("sitting.sit")
def start(exam_id):
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.status == ExamStatus.DRAFT:
        abort(404)
    entry, attempt = sitting_of(exam, current_user)
    if entry is None:
        abort(404)
    if attempt is not None:
        endpoint = "sitting.attempt" if attempt.state == AttemptState.IN_PROGRESS else "sitting.result"
        return redirect(url_for(endpoint, attempt_id=attempt.id))
    form = StartForm()
    status = 200
    if form.validate_on_submit():
        try:
            attempt = start_attempt(
                exam, current_user._get_current_object(), access_code=form.access_code.data,
                address=request.remote_addr, entry=entry,
            )
        except AccessRefused as exc:
            db.session.rollback()
            (form.access_code if exc.field == "access_code" else form.pledge).errors.append(exc.message)
            status = 403
        else:
            db.session.commit()
            return redirect(url_for("sitting.attempt", attempt_id=attempt.id))
    elif request.method == "POST":
        status = 400
    return render_template("sitting/start.html", exam=exam, form=form), status


@bp.get("/attempt/<int:attempt_id>")
@requires("sitting.sit")
def attempt(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("sitting.result", attempt_id=attempt.id))
    token = claim_attempt(attempt, **_client())
    questions = paper_for_page(attempt.id)  # before the commit: one connection for the request
    db.session.commit()
    exam = attempt.exam
    return render_template(
        "sitting/attempt.html", attempt=attempt, exam=exam, token=token, questions=questions,
        seconds_left=attempt.seconds_left(), submit_form=SubmitForm(),
        last_seq=max([attempt.last_seq] + [q["seq"] for q in questions]),
    )


@bp.post("/attempt/<int:attempt_id>/save")
@requires("sitting.sit")
def save(attempt_id):
    payload = request.get_json(silent=True)
    # The common save in one statement that checks owner, page and time in the database;
    # anything it does not take goes the full way below, which says why.
    client = client_key(request.remote_addr, request.headers.get("User-Agent"))
    reply = quick_save(attempt_id, current_user, payload, client) if isinstance(payload, dict) else None
    if reply is not None:
        db.session.commit()  # "saved" is only said after the commit
        return jsonify({"status": "saved", **reply})
    attempt = _own_attempt(attempt_id)
    if not isinstance(payload, dict):
        return jsonify({"status": 400, "error": "请求格式无效", "reason": "invalid"}), 400
    try:
        result = save_responses(attempt, payload.get("token"), payload.get("saves"), **_client())
    except SaveRefused as exc:
        db.session.commit()  # keep a deadline submit that the refusal triggered
        return _json_refusal(exc, 409)
    except DomainError as exc:
        db.session.rollback()
        return _json_refusal(exc, 400)
    seconds_left = attempt.seconds_left()
    db.session.commit()  # "saved" is only said after the commit
    return jsonify({"status": "saved", **result, "seconds_left": seconds_left})


@bp.post("/attempt/<int:attempt_id>/event")
@requires("sitting.sit")
def event(attempt_id):
    attempt = _own_attempt(attempt_id)
    payload = request.get_json(silent=True) or {}
    try:
        submitted = report_event(
            attempt, payload.get("token"), payload.get("kind"), detail=payload.get("detail"), **_client()
        )
    except SaveRefused as exc:
        db.session.commit()
        return _json_refusal(exc, 409)
    except DomainError as exc:
        db.session.rollback()
        return _json_refusal(exc, 400)
    db.session.commit()
    exam = db.session.get(Exam, attempt.exam_id)
    return jsonify({
        "status": "recorded", "departures": attempt.departures, "limit": exam.departure_limit,
        "submitted": submitted, "result_url": url_for("sitting.result", attempt_id=attempt.id) if submitted else None,
    })


@bp.get("/attempt/<int:attempt_id>/state")
@requires("sitting.sit")
def state(attempt_id):
    attempt = _own_attempt(attempt_id)
    token = request.args.get("token", "")
    return jsonify({
        "state": attempt.state,
        "seconds_left": attempt.seconds_left() if attempt.is_in_progress else 0,
        "taken_over": attempt.is_in_progress and token != attempt.live_token,
        "result_url": url_for("sitting.result", attempt_id=attempt.id),
    })


@bp.route("/attempt/<int:attempt_id>/submit", methods=["GET", "POST"])
@requires("sitting.sit")
def submit(attempt_id):
    attempt = _own_attempt(attempt_id)
    if request.is_json:
        payload = request.get_json(silent=True) or {}
        try:
            finish_attempt(attempt, payload.get("token"), payload.get("saves"), **_client())
        except SaveRefused as exc:
            db.session.commit()
            if exc.reason != "closed":
                return _json_refusal(exc, 409)
        except DomainError as exc:
            db.session.rollback()
            return _json_refusal(exc, 400)
        db.session.commit()
        return jsonify({"status": "submitted", "result_url": url_for("sitting.result", attempt_id=attempt.id)})
    form = SubmitForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            finish_attempt(attempt, request.form.get("token"), **_client())
        except SaveRefused as exc:
            db.session.commit()
            if exc.reason != "closed":
                flash(exc.message, "danger")
                return redirect(url_for("sitting.attempt", attempt_id=attempt.id))
        db.session.commit()
        return redirect(url_for("sitting.result", attempt_id=attempt.id))
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("sitting.result", attempt_id=attempt.id))
    questions = paper_view(attempt)
    return render_template(
        "sitting/submit.html", attempt=attempt, form=form, token=attempt.live_token,
        unanswered=[q["position"] for q in questions if not q["answered"]],
        flagged=[q["position"] for q in questions if q["flagged"]],
    )


@bp.get("/attempt/<int:attempt_id>/result")
@requires("sitting.sit")
def result(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.state == AttemptState.IN_PROGRESS:
        return redirect(url_for("sitting.attempt", attempt_id=attempt.id))
    exam = db.session.get(Exam, attempt.exam_id)
    questions = paper_view(attempt) if exam.review_allowed and attempt.state == AttemptState.SUBMITTED else None
    return render_template(
        "sitting/result.html", attempt=attempt, exam=exam, questions=questions,
        reason=SubmitReason.LABELS.get(attempt.submit_reason, ""),
    )
