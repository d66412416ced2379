"""The examinee's pages: start, the attempt page and its JSON endpoints, submit, result."""

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import joinedload

from .. import access
from ..access import PUBLIC, mark_ticket_login, requires
from ..auth.services import LoginRefused, check_login
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus
from ..extensions import db
from ..web import json_body
from ..web.form_errors import report
from ..web.transaction import commit_now
from .forms import StartForm, SubmitForm
from .handin import finish_attempt
from .late import late_counts
from .models import Attempt, AttemptState, SubmitReason, duration_text
from .page import SaveRefused, claim_attempt, identify_page, page_client, report_event
from .prepared import exam_sitting
from .queries import answered_count, paper_makeup, paper_view, review_summary
from .saving import quick_save, save_responses
from .services import AccessRefused, close_if_overdue, start_attempt
from .sheet import attempt_sheet

bp = Blueprint("sitting", __name__, template_folder="templates")


def _client():
    return {"address": request.remote_addr, "user_agent": request.headers.get("User-Agent")}


def _own_attempt(attempt_id):
    """The current user's attempt, closed first if it is overdue; 403 for anyone else's."""
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.exam)])
    if attempt is None:
        abort(404)
    access.ensure(current_user, "sitting.sit", attempt)
    if current_user.must_change_password and access.ticket_login_exam_id() != attempt.exam_id:
        abort(403)  # a 登录码 login opens its own exam only (the password change waits for the rest)
    if close_if_overdue(attempt):
        commit_now()  # the deadline submit stands whatever the request answers (a refusal is a 4xx)
    return attempt


def _json_refusal(exc, status):
    return jsonify({"status": status, "error": exc.message, "reason": getattr(exc, "reason", "invalid")}), status


def _json_payload():
    """The request's JSON object, or None for anything else (no body, not JSON, a list, a number,
    a body nested too deep): see examapp.web.json_body."""
    return json_body.json_object()


def _bad_request(message=json_body.INVALID):
    return json_body.bad_request(message)


def _page_call(call):
    """(result, None) of a page-facing service, or (None, the JSON refusal): 409 for a page that
    may no longer save (what the refusal set off, such as a deadline submit, is kept), 400 for a
    request the service will not take (nothing is kept: the request rolls back on a 4xx)."""
    try:
        return call(), None
    except SaveRefused as exc:
        commit_now()  # what the refusal set off (a deadline submit) is kept although the answer is a 409
        return None, _json_refusal(exc, 409)
    except DomainError as exc:
        return None, _json_refusal(exc, 400)


def _evidence(payload):
    return {k: payload.get(k) for k in ("offline_ms", "online_ms")}


def _saves_reply(result, attempt, **extra):
    """The reply to a batch of saves: what was taken, what is kept for review, what was refused and why.

    200 when anything was taken; 409 "closed" when the attempt is closed (its page's answers kept
    as late deliveries); 409 "after_deadline" or 400 "invalid" when every save was refused.
    """
    body = {k: result[k] for k in ("acked", "stale", "late", "refused")}
    if result["closed"]:
        late = len(result["late"])
        error = (
            f"考试已结束：{late} 个答案在考试结束后才送达，已提交监考人员审核" if late else "考试时间已到或答卷已提交"
        )
        return jsonify(
            {
                "status": 409,
                "reason": "closed",
                "error": error,
                **body,
                "result_url": url_for("sitting.result", attempt_id=attempt.id),
                **extra,
            }
        ), 409
    refused = result["refused"]
    if refused and not result["acked"] and not result["stale"]:
        reasons = {r["reason"] for r in refused}
        reason = "after_deadline" if reasons == {"after_deadline"} else "invalid"
        status = 409 if reason == "after_deadline" else 400
        return jsonify({"status": status, "reason": reason, "error": refused[0]["error"], **body, **extra}), status
    return jsonify({"status": "saved", **body, "seconds_left": attempt.seconds_left(), **extra})


@bp.route("/exam/<int:exam_id>", methods=["GET", "POST"])
@requires("sitting.sit")
def start(exam_id):
    exam, entry, attempt, prepared = exam_sitting(exam_id, current_user.id)
    if exam is None or exam.status == ExamStatus.DRAFT or entry is None:
        abort(404)
    if attempt is not None:
        endpoint = "sitting.attempt" if attempt.state == AttemptState.IN_PROGRESS else "sitting.result"
        return redirect(url_for(endpoint, attempt_id=attempt.id))
    form = StartForm()
    status = 200
    if form.validate_on_submit():
        try:
            attempt = start_attempt(
                exam,
                current_user._get_current_object(),
                access_code=form.access_code.data,
                address=request.remote_addr,
                entry=entry,
                prepared=prepared,
            )
        except AccessRefused as exc:
            if request.is_json:
                return jsonify({"status": 403, "reason": "refused", "field": exc.field, "error": exc.message}), 403
            report(exc, form, default="pledge")
            status = 403
        else:
            return redirect(url_for("sitting.attempt", attempt_id=attempt.id))
    elif request.method == "POST":
        if request.is_json:
            # the first field's reason, as the page would show it beside the field
            field, errors = next(iter(form.errors.items()), (None, [json_body.INVALID]))
            return jsonify({"status": 400, "reason": "invalid", "field": field, "error": errors[0]}), 400
        status = 400
    makeup = paper_makeup(exam)
    return render_template(
        "sitting/start.html",
        exam=exam,
        form=form,
        makeup=makeup,
        question_total=sum(g.count for g in makeup),
        points_total=sum(g.points for g in makeup),
    ), status


