from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from ..access import requires
from ..downloads import send_table
from ..errors import DomainError, NotFound
from ..extensions import db
from ..imports.flow import ImportFlow
from ..imports.services import get_staged, mark_applied
from ..web.form_errors import report
from ..web.ids import db_int, parse_id
from ..web.transaction import fail
from . import importing
from .card import question_card_html, text_html
from .content import LETTERS, Difficulty, QType, check_question, stem_key
from .forms import STATUS_FILTERS, CategoryForm, ImportConfirmForm, QuestionForm, StatusForm
from .lint import RULE_LABELS, summary_lines
from .models import Question, QuestionCategory, QuestionVersion, Status
from .services import (
    InvalidQuestion,
    bank_overview,
    bulk_change_status,
    category_tree,
    change_status,
    clean_data,
    create_category,
    create_question,
    delete_category,
    descendant_ids,
    published_lint,
    similar_questions,
    update_category,
    update_question,
    validate_question,
    version_changes,
)

bp = Blueprint("bank", __name__, url_prefix="/bank", template_folder="templates")
PER_PAGE = 50
#: query-string keys of the question list filters (kept by paging, export and bulk actions)
FILTER_KEYS = ("q", "category", "qtype", "difficulty", "status")


@bp.app_template_filter("question_text")
def question_text(text):
    """Plain question text for HTML: escaped, line breaks kept."""
    return text_html(text)


bp.add_app_template_global(question_card_html, "question_card_html")


@bp.app_template_filter("qtype_label")
def qtype_label(qtype):
    return QType.LABELS.get(qtype, "")


class QuestionImportFlow(ImportFlow):
    """The shared upload page; a preview that also lists new categories and warnings and asks for the status."""

    def preview(self, token, on_applied):
        actor = current_user._get_current_object()
        try:
            batch = get_staged(actor, self.kind, token)
        except NotFound as exc:
            return render_template("home/error.html", status=404, message=exc.message), 404
        form = ImportConfirmForm()
        plan, problems = self.check_rows(actor, batch.rows)
        if batch.applied_at is not None:
            problems = []
        if request.method == "POST" and form.validate_on_submit() and not problems and batch.applied_at is None:
            status = Status.PUBLISHED if form.publish.data else Status.DRAFT
            result = self.apply_plan(actor, plan, batch.filename, status=status)
            mark_applied(batch)
            return on_applied(result, batch)
        return render_template(
            "bank/import_preview.html", flow=self, form=form, batch=batch, plan=plan, problems=problems
        ), 422 if problems else 200


question_import = QuestionImportFlow(
    kind="questions",
    title="导入试题",
    columns=importing.COLUMNS,
    check_rows=importing.check_rows,
    apply_plan=importing.apply_plan,
    example_rows=importing.EXAMPLE_ROWS,
    preview_columns=[("题型", "qtype_label"), ("题干", "stem"), ("答案", "answer_text"), ("分类", "category")],
    upload_endpoint="bank.import_questions",
    preview_endpoint="bank.import_preview",
    template_endpoint="bank.import_template",
    back_endpoint="bank.index",
    notes=importing.IMPORT_NOTES,
)


def _get_question(question_id):
    question = db.session.get(Question, question_id, options=[joinedload(Question.current_version)])
    if question is None:
        abort(404)
    return question


def _filters(source):
    return {key: (source.get(key) or "").strip() for key in FILTER_KEYS if (source.get(key) or "").strip()}


def _filtered_statement(filters):
    """The question list query for ``filters`` (a dict of FILTER_KEYS), newest first."""
    statuses = STATUS_FILTERS.get(filters.get("status", ""), STATUS_FILTERS[""])[1]
    stmt = select(Question).where(Question.status.in_(statuses))
    q = filters.get("q", "")[:100]
    if q:
        stmt = stmt.where(Question.stem_key.contains(stem_key(q), autoescape=True))
    category = parse_id(filters.get("category", ""))
    if category is not None:
        stmt = stmt.where(Question.category_id.in_(descendant_ids(category)))
    if filters.get("qtype") in QType.ALL:
        stmt = stmt.where(Question.qtype == filters["qtype"])
    if filters.get("difficulty") in Difficulty.ALL:
        stmt = stmt.where(Question.difficulty == filters["difficulty"])
    return stmt.order_by(Question.id.desc())


