"""The paper of an exam: the blueprint editor, the fixed-paper editor and the preview."""

import re
import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..access import requires
from ..bank.content import LETTERS, QType
from ..bank.models import Question, QuestionVersion
from ..bank.services import category_tree
from ..errors import DomainError
from ..extensions import db
from ..numbers import plain
from ..web.ids import db_int, parse_id
from ..web.transaction import fail
from .blueprint import bp, get_exam
from .forms import BlueprintForm, FixedPaperForm, optional_int
from .models import PaperMode
from .paper import draw_paper, paper_problems
from .queries import bank_availability
from .services import set_blueprint, set_fixed_paper

#: "第 3 行…" / "第 3 题…": the row a service message is about
_ROW_OF_MESSAGE = re.compile(r"^第 (\d+) [行题]")


def _points_text(points):
    return plain(points)


def _category_choices():
    return [
        SelectChoice("", "请选择知识点"),
        *(SelectChoice(c.id, f"{'　' * depth}{c.name}") for c, depth in category_tree()),
    ]


def _place_problems(problems, positions):
    """Split service messages into {form row index: [messages]} and the rest.

    ``positions`` maps the service's 1-based row number to the row of the form it came from.
    """
    by_row, general = {}, []
    for message in problems:
        match = _ROW_OF_MESSAGE.match(message)
        index = positions.get(int(match.group(1))) if match else None
        if index is None:
            general.append(message)
        else:
            by_row.setdefault(index, []).append(message)
    return by_row, general


def _problems_of(exc):
    return getattr(exc, "problems", None) or [exc.message]


# --- blueprint ---------------------------------------------------------------------


def _edit_rows(rows, action):
    """Handle the editor's "add a row" / "remove row N" buttons; True when ``action`` was one."""
    if action == "add_row":
        rows.append_entry()
        return True
    if action.startswith("remove_row-"):
        index = parse_id(action[11:])  # a tampered index removes nothing
        if index is not None and len(rows.entries) > 1 and index < len(rows.entries):
            del rows.entries[index]
        return True
    return False


def _blueprint_form(exam):
    if request.method == "POST":
        return BlueprintForm()
    rows = []
    if exam.paper_mode == PaperMode.BLUEPRINT:
        rows = [
            {
                "category_id": r.category_id,
                "qtype": r.qtype,
                "difficulty": r.difficulty or "",
                "count": str(r.count),
                "points": _points_text(r.points),
            }
            for r in exam.blueprint_rows
        ]
    return BlueprintForm(data={"rows": rows or [{"qtype": t} for t in QType.ALL]})