@bp.get("/attempt/<int:attempt_id>")
@requires("sitting.sit")
def attempt(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("sitting.result", attempt_id=attempt.id))
    token = claim_attempt(attempt, **_client())
    # Past the deadline (inside the grace for delivering) a page opened again may only hand in.
    hand_in_only = utcnow() >= attempt.deadline_at
    return render_template(
        "sitting/attempt.html",
        attempt=attempt,
        exam=attempt.exam,
        token=token,
        sheet=attempt_sheet(attempt.id, disabled=hand_in_only),
        seconds_left=attempt.seconds_left(),
        hand_in_only=hand_in_only,
    )


@bp.post("/attempt/<int:attempt_id>/save")
@requires("sitting.sit")
def save(attempt_id):
    payload = _json_payload()
    # The common save in one statement that checks owner, page and time in the database;
    # anything it does not take goes the full way below, which says why.
    device = payload.get("device") if payload is not None else None
    client = page_client(request.remote_addr, request.headers.get("User-Agent"), device)
    quick = quick_save(attempt_id, current_user, payload, client) if payload is not None else None
    if quick is not None:
        reply = jsonify({"status": "saved", "late": [], "refused": [], **quick})
    else:
        attempt = _own_attempt(attempt_id)
        if payload is None:
            return _bad_request()
        result, refusal = _page_call(
            lambda: save_responses(
                attempt,
                payload.get("token"),
                payload.get("saves"),
                device=client[2],
                evidence=_evidence(payload),
                **_client(),
            )
        )
        if refusal is not None:
            return refusal
        reply = _saves_reply(result, attempt)
    # "saved" is only said after the commit, and what a 409 reply kept (late deliveries) stays
    commit_now()
    return reply


@bp.post("/attempt/<int:attempt_id>/hello")
@requires("sitting.sit")
def hello(attempt_id):
    """The page, just loaded, reports the browser tab it lives in (a reload or a takeover), and its
    browser's device id (kept for the integrity analysis; a malformed one is ignored)."""
    attempt = _own_attempt(attempt_id)
    payload = _json_payload()
    if payload is None:
        return _bad_request()
    kind, refusal = _page_call(
        lambda: identify_page(attempt, payload.get("token"), payload.get("tab"), device=payload.get("device"))
    )
    if refusal is not None:
        return refusal
    return jsonify({"status": "ok", "opening": kind, "seconds_left": attempt.seconds_left()})


@bp.post("/attempt/<int:attempt_id>/event")
@requires("sitting.sit")
def event(attempt_id):
    attempt = _own_attempt(attempt_id)
    payload = _json_payload()
    if payload is None:
        return _bad_request()
    submitted, refusal = _page_call(
        lambda: report_event(
            attempt, payload.get("token"), payload.get("kind"), detail=payload.get("detail"), **_client()
        )
    )
    if refusal is not None:
        return refusal
    exam = db.session.get(Exam, attempt.exam_id)
    return jsonify(
        {
            "status": "recorded",
            "departures": attempt.departures,
            "limit": exam.departure_limit,
            "submitted": submitted,
            "result_url": url_for("sitting.result", attempt_id=attempt.id) if submitted else None,
        }
    )


@bp.get("/attempt/<int:attempt_id>/state")
@requires("sitting.sit")
def state(attempt_id):
    attempt = _own_attempt(attempt_id)
    token = request.args.get("token", "")
    return jsonify(
        {
            "state": attempt.state,
            "seconds_left": attempt.seconds_left() if attempt.is_in_progress else 0,
            "taken_over": attempt.is_in_progress and token != attempt.live_token,
            "result_url": url_for("sitting.result", attempt_id=attempt.id),
        }
    )


@bp.route("/attempt/<int:attempt_id>/submit", methods=["GET", "POST"])
@requires("sitting.sit")
def submit(attempt_id):
    attempt = _own_attempt(attempt_id)
    if request.is_json:
        return _submit_json(attempt)
    form = SubmitForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            finish_attempt(attempt, request.form.get("token"), **_client())
        except SaveRefused as exc:
            # what the refusal set off (a deadline submit) is kept: the request commits its redirect
            if exc.reason != "closed":
                flash(exc.message, "danger")
                return redirect(url_for("sitting.attempt", attempt_id=attempt.id))
        return redirect(url_for("sitting.result", attempt_id=attempt.id))
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("sitting.result", attempt_id=attempt.id))
    questions = paper_view(attempt)
    return render_template(
        "sitting/submit.html",
        attempt=attempt,
        form=form,
        token=attempt.live_token,
        unanswered=[q["position"] for q in questions if not q["answered"]],
        flagged=[q["position"] for q in questions if q["flagged"]],
    )