def _category_choices(empty=None):
    choices = [SelectChoice(0, empty)] if empty else []
    return choices + [SelectChoice(c.id, f"{'　' * depth}{c.name}") for c, depth in category_tree()]


@bp.get("/")
@requires("bank.manage")
def index():
    filters = _filters(request.args)
    page = request.args.get("page", 1, type=db_int)
    # Page through ids alone (an index covers them), then load the page's questions and versions:
    # sorting whole rows with their text made deep pages slow.
    pagination = db.paginate(
        _filtered_statement(filters).with_only_columns(Question.id), page=page, per_page=PER_PAGE, error_out=False
    )
    by_id = {
        q.id: q
        for q in db.session.scalars(
            select(Question).where(Question.id.in_(pagination.items)).options(joinedload(Question.current_version))
        )
    }
    tree = category_tree()
    return render_template(
        "bank/index.html",
        pagination=pagination,
        questions=[by_id[i] for i in pagination.items],
        filters=filters,
        tree=tree,
        category_names={c.id: c.name for c, _ in tree},
        status_filters=STATUS_FILTERS,
        qtypes=QType.LABELS,
        difficulties=Difficulty.LABELS,
        status_form=StatusForm(),
    )


@bp.post("/status")
@requires("bank.manage")
def bulk_status():
    """Publish or retire the ticked questions, or every question matching the list's filters."""
    form = StatusForm()
    filters = _filters(request.form)
    back = url_for("bank.index", **filters)
    target = request.form.get("target")
    if not form.validate_on_submit() or target not in (Status.PUBLISHED, Status.RETIRED):
        flash("请求无效，请重试", "danger")
        return redirect(back)
    if request.form.get("scope") == "filtered":
        stmt = _filtered_statement(filters)
    else:
        ids = [i for i in map(parse_id, request.form.getlist("ids")) if i is not None]
        if not ids:
            flash("请先勾选要处理的试题", "warning")
            return redirect(back)
        stmt = select(Question).where(Question.id.in_(ids))
    changed, unchanged = bulk_change_status(current_user, stmt, target, reason=form.reason.data)
    verb = "发布" if target == Status.PUBLISHED else "停用"
    message = f"已{verb} {changed} 道试题"
    if unchanged:
        message += f"，另有 {unchanged} 道原本就是{Status.LABELS[target]}状态"
    flash(message, "success")
    return redirect(back)


def _check_form(form, question):
    """(data, problems) for the submitted form, without saving anything."""
    data, problems = form.to_data()
    data = clean_data(data)
    if problems:
        flagged = {f for f, _ in problems}
        return data, problems + [p for p in check_question(data) if p[0] not in flagged]
    try:
        validate_question(data, exclude_id=question.id if question else None)
    except InvalidQuestion as exc:
        return data, exc.problems
    return data, []


def _preview_version(data):
    """A transient version (never added to the session) to render the preview from."""
    return QuestionVersion(
        qtype=data.qtype,
        stem=data.stem,
        options=data.options,
        answer=data.answer,
        explanation=data.explanation,
        source=data.source,
        difficulty=data.difficulty,
        category_id=data.category_id,
        keep_option_order=data.keep_option_order,
        number=0,
    )


def _question_page(form, question):
    """Create and edit: preview, near-duplicate warning, save."""
    form.category_id.choices = _category_choices()
    preview = None
    similar = []
    status = 200
    action = request.form.get("action")
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        elif action in ("preview", "save"):
            data, problems = _check_form(form, question)
            if problems:
                form.show_problems(problems)
                status = 400
                if action == "preview" and data.stem:
                    preview = _preview_version(data)  # the layout helps while the problems are fixed
            else:
                similar = similar_questions(data.stem, exclude_id=question.id if question else None)
                stem_changed = question is None or stem_key(data.stem) != question.stem_key
                if action == "save" and (not (similar and stem_changed) or form.confirm_similar.data):
                    saved = _save(form, question, data)
                    if saved is not None:
                        return saved
                    status = 400
                preview = _preview_version(data)
    names = {choice.value: choice.label.strip("　") for choice in form.category_id.choices}
    return render_template(
        "bank/form.html",
        form=form,
        question=question,
        preview=preview,
        similar=similar,
        category_names=names,
        letters=LETTERS,
    ), status


