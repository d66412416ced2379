"""选项顺序固定: a choice question whose options are numbers or end in "以上都…" keeps its written
order even when the exam shuffles options — in the form, the import, the lint, the draw and the grading."""

import json
import re
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from examapp import create_app
from examapp.bank.content import QType, needs_fixed_order
from examapp.bank.importing import COLUMNS, Existing, check_rows, export_rows
from examapp.bank.lint import Entry, lint
from examapp.bank.models import Question, QuestionVersion, Status
from examapp.exams.models import ReleaseMode
from examapp.exams.paper import draw_paper
from examapp.exams.services import add_to_roster, create_exam, publish_exam, set_blueprint, set_fixed_paper
from examapp.extensions import db
from examapp.sitting.models import AttemptItem
from examapp.spreadsheets import read_table, write_table

from . import bank_factories as bank
from . import exam_factories as factories
from .conftest import app_config, csrf_token, login, post
from .test_bank_import import problems_on, upload

NUMBERS = ["90", "98", "120", "128"]
WORDS = ["劳动保障行政部门", "工会", "人民法院", "仲裁委员会"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (NUMBERS, True),
        (["三十日", "十五日", "六十日", "三个月"], True),
        (["5%", "8%", "10%", "15%"], True),
        (["１０个工作日", "15个工作日"], True),  # full width folds
        (["百分之六十", "百分之七十"], True),
        (["2000元以上2万元以下", "1000元以上5000元以下"], True),
        (["2010年10月28日", "2011年7月1日"], True),
        (["基本养老保险", "失业保险", "以上都是"], True),
        (["甲", "乙", "以上均不正确"], True),
        (["甲", "乙", "以上皆非"], True),
        (["甲", "乙", "以上选项都对"], True),
        (WORDS, False),
        (["一次性", "一般"], False),
        (["3个月工资", "6个月工资"], False),
        (["以上都是", "甲", "乙"], False),  # only the last option speaks of the others
    ],
)
def test_which_options_need_a_fixed_order(options, expected):
    assert needs_fixed_order(QType.SINGLE, options) is expected
    assert needs_fixed_order(QType.JUDGE, options) is False


# --- the migration ------------------------------------------------------------------------


@pytest.mark.committed  # its own database, through the real session
def test_the_migration_adds_the_column_and_marks_existing_number_options(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'keep_order.sqlite3'}"))
    with app.app_context():
        upgrade()
        category = bank.category()
        numbers = bank.question(category, options=NUMBERS)
        words = bank.question(category, options=WORDS)
        judge = bank.question(category, qtype=QType.JUDGE, options=[], answer="T")
        db.session.commit()
        ids = [numbers.current_version_id, words.current_version_id, judge.current_version_id]
        assert not any(db.session.get(QuestionVersion, i).keep_option_order for i in ids)
        downgrade(revision="0012_admission_tickets")
        db.session.remove()
        upgrade()
        kept = dict(db.session.execute(text("SELECT id, keep_option_order FROM question_versions")).all())
        db.session.remove()
        db.engine.dispose()
    assert [bool(kept[i]) for i in ids] == [True, False, False]


# --- the form -----------------------------------------------------------------------------


@pytest.fixture
def admin(client, world):
    assert login(client, "admin").status_code == 302
    return client


def form_fields(**overrides):
    values = {
        "qtype": "single",
        "difficulty": "easy",
        "stem": "标准工时制度下，劳动者每周工作时间不超过（  ）小时。",
        "option_A": "36",
        "option_B": "40",
        "option_C": "44",
        "option_D": "48",
        "correct": "B",
        "explanation": "",
        "source": "《国务院关于职工工作时间的规定》第三条",
        "action": "save",
        "keep_option_order": "y",
    }
    values.update(overrides)
    return values


