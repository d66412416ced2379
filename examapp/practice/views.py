"""练习: the examinee's practice home, one question at a time, the answer, the 错题本; the settings."""

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..access import requires
from ..clock import utcnow
from ..errors import DomainError
from ..web import json_body
from ..web.form_errors import report
from ..web.ids import db_int
from . import services
from .forms import SettingsForm

bp = Blueprint("practice", __name__, template_folder="templates", url_prefix="/practice")

#: the examinee's routes, refused while an exam is in progress or practice is closed
EXAMINEE_ENDPOINTS = {"practice.index", "practice.question", "practice.answer", "practice.wrong_book"}


def _wants_json():
    accept = request.accept_mimetypes
    return request.is_json or accept["application/json"] > accept["text/html"]


def _refusal(exc, status):
    if _wants_json():
        return jsonify({"status": status, "reason": exc.reason, "error": exc.message}), status
    return render_template("practice/refused.html", message=exc.message, reason=exc.reason), status


@bp.before_request
def closed_book():
    """Every examinee route: never during one's exam, never while practice is closed city-wide."""
    if request.endpoint not in EXAMINEE_ENDPOINTS or not current_user.is_authenticated:
        return None
    try:
        # ensure_no_exam_in_progress and ensure_practice_open, on one statement's rows
        g.practice_settings = services.open_practice(current_user)
    except services.PracticeRefused as exc:
        return _refusal(exc, 409)
    return None


def _run_from(values):
    """The practice run a request names (source, category, mode); anything unknown is the default."""
    source = values.get("source") if values.get("source") in services.SOURCES else "bank"
    mode = values.get("mode") if values.get("mode") in services.MODES else "random"
    category = values.get("category", type=db_int)
    return services.Run(source, category, mode)


def _run_args(run):
    args = {"source": run.source, "mode": run.mode}
    if run.category_id is not None:
        args["category"] = run.category_id
    return args


@bp.get("")
@requires("practice.use")
def index():
    progress = services.progress(current_user, g.practice_settings)
    return render_template("practice/index.html", progress=progress, hours=_duration(progress.seconds))


def _duration(seconds):
    minutes = seconds // 60
    return f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes >= 60 else f"{minutes} 分钟"


@bp.get("/question")
@requires("practice.use")
def question():
    run = _run_from(request.args)
    settings = g.practice_settings
    after = request.args.get("after", type=db_int)
    question_id = services.next_question_id(current_user, settings, run, after)
    if question_id is None:
        return render_template("practice/done.html", run=run, run_args=_run_args(run), started=after is not None)
    shown = services.show_question(settings, question_id)
    return render_template("practice/question.html", **_page(run, shown))


def _page(run, shown, outcome=None, chosen=None):
    return {
        "run": run,
        "run_args": _run_args(run),
        "shown": shown,
        "shown_at": int(utcnow().timestamp()),
        "order_text": ",".join(str(i) for i in shown.order) if shown.order is not None else "",
        "next_url": url_for("practice.question", **_run_args(run), after=shown.question_id),
        "outcome": outcome,
        "chosen": chosen,
        "title": "错题练习" if run.source == "wrong" else "练习",
    }


@bp.post("/answer")
@requires("practice.use")
def answer():
    if request.is_json:
        payload = json_body.json_object()
        if payload is None:
            return json_body.bad_request()
        fields = {k: payload.get(k) for k in ("question_id", "version_id", "order", "response", "shown_at")}
    else:
        fields = _form_fields()
    try:
        outcome = services.answer_question(current_user, g.practice_settings, **fields)
    except services.AnswerRefused as exc:
        if request.is_json:
            return jsonify({"status": exc.status, "reason": exc.reason, "error": exc.message}), exc.status
        return _form_refusal(exc)
    if request.is_json:
        return jsonify(
            {
                "status": "answered",
                "correct": outcome.correct,
                "key": outcome.key,
                "explanation": outcome.explanation,
                "source": outcome.source,
            }
        )
    run = _run_from(request.form)
    shown = services.shown_version(outcome.version_id, outcome.order)
    answers = request.form.getlist("answer")
    return render_template("practice/question.html", **_page(run, shown, outcome, answers))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _form_fields():
    """The no-JavaScript form's fields in the shape the JSON body has."""
    form = request.form
    order_text = form.get("order", "")
    try:
        order = [int(part) for part in order_text.split(",")] if order_text else None
    except ValueError:
        order = "invalid"
    answers = form.getlist("answer")
    response = answers if form.get("qtype") == "blank" else "".join(answers)
    return {
        "question_id": _int(form.get("question_id")),
        "version_id": _int(form.get("version_id")),
        "order": order,
        "response": response,
        "shown_at": _int(form.get("shown_at")),
    }


def _form_refusal(exc):
    back = request.referrer if (request.referrer or "").startswith(request.host_url + "practice/") else None
    return render_template("practice/refused.html", message=exc.message, reason=exc.reason, back=back), exc.status


@bp.get("/wrong")
@requires("practice.use")
def wrong_book():
    groups = services.wrong_book_groups(current_user)
    return render_template("practice/wrong_book.html", groups=groups)


@bp.route("/settings", methods=["GET", "POST"])
@requires("practice.manage")
def settings():
    current = services.settings_row() or services.DEFAULT_SETTINGS
    categories = services.category_tree()
    form = SettingsForm(
        data={
            "scope": "all" if current.category_ids is None else "some",
            "categories": current.category_ids or [],
            "closed": current.closed,
            "closed_note": current.closed_note or "",
        }
        if request.method == "GET"
        else None
    )
    paths = sorted((services.category_path(categories, cid), cid) for cid in categories)
    form.categories.choices = [SelectChoice(cid, path) for path, cid in paths]
    if form.validate_on_submit():
        try:
            services.update_settings(
                current_user,
                closed=form.closed.data,
                closed_note=form.closed_note.data,
                category_ids=form.categories.data if form.scope.data == "some" else None,
            )
        except DomainError as exc:
            report(exc, form, default="categories")
        else:
            flash("练习设置已保存", "success")
            return redirect(url_for("practice.settings"))
    status = 400 if form.errors else 200
    return render_template("practice/settings.html", form=form, current=current), status