def _save(form, question, data):
    """Save and redirect, or put the refusal on the form and return None."""
    try:
        if question is None:
            question = create_question(current_user, data)
            message = f"已新建试题 {question.id}（草稿）。核对无误后请发布，发布后才会被抽到试卷中。"
        else:
            base = parse_id(form.base_version.data)
            version = update_question(current_user, question, data, base_number=base, note=form.note.data)
            message = f"已保存为第 {version.number} 版" if version else "内容没有变化，未生成新版本"
        db.session.flush()  # a version number taken meanwhile by another editor fails here, not at the commit
    except InvalidQuestion as exc:
        fail()
        form.show_problems(exc.problems)
        return None
    except DomainError as exc:
        fail()
        form.show_problems([(exc.field or "stem", exc.message)])
        return None
    except IntegrityError:
        fail()
        form.show_problems([("stem", "该试题刚被他人修改，请重新打开后再修改")])
        return None
    flash(message, "success")
    return redirect(url_for("bank.detail", question_id=question.id))


@bp.route("/new", methods=["GET", "POST"])
@requires("bank.manage")
def create():
    form = QuestionForm()
    if request.method == "GET":
        if request.args.get("qtype") in QType.ALL:
            form.qtype.data = request.args["qtype"]
        if (category_id := parse_id(request.args.get("category"))) is not None:
            form.category_id.data = category_id
    return _question_page(form, None)


@bp.get("/<int:question_id>")
@requires("bank.manage")
def detail(question_id):
    question = _get_question(question_id)
    return render_template(
        "bank/detail.html", question=question, version=question.current_version, status_form=StatusForm()
    )


@bp.route("/<int:question_id>/edit", methods=["GET", "POST"])
@requires("bank.manage")
def edit(question_id):
    question = _get_question(question_id)
    form = QuestionForm()
    if request.method == "GET":
        form.fill_from(question.current_version)
    return _question_page(form, question)


@bp.post("/<int:question_id>/status")
@requires("bank.manage")
def set_status(question_id):
    question = _get_question(question_id)
    form = StatusForm()
    target = request.form.get("target")
    if not form.validate_on_submit() or target not in (Status.PUBLISHED, Status.RETIRED):
        flash("请求无效，请重试", "danger")
        return redirect(url_for("bank.detail", question_id=question.id))
    try:
        change_status(current_user, question, target, reason=form.reason.data)
    except DomainError as exc:
        fail()
        flash(exc.message, "warning")
    else:
        flash(
            "试题已发布，可以被抽到试卷中" if target == Status.PUBLISHED else "试题已停用，不会再被抽到新试卷中",
            "success",
        )
    return redirect(url_for("bank.detail", question_id=question.id))


@bp.get("/<int:question_id>/history")
@requires("bank.manage")
def history(question_id):
    question = _get_question(question_id)
    versions = db.session.scalars(
        select(QuestionVersion)
        .where(QuestionVersion.question_id == question.id)
        .options(selectinload(QuestionVersion.category), selectinload(QuestionVersion.created_by))
        .order_by(QuestionVersion.number)
    ).all()
    entries = [(v, version_changes(versions[i - 1], v) if i else None) for i, v in enumerate(versions)]
    return render_template("bank/history.html", question=question, entries=list(reversed(entries)))