def test_the_form_saves_the_checkbox_and_a_change_makes_a_new_version(app, admin):
    with app.app_context():
        category_id = bank.category().id
        db.session.commit()
    form = admin.get("/bank/new").get_data(as_text=True)
    assert "选项顺序固定（考试打乱选项时此题不打乱，适用于数字选项或“以上都…”选项）" in form
    response = post(admin, "/bank/new", form_fields(category_id=category_id), page="/bank/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    question_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Question, question_id).current_version.keep_option_order is True
    detail = admin.get(f"/bank/{question_id}").get_data(as_text=True)
    assert "固定（考试打乱选项时此题不打乱）" in detail
    edit_page = admin.get(f"/bank/{question_id}/edit").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*name="keep_option_order"|<input[^>]*name="keep_option_order"[^>]*checked', edit_page
    )

    fields = form_fields(category_id=category_id, base_version="1", note="选项按大小排列即可打乱")
    del fields["keep_option_order"]  # an unticked box is not sent
    response = post(admin, f"/bank/{question_id}/edit", fields, page=f"/bank/{question_id}/edit")
    assert response.status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert [v.keep_option_order for v in question.versions] == [True, False]
    history = admin.get(f"/bank/{question_id}/history").get_data(as_text=True)
    changes = history.split('data-testid="version-2"', 1)[1].split("</table>", 1)[0]
    assert "选项顺序" in changes and "固定" in changes and "随考试设置" in changes
    assert "随考试设置" in admin.get(f"/bank/{question_id}").get_data(as_text=True)


