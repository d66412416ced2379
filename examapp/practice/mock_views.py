"""The examinee's mock exams: the list, start, the page and its saves, hand-in, the review."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import requires
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db
from ..sitting.queries import group_by_type
from ..web import json_body
from ..web.form_errors import report
from ..web.transaction import commit_now, fail
from . import mock as mocks
from .models import MockAttempt, MockState

bp = Blueprint("mock", __name__, url_prefix="/practice/mock", template_folder="templates")


def _user():
    return current_user._get_current_object()


def _own_mock(mock_id):
    """The current user's mock, handed in first if its time has run out; 404 for anyone else's."""
    mock = db.session.get(MockAttempt, mock_id)
    if mock is None or mock.user_id != current_user.id:
        abort(404)
    if mocks.close_if_overdue(mock):
        commit_now()  # the deadline hand-in stands whatever the request answers
    return mock


def _json_refusal(exc, status):
    return jsonify({"status": status, "reason": getattr(exc, "reason", "invalid"), "error": exc.message}), status


def _refused_page(exc):
    """A mock route refused (closed book, practice closed): back to the list with the reason."""
    report(exc)
    return redirect(url_for("mock.index"))


@bp.get("")
@requires("practice.use")
def index():
    user = _user()
    refusal = None
    try:
        mocks.ensure_mocks_open(user)
    except mocks.MockRefused as exc:
        refusal = exc.message
    if refusal is None:
        mocks.close_overdue_mocks(user)
    bank = mocks.PracticeBank()  # the practice pool read once for the default and every exam
    plan, note = mocks.default_plan(bank)
    return render_template(
        "practice/mock_index.html",
        refusal=refusal,
        choices=mocks.mock_choices(user, bank) if refusal is None else [],
        default_ready=plan is not None,
        default_note=note,
        default_count=sum(len(points) for _qtype, points in plan) if plan else 0,
        default_minutes=mocks.DEFAULT_MINUTES,
        past=mocks.past_mocks(user),
        MockState=MockState,
    )


@bp.post("/start")
@requires("practice.use")
def start():
    exam = None
    exam_id = request.form.get("exam", "")
    if exam_id:
        if not (exam_id.isascii() and exam_id.isdigit() and len(exam_id) <= 9):
            abort(400)
        exam = db.session.get(Exam, int(exam_id))
        if exam is None:
            abort(404)
    try:
        mock = mocks.start_mock(_user(), exam)
    except mocks.MockRefused as exc:
        return _refused_page(exc)
    return redirect(url_for("mock.page", mock_id=mock.id))


@bp.get("/<int:mock_id>")
@requires("practice.use")
def page(mock_id):
    mock = _own_mock(mock_id)
    if mock.state != MockState.IN_PROGRESS:
        return redirect(url_for("mock.review", mock_id=mock.id))
    try:
        mocks.ensure_mocks_open(_user())
    except mocks.MockRefused as exc:
        return _refused_page(exc)
    questions = mocks.page_questions(mock)
    return render_template(
        "practice/mock_page.html",
        mock=mock,
        questions=questions,
        groups=group_by_type(questions),
        seconds_left=mocks.seconds_left(mock),
        fixed_note=mock.exam is not None and mock.exam.paper_mode == "fixed",
    )


def _json_call(mock, call):
    """Run a page-facing service: its reply, or the JSON refusal (409 closed or refused, 400 bad input)."""
    payload = json_body.json_object()
    if payload is None or not isinstance(payload.get("answers", []), list):
        return None, json_body.bad_request()
    try:
        mocks.ensure_mocks_open(_user())
        return call(payload.get("answers")), None
    except mocks.MockRefused as exc:
        fail()
        return None, _json_refusal(exc, 409)
    except DomainError as exc:
        fail()
        return None, _json_refusal(exc, 400)


@bp.post("/<int:mock_id>/save")
@requires("practice.use")
def save(mock_id):
    mock = _own_mock(mock_id)
    saved, refusal = _json_call(mock, lambda answers: mocks.save_answers(mock, answers or []))
    if refusal is not None:
        return refusal
    return jsonify({"status": "saved", "saved": saved, "seconds_left": mocks.seconds_left(mock)})


@bp.post("/<int:mock_id>/submit")
@requires("practice.use")
def submit(mock_id):
    mock = _own_mock(mock_id)
    review_url = url_for("mock.review", mock_id=mock.id)
    if not request.is_json:  # the page without its script: a plain form hands in what is saved
        if mock.state == MockState.IN_PROGRESS:
            try:
                mocks.ensure_mocks_open(_user())
                mocks.hand_in(mock)
            except mocks.MockRefused as exc:
                return _refused_page(exc)
        return redirect(review_url)
    if mock.state != MockState.IN_PROGRESS:
        return jsonify({"status": "submitted", "review_url": review_url})
    _score, refusal = _json_call(mock, lambda answers: mocks.hand_in(mock, answers))
    if refusal is not None:
        return refusal
    return jsonify({"status": "submitted", "review_url": review_url})


@bp.get("/<int:mock_id>/review")
@requires("practice.use")
def review(mock_id):
    mock = _own_mock(mock_id)
    if mock.state != MockState.SUBMITTED:
        flash("本次模拟考试还没有交卷，交卷后才能查看答案和解析。", "warning")
        return redirect(url_for("mock.page", mock_id=mock.id))
    try:
        mocks.ensure_mocks_open(_user())
    except mocks.MockRefused as exc:
        return _refused_page(exc)
    questions = mocks.review_questions(mock)
    groups = group_by_type(questions)
    for g in groups:
        g.right = sum(q["outcome"] == "right" for q in g.questions)
        g.awarded = sum((q["awarded"] for q in g.questions), start=g.awarded)
    wrong_only = request.args.get("wrong") == "1"
    shown = [q for q in questions if q["outcome"] != "right"] if wrong_only else questions
    return render_template(
        "practice/mock_review.html",
        mock=mock,
        questions=questions,
        groups=groups,
        shown=shown,
        wrong_only=wrong_only,
        wrong_count=sum(q["outcome"] != "right" for q in questions),
        answered=sum(q["answered"] for q in questions),
    )