@bp.get("/overview")
@requires("bank.manage")
def overview():
    counts = bank_overview()
    tree = category_tree()
    published = counts["published"]
    columns = [(t, d) for t in QType.ALL for d in Difficulty.ALL]
    rows = []
    for category, depth in tree:
        cells = [published.get((category.id, t, d), 0) for t, d in columns]
        rows.append(
            (
                category,
                depth,
                cells,
                sum(cells),
                counts["drafts"].get(category.id, 0),
                counts["retired"].get(category.id, 0),
            )
        )
    totals = [sum(row[2][i] for row in rows) for i in range(len(columns))]
    report = published_lint()
    return render_template(
        "bank/overview.html",
        report=report,
        report_lines=summary_lines(report, group="分类"),
        rule_labels=RULE_LABELS,
        rows=rows,
        columns=columns,
        totals=totals,
        qtypes=QType.LABELS,
        difficulties=Difficulty.LABELS,
        drafts=sum(counts["drafts"].values()),
        retired=sum(counts["retired"].values()),
    )


# --- categories ---------------------------------------------------------------------


def _get_category(category_id):
    category = db.session.get(QuestionCategory, category_id)
    if category is None:
        abort(404)
    return category


@bp.get("/categories")
@requires("bank.manage")
def categories():
    counts = dict(
        db.session.execute(
            select(Question.category_id, func.count())
            .where(Question.status != Status.RETIRED)
            .group_by(Question.category_id)
        ).all()
    )
    return render_template("bank/categories.html", tree=category_tree(), counts=counts, delete_form=StatusForm())


def _category_page(form, category):
    form.parent_id.choices = _category_choices(empty="（无，作为顶级知识点）")
    if form.validate_on_submit():
        parent = db.session.get(QuestionCategory, form.parent_id.data) if form.parent_id.data else None
        sort_order = int(form.sort_order.data or 0)
        try:
            if category is None:
                category = create_category(current_user, form.name.data, parent, sort_order)
            else:
                update_category(
                    current_user,
                    category,
                    name=form.name.data,
                    parent=parent,
                    sort_order=sort_order,
                    reason=form.reason.data,
                )
        except DomainError as exc:
            report(exc, form, fields={"parent": "parent_id"}, default="name")
        else:
            flash(f"知识点“{category.name}”已保存", "success")
            return redirect(url_for("bank.categories"))
    status = 400 if request.method == "POST" else 200
    return render_template("bank/category_form.html", form=form, category=category), status


@bp.route("/categories/new", methods=["GET", "POST"])
@requires("bank.manage")
def category_create():
    return _category_page(CategoryForm(), None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@requires("bank.manage")
def category_edit(category_id):
    category = _get_category(category_id)
    form = CategoryForm(obj=category if request.method == "GET" else None)
    if request.method == "GET":
        form.parent_id.data = category.parent_id or 0
        form.sort_order.data = str(category.sort_order)
    return _category_page(form, category)


@bp.post("/categories/<int:category_id>/delete")
@requires("bank.manage")
def category_delete(category_id):
    category = _get_category(category_id)
    if not StatusForm().validate_on_submit():
        flash("请求无效，请重试", "danger")
        return redirect(url_for("bank.categories"))
    name = category.name
    try:
        delete_category(current_user, category)
    except DomainError as exc:
        fail()
        flash(exc.message, "warning")
    else:
        flash(f"知识点“{name}”已删除", "success")
    return redirect(url_for("bank.categories"))


# --- import and export ---------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@requires("bank.manage")
def import_questions():
    return question_import.upload()


@bp.route("/import/<token>", methods=["GET", "POST"])
@requires("bank.manage")
def import_preview(token):
    def done(result, batch):
        status = "已发布" if result.created and result.created[0].status == Status.PUBLISHED else "草稿"
        message = f"导入完成：新建 {len(result.created)} 道试题（{status}）"
        if result.new_categories:
            message += f"，新建分类：{'、'.join(result.new_categories)}"
        flash(message, "success")
        return redirect(url_for("bank.index"))

    return question_import.preview(token, done)


@bp.get("/import/template.<fmt>")
@requires("bank.manage")
def import_template(fmt):
    return question_import.template_response(fmt)


@bp.get("/export.<fmt>")
@requires("bank.manage")
def export(fmt):
    """The questions the list shows (same filters), every page, in the import format."""
    rows = importing.export_rows(_filtered_statement(_filters(request.args)))
    return send_table(importing.COLUMNS, rows, fmt, "questions", sheet_name="试题")