def test_a_judge_question_ignores_the_checkbox(app, admin):
    with app.app_context():
        category_id = bank.category().id
        db.session.commit()
    fields = form_fields(
        category_id=category_id, qtype="judge", judge="T", correct="", stem="每周工作时间不超过40小时。"
    )
    for letter in "ABCD":
        fields[f"option_{letter}"] = ""
    response = post(admin, "/bank/new", fields, page="/bank/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        version = db.session.scalars(select(QuestionVersion).order_by(QuestionVersion.id.desc())).first()
        assert version.qtype == QType.JUDGE and version.keep_option_order is False


# --- import and export --------------------------------------------------------------------


def _kept(plan):
    return [item.data.keep_option_order for item in plan.items]


@pytest.mark.parametrize(
    ("cell", "options", "expected"),
    [
        ("固定", WORDS, True),
        ("是", WORDS, True),
        ("", WORDS, False),
        ("否", NUMBERS, False),
        ("随机", NUMBERS, False),
        ("", NUMBERS, True),  # blank: the options decide
        (" 固定 ", WORDS, True),
    ],
)
def test_the_option_order_column(ctx, cell, options, expected):
    row = bank.row(
        **{"选项顺序": cell.strip(), **dict(zip(["选项A", "选项B", "选项C", "选项D"], options, strict=True))}
    )
    plan, problems = check_rows(None, bank.table_rows([row]))
    assert problems == [] and _kept(plan) == [expected]


def test_an_old_file_without_the_column_still_imports_and_numbers_are_kept(app, admin):
    old_columns = [c for c in COLUMNS if c != "选项顺序"]
    words = bank.row(**dict(zip(["选项A", "选项B", "选项C", "选项D"], WORDS, strict=True)))
    others = bank.row(**{"选项A": "甲", "选项B": "乙", "选项C": "丙", "选项D": "以上都是"})
    rows = [bank.row(), words, others, *bank.good_rows()[2:]]  # bank.row() has options 1/2/3/5
    response = upload(admin, bank.csv_bytes(rows, old_columns), "old.csv")
    assert response.status_code == 302, response.get_data(as_text=True)
    preview = admin.get(response.headers["Location"])
    assert "选项顺序" in preview.get_data(as_text=True)
    assert post(admin, response.headers["Location"], {}, page=response.headers["Location"]).status_code == 302
    with app.app_context():
        kept = db.session.scalars(select(QuestionVersion.keep_option_order).order_by(QuestionVersion.id)).all()
    assert kept == [True, False, True, False, False]


def test_a_bad_value_is_a_row_error_and_nothing_is_stored(app, admin):
    rows = [bank.row(**{"选项顺序": "固定"}), bank.row(**{"选项顺序": "不打乱"})]
    response = upload(admin, bank.csv_bytes(rows), "bad.csv")
    assert response.status_code == 422
    assert problems_on(response) == [(3, "选项顺序", "选项顺序“不打乱”无效，应为 固定 或留空（也可写 是、否、随机）")]
    with app.app_context():
        assert db.session.scalar(select(Question.id)) is None


def test_judge_and_blank_rows_are_never_kept(ctx):
    rows = [dict(r, **{"选项顺序": "固定"}) for r in bank.good_rows()[2:]]
    plan, problems = check_rows(None, bank.table_rows(rows))
    assert problems == [] and _kept(plan) == [False, False]


def test_the_upload_page_explains_the_column(admin):
    page = admin.get("/bank/import").get_data(as_text=True)
    assert "<code>选项顺序</code>（选填）" in page and "自动设为固定" in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_the_column_and_reimports_the_same(ctx, fmt):
    category = bank.category()
    bank.question(category, options=NUMBERS, keep_option_order=True)
    bank.question(category, options=["1", "2", "3", "4"])  # numbers, deliberately shuffled
    bank.question(category, options=WORDS)
    exported = export_rows(select(Question))
    assert [row["选项顺序"] for row in exported] == ["固定", "否", ""]
    data = write_table(list(COLUMNS), exported, fmt)
    rows = read_table(f"bank.{fmt}", data, COLUMNS, max_bytes=10**7, max_rows=100)
    plan, problems = check_rows(None, rows, existing=Existing.SKIP_IDENTICAL)
    assert problems == [] and len(plan.skipped) == 3  # the same questions, flag included
    assert _kept(plan) == [True, False, False]


def test_load_reports_a_question_whose_only_difference_is_the_option_order(ctx):
    bank.question(bank.category("劳动保障监察"), status=Status.PUBLISHED, options=NUMBERS, stem="同一题干（  ）。")
    row = bank.row(**{"题干": "同一题干（  ）。", "选项A": "90", "选项B": "98", "选项C": "120", "选项D": "128"})
    row["答案"], row["解析"], row["依据"], row["分类"] = (
        "A",
        "社会保险法第五十八条。",
        "《中华人民共和国社会保险法》第五十八条",
        "劳动保障监察",
    )
    _plan, problems = check_rows(None, bank.table_rows([row]), existing=Existing.SKIP_IDENTICAL)
    assert [p.message for p in problems] and "选项顺序" in problems[0].message


# --- the lint -----------------------------------------------------------------------------


def test_the_lint_suggests_a_fixed_order(ctx, runner, tmp_path):
    rows = [
        bank.row(**{"选项顺序": "否"}),  # numbers, deliberately shuffled: worth a look
        bank.row(**{"选项顺序": "固定", "题干": "劳动保障监察员进行调查时应当出示什么证件？（  ）份。"}),
        bank.row(**{"题干": "用人单位每月至少支付几次工资？（  ）次。"}),  # blank: fixed by the import
    ]
    path = tmp_path / "numbers.csv"
    path.write_bytes(bank.csv_bytes(rows))
    result = runner.invoke(args=["bank", "lint", str(path)])
    assert result.exit_code == 0, result.output  # a note, not an error
    assert "提示：numbers.csv：第 2 行“选项顺序”列：选项为数字或含“以上都…”，建议设为选项顺序固定" in result.output
    assert "第 3 行“选项顺序”" not in result.output and "第 4 行“选项顺序”" not in result.output


def test_the_published_bank_lint_names_the_question(ctx):
    category = bank.category()
    shuffled = bank.question(category, status=Status.PUBLISHED, options=NUMBERS)
    bank.question(category, status=Status.PUBLISHED, options=["甲", "乙", "以上都是"], keep_option_order=True)
    report = lint(Entry(data=q.current_version, question_id=q.id) for q in db.session.scalars(select(Question)))
    assert [(f.rule, f.question_id) for f in report.findings if f.rule == "option_order"] == [
        ("option_order", shuffled.id)
    ]


# --- the draw and the grading -------------------------------------------------------------


#: one kept 单选 (its own category) + the small bank: 10 + 3x10 + 2x15 + 3x10 = 100 points
def _blueprint(kept_category, category):
    return [
        {"qtype": QType.SINGLE, "count": 1, "points": "10", "category_id": kept_category.id},
        {"qtype": QType.SINGLE, "count": 3, "points": "10", "category_id": category.id},
        {"qtype": QType.MULTIPLE, "count": 2, "points": "15", "category_id": category.id},
        {"qtype": QType.JUDGE, "count": 3, "points": "10", "category_id": category.id},
    ]


def _kept_question():
    return bank.question(
        bank.category("工时"),
        status=Status.PUBLISHED,
        stem="标准工时制度下，劳动者每周工作时间不超过（  ）小时。",
        options=["36", "40", "44", "48"],
        answer="B",
        keep_option_order=True,
    )


def test_draw_keeps_the_flagged_question_and_shuffles_the_others(ctx):
    kept = _kept_question()
    category = factories.small_bank()
    exam = create_exam(None, factories.settings(shuffle_options=True))
    set_blueprint(None, exam, _blueprint(kept.category, category))
    shuffled = set()
    for seed in range(8):
        paper = draw_paper(exam, seed)
        orders = {q.version_id: q.option_order for q in paper}
        assert orders[kept.current_version_id] is None
        shuffled |= {order for vid, order in orders.items() if vid != kept.current_version_id and order is not None}
    assert any(order != tuple(range(len(order))) for order in shuffled)

    fixed = create_exam(None, factories.settings(shuffle_options=True))
    other = db.session.scalars(
        select(Question).where(Question.category_id == category.id, Question.qtype == QType.SINGLE)
    ).first()
    set_fixed_paper(None, fixed, [(kept.current_version_id, "50"), (other.current_version_id, "50")])
    for seed in range(8):
        orders = {q.version_id: q.option_order for q in draw_paper(fixed, seed)}
        assert orders[kept.current_version_id] is None and orders[other.current_version_id] is not None


def test_a_kept_question_in_a_shuffling_exam_is_shown_in_order_and_graded_right(app, world, clock):
    with app.app_context():
        kept = _kept_question()
        category = factories.small_bank()
        exam = create_exam(None, factories.settings(shuffle_options=True, release_mode=ReleaseMode.AFTER_CLOSE))
        set_blueprint(None, exam, _blueprint(kept.category, category))
        add_to_roster(None, exam, units=[db.session.merge(world.city)])
        publish_exam(None, exam)
        db.session.commit()
        exam_id, kept_version = exam.id, kept.current_version_id
    client = app.test_client()
    login(client, "kaosheng")
    response = client.post(
        f"/exam/{exam_id}", data={"csrf_token": csrf_token(client, f"/exam/{exam_id}"), "pledge": "y"}
    )
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
        item = next(i for i in items if i.question_version_id == kept_version)
        assert item.option_order is None
        assert any(i.option_order is not None for i in items if i.question_version_id != kept_version)
        position = item.position
    page = client.get(f"/attempt/{attempt_id}").get_data(as_text=True)
    sections = re.split(r'<strong class="text-body">第 (\d+) 题</strong>', page)
    section = dict(zip(sections[1::2], sections[2::2], strict=True))[str(position)]
    shown = re.findall(
        r'value="(\w)"[^>]*><label class="form-check-label" for="[^"]+">([A-F])\. ([^<]*)</label>', section
    )
    assert shown == [("A", "A", "36"), ("B", "B", "40"), ("C", "C", "44"), ("D", "D", "48")]

    token = re.search(r'data-token="([^"]+)"', page).group(1)
    headers = {
        "Content-Type": "application/json",
        "X-CSRFToken": re.search(r'data-csrf="([^"]+)"', page).group(1),
        "Accept": "application/json",
    }
    save = {"token": token, "saves": [{"seq": 1, "position": position, "response": "B"}]}
    assert client.post(f"/attempt/{attempt_id}/save", data=json.dumps(save), headers=headers).status_code == 200
    assert (
        client.post(f"/attempt/{attempt_id}/submit", data=json.dumps({"token": token}), headers=headers).status_code
        == 200
    )
    with app.app_context():
        item = db.session.scalars(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == position)
        ).one()
        assert item.awarded == Decimal("10")