@bp.route("/<int:exam_id>/paper", methods=["GET", "POST"])
@requires("exams.manage")
def paper(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    form = _blueprint_form(exam)
    row_errors, problems, status = {}, [], 200
    action = request.form.get("action", "")
    if request.method == "POST":
        if _edit_rows(form.rows, action):
            pass
        elif not form.validate_on_submit():
            problems, status = ["请求无效，请刷新页面后重试"], 400
        else:
            kept = [(index, row.form) for index, row in enumerate(form.rows) if not row.form.is_blank()]
            try:
                set_blueprint(current_user, exam, [row.as_row() for _index, row in kept])
            except DomainError as exc:
                fail()
                positions = {position: index for position, (index, _row) in enumerate(kept, start=1)}
                row_errors, problems = _place_problems(_problems_of(exc), positions)
                status = 400
            else:
                flash("组卷规则已保存：总分 100 分，题库中的试题足够抽取", "success")
                return redirect(url_for("exams.paper", exam_id=exam.id))
    form.set_category_choices(_category_choices())
    availability, qtypes, difficulties = bank_availability()
    return render_template(
        "exams/paper.html",
        exam=exam,
        form=form,
        row_errors=row_errors,
        problems=problems,
        saved_problems=paper_problems(exam) if status == 200 and exam.paper_mode == PaperMode.BLUEPRINT else [],
        availability=availability,
        qtypes=qtypes,
        difficulties=difficulties,
    ), status


# --- fixed paper -------------------------------------------------------------------


def _fixed_form(exam):
    if request.method == "POST":
        return FixedPaperForm()
    items = []
    if exam.paper_mode == PaperMode.FIXED:
        items = [
            {"question_id": str(item.version.question_id), "points": _points_text(item.points)}
            for item in exam.fixed_items
        ]
    return FixedPaperForm(data={"items": items or [{}]})


def _bulk_add(form):
    ids = [optional_int(part) for part in re.split(r"[\s,，、;；]+", form.bulk_ids.data or "") if part]
    if len(form.items.entries) == 1 and form.items.entries[0].form.is_blank():
        form.items.entries.clear()
    for question_id in ids:
        if question_id is not None and len(form.items.entries) < form.items.max_entries:
            form.items.append_entry({"question_id": str(question_id), "points": form.bulk_points.data or ""})
    form.bulk_ids.data = ""


def _questions_for(form):
    ids = {optional_int(item.form.question_id.data) for item in form.items} - {None}
    if not ids:
        return {}
    stmt = select(Question).where(Question.id.in_(ids)).options(joinedload(Question.current_version))
    return {q.id: q for q in db.session.scalars(stmt)}


@bp.route("/<int:exam_id>/paper/fixed", methods=["GET", "POST"])
@requires("exams.manage")
def fixed_paper(exam_id):
    exam = get_exam(exam_id, "exams.manage")
    form = _fixed_form(exam)
    row_errors, problems, status = {}, [], 200
    action = request.form.get("action", "")
    if request.method == "POST":
        if action == "bulk_add":
            _bulk_add(form)
        elif _edit_rows(form.items, action):
            pass
        elif not form.validate_on_submit():
            problems, status = ["请求无效，请刷新页面后重试"], 400
        else:
            row_errors, problems = _save_fixed(exam, form)
            if not row_errors and not problems:
                flash("固定试卷已保存：总分 100 分", "success")
                return redirect(url_for("exams.fixed_paper", exam_id=exam.id))
            status = 400
    versions = {}
    if exam.paper_mode == PaperMode.FIXED:
        versions = {item.version.question_id: item.version for item in exam.fixed_items}
    return render_template(
        "exams/fixed_paper.html",
        exam=exam,
        form=form,
        row_errors=row_errors,
        problems=problems,
        questions=_questions_for(form),
        paper_versions=versions,
        saved_problems=paper_problems(exam) if status == 200 and exam.paper_mode == PaperMode.FIXED else [],
    ), status


def _save_fixed(exam, form):
    """Save the table through the service; ({row index: [messages]}, [messages]) when refused."""
    kept = [(index, item.form) for index, item in enumerate(form.items) if not item.form.is_blank()]
    questions = _questions_for(form)
    row_errors = {}
    items = []
    for position, (index, item) in enumerate(kept, start=1):
        question = questions.get(optional_int(item.question_id.data))
        if question is None:
            row_errors[index] = [f"第 {position} 题：试题编号“{item.question_id.data}”在题库中不存在"]
            continue
        items.append((question.current_version_id, (item.points.data or "").strip()))
    if row_errors:
        return row_errors, []
    if not items:
        return {}, ["请至少填写一道试题"]
    try:
        set_fixed_paper(current_user, exam, items)
    except DomainError as exc:
        fail()
        positions = {position: index for position, (index, _item) in enumerate(kept, start=1)}
        return _place_problems(_problems_of(exc), positions)
    return {}, []


# --- preview -----------------------------------------------------------------------


def _answer_key(version, order):
    """The key as the examinee's letters (options may be shuffled)."""
    if version.qtype in QType.CHOICE:
        return "".join(LETTERS[shown] for shown, original in enumerate(order) if LETTERS[original] in version.answer)
    if version.qtype == QType.JUDGE:
        return "正确" if version.answer == "T" else "错误"
    return "；".join(f"第 {i} 空：{' / '.join(alternatives)}" for i, alternatives in enumerate(version.answer, start=1))


def _paper_sections(drawn):
    """[(qtype, [question dicts], points)] in paper order, numbered across sections as the examinee sees them."""
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(QuestionVersion.id.in_([q.version_id for q in drawn]))
        )
    }
    sections = []
    for number, q in enumerate(drawn, start=1):
        version = versions[q.version_id]
        order = list(q.option_order) if q.option_order is not None else list(range(len(version.options)))
        question = {
            "number": number,
            "qtype": version.qtype,
            "points": _points_text(q.points),
            "stem": version.stem,
            "options": [(LETTERS[original], version.options[original]) for original in order],
            "key": _answer_key(version, order),
            "version": version,
        }
        if not sections or sections[-1][0] != version.qtype:
            sections.append((version.qtype, [], []))
        sections[-1][1].append(question)
        sections[-1][2].append(q.points)
    return [(qtype, questions, _points_text(sum(points))) for qtype, questions, points in sections]


@bp.get("/<int:exam_id>/preview")
@requires("exams.manage")
def preview(exam_id):
    """A sample paper drawn as an examinee would get it; nothing is saved."""
    exam = get_exam(exam_id, "exams.manage")
    seed = request.args.get("seed", type=db_int)
    if seed is None or not 0 <= seed < 2**31:
        seed = secrets.randbelow(2**31)
    problems = paper_problems(exam)
    sections = []
    if not problems:
        try:
            sections = _paper_sections(draw_paper(exam, seed))
        except DomainError as exc:
            problems = [exc.message]
    return render_template("exams/preview.html", exam=exam, seed=seed, problems=problems, sections=sections)