def _submit_json(attempt):
    """The page's hand-in: its last saves, then submit. A page whose attempt closed while it was
    cut off has its answers kept as late deliveries and is sent to the result all the same."""
    payload = _json_payload()
    if payload is None:
        return _bad_request()
    time_up = payload.get("time_up", False)
    if not isinstance(time_up, bool):
        return _bad_request("交卷请求无效")
    result_url = url_for("sitting.result", attempt_id=attempt.id)
    try:
        result = finish_attempt(
            attempt,
            payload.get("token"),
            payload.get("saves"),
            time_up=time_up,
            evidence=_evidence(payload),
            device=payload.get("device"),
            **_client(),
        )
    except SaveRefused as exc:
        if exc.reason != "closed":
            commit_now()  # what the refusal set off (a deadline submit) is kept although the answer is a 409
            return _json_refusal(exc, 409)
        return jsonify({"status": "submitted", "late": [], "refused": [], "result_url": result_url})
    except DomainError as exc:
        return _json_refusal(exc, 400)  # nothing is kept: the request rolls back on a 4xx
    body = {k: result[k] for k in ("acked", "stale", "late", "refused")}
    if not result["submitted"]:
        # the page's countdown ran out before the server's deadline (extra time): it goes on
        return jsonify({"status": "continue", **body, "seconds_left": attempt.seconds_left()})
    return jsonify({"status": "submitted", **body, "result_url": result_url})


@bp.get("/attempt/<int:attempt_id>/relogin")
@requires(PUBLIC)
def relogin_token(attempt_id):
    """A CSRF token for the in-page login, whatever became of the page's session."""
    return jsonify({"status": "ok", "csrf": generate_csrf()})


@bp.post("/attempt/<int:attempt_id>/relogin")
@requires(PUBLIC)
def relogin(attempt_id):
    """Log in again from the exam page itself (the session ended or was replaced), as the attempt's
    owner only, so that the page keeps its unsaved answers and sends them after."""
    payload = _json_payload()
    if payload is None or not isinstance(payload.get("username"), str) or not isinstance(payload.get("password"), str):
        return _bad_request("请输入用户名和密码")
    attempt = db.session.get(Attempt, attempt_id)
    try:
        login = check_login(payload["username"], payload["password"], request.remote_addr)
    except DomainError as exc:
        return _json_refusal(exc, 401 if isinstance(exc, LoginRefused) else 429)
    user = login.user
    # a refusal below answers 403, and the request rolls back the login that check_login recorded
    if attempt is None or attempt.user_id != user.id:
        return jsonify({"status": 403, "reason": "other_user", "error": "请使用本人的账号登录"}), 403
    # the 登录码 of this exam logs its person in to sit it, like the login page (access.py)
    by_ticket = login.ticket_exam_id is not None and login.ticket_exam_id == attempt.exam_id
    if user.must_change_password and not by_ticket:
        return jsonify({"status": 403, "reason": "password", "error": "该账号需要先修改密码，请联系监考人员"}), 403
    session.clear()  # a new session: nothing of the old one survives
    if login.ticket_exam_id is not None:
        mark_ticket_login(login.ticket_exam_id)  # before the login: its session row sees it
    login_user(user)
    session.permanent = True
    g.pop("csrf_token", None)  # the token of the session just ended
    return jsonify({"status": "ok", "csrf": generate_csrf()})


@bp.get("/attempt/<int:attempt_id>/result")
@requires("sitting.sit")
def result(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.state == AttemptState.IN_PROGRESS:
        return redirect(url_for("sitting.attempt", attempt_id=attempt.id))
    exam = db.session.get(Exam, attempt.exam_id)
    questions = paper_view(attempt) if exam.review_allowed and attempt.state == AttemptState.SUBMITTED else None
    groups = review_summary(questions) if questions else []
    wrong_only = request.args.get("wrong") == "1"
    shown = [q for q in questions or [] if not wrong_only or q["outcome"] != "right"]
    total, answered = answered_count(attempt.id)
    finished_at = attempt.submitted_at or attempt.deadline_at
    return render_template(
        "sitting/result.html",
        attempt=attempt,
        exam=exam,
        questions=questions,
        shown=shown,
        groups=groups,
        wrong_only=wrong_only,
        wrong_count=sum(1 for q in questions or [] if q["outcome"] != "right"),
        total=total,
        answered=answered,
        time_used=duration_text(max(0, (finished_at - attempt.started_at).total_seconds()) * 1000),
        reason=SubmitReason.LABELS.get(attempt.submit_reason, ""),
        late_pending=late_counts(attempt.id)[1],
    )
