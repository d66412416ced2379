"""Question import: every problem by row and column, all or nothing; safe files only; export round trip."""

import html
import io
import re
import zipfile

import pytest
from sqlalchemy import delete, func, select, update

from examapp.audit.models import AuditEntry
from examapp.bank.content import QType
from examapp.bank.importing import COLUMNS, Existing, apply_plan, check_rows, export_rows
from examapp.bank.models import Question, QuestionCategory, QuestionVersion, Status
from examapp.bank.services import category_tree
from examapp.extensions import db
from examapp.imports.models import ImportBatch
from examapp.spreadsheets import read_table, write_table

from . import bank_factories as bank
from .conftest import login, post

PROBLEM_ROW = re.compile(r"<tr><td>(?:第 (\d+) 行|整个文件)</td><td>([^<]*)</td><td>([^<]*)</td></tr>")


def problems_on(response):
    page = response.get_data(as_text=True)
    assert 'data-testid="problems"' in page, page
    table = page.split('data-testid="problems"', 1)[1].split("</table>", 1)[0]
    return [(int(r) if r else None, html.unescape(c), html.unescape(m)) for r, c, m in PROBLEM_ROW.findall(table)]


def count_questions(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question))


def upload(client, data, filename):
    return post(
        client,
        "/bank/import",
        {"file": (io.BytesIO(data), filename)},
        page="/bank/import",
        content_type="multipart/form-data",
    )


@pytest.fixture
def admin_client(client, world):
    assert login(client, "admin").status_code == 302
    return client


# --- checking rows ----------------------------------------------------------------


def test_a_good_file_plans_one_question_per_row(ctx):
    bank.category("社会保险")
    plan, problems = check_rows(None, bank.table_rows(bank.good_rows()))
    assert problems == []
    assert [item.data.qtype for item in plan.items] == list(QType.ALL)
    assert plan.items[1].data.answer == "ABC"  # 多选 answers in any order
    assert plan.items[2].data.answer == "T"  # √
    assert plan.items[3].data.answer == [["4", "四"], ["24", "二十四"]]
    assert plan.new_categories == ["劳动保障监察", "示范社区标准", "劳动关系与劳动合同"]  # 社会保险 exists


BAD_ROWS = [
    ({"题型": "问答"}, "题型", "题型“问答”无效"),
    ({"答案": "E"}, "答案", "超出了选项范围（本题只有 A–D）"),
    ({"题型": "多选", "答案": "B"}, "答案", "多选题的答案至少要有两个选项"),
    (
        {
            "题型": "填空",
            "题干": "每日不超过____小时，每周不超过____小时。",
            "选项A": "",
            "选项B": "",
            "选项C": "",
            "选项D": "",
            "答案": "4",
        },
        "答案",
        "题干有 2 个空，答案却有 1 个",
    ),
    ({"题型": "填空", "选项A": "", "选项B": "", "选项C": "", "选项D": "", "答案": "4"}, "题干", "题干中没有空"),
    ({"依据": ""}, "依据", "依据（政策文件及条款）不能为空"),
    ({"难度": "很难"}, "难度", "难度“很难”无效"),
    ({"分类": ""}, "分类", "分类不能为空"),
    ({"选项C": ""}, "选项D", "选项C是空的"),
    ({"选项B": "1"}, "选项B", "与选项A相同"),
    (
        {"题型": "判断", "答案": "是", "选项A": "", "选项B": "", "选项C": "", "选项D": ""},
        "答案",
        "判断题答案“是”无法识别",
    ),
    ({"题型": "判断", "答案": "对"}, "选项A", "判断题不需要填写选项"),
    ({"题干": ""}, "题干", "题干不能为空"),
]


@pytest.mark.parametrize(("overrides", "column", "message"), BAD_ROWS)
def test_each_problem_is_named_by_row_and_column(ctx, overrides, column, message):
    rows = [bank.row(), bank.row(**overrides)]
    _plan, problems = check_rows(None, bank.table_rows(rows))
    assert [(p.row, p.column) for p in problems] == [(3, column)], [p.as_text() for p in problems]
    assert message in problems[0].message


def test_duplicates_in_the_file_and_in_the_bank(ctx):
    existing = bank.question(
        bank.category("劳动保障监察"),
        stem="已有的题目：劳动保障监察员不得少于（  ）人。",
        options=["1", "2", "3", "5"],
        answer="B",
    )
    twin = bank.row(**{"题干": "同一文件里的题目"})
    rows = [
        bank.row(**{"题干": "已有的题目：劳动保障监察员不得少于（ ）人。"}),  # same stem (spacing aside) and options
        twin,
        dict(twin, **{"选项A": "5", "选项D": "1"}),  # same options, another order: still the same question
        dict(
            twin, **{"选项A": "甲", "选项B": "乙", "选项C": "丙", "选项D": "丁"}
        ),  # other options: still a duplicate stem
    ]
    plan, problems = check_rows(None, bank.table_rows(rows))
    assert [(p.row, p.column) for p in problems] == [(2, "题干"), (4, "题干"), (5, "题干")]
    assert f"与已有的试题 {existing.id}（草稿）的题干重复" in problems[0].message
    assert "与第 3 行的题干重复" in problems[1].message and "与第 3 行的题干重复" in problems[2].message


def test_load_mode_skips_identical_rows_and_refuses_differing_ones(ctx):
    rows = bank.table_rows([bank.row(), bank.row()])
    plan, _ = check_rows(None, rows)
    apply_plan(None, plan, "first.csv", status=Status.PUBLISHED)
    plan, problems = check_rows(None, rows, existing=Existing.SKIP_IDENTICAL)
    assert problems == [] and len(plan.skipped) == 2 and plan.to_create == []
    changed = [dict(rows[0], **{"解析": "改过的解析"}), rows[1]]
    _plan, problems = check_rows(None, changed, existing=Existing.SKIP_IDENTICAL)
    assert [(p.row, p.column) for p in problems] == [(2, "题干")]
    assert "但解析不同" in problems[0].message


def test_apply_creates_questions_categories_and_one_audit_entry(ctx, world):
    plan, _ = check_rows(None, bank.table_rows(bank.good_rows()))
    result = apply_plan(world.accounts["exam_admin"], plan, "bank.csv")
    assert len(result.created) == 4 and {q.status for q in result.created} == {Status.DRAFT}
    assert set(result.new_categories) == {"劳动保障监察", "社会保险", "示范社区标准", "劳动关系与劳动合同"}
    assert db.session.scalar(select(QuestionCategory.parent_id).where(QuestionCategory.name == "社会保险")) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.import"))
    assert entry.object_label == "bank.csv" and entry.after["created"] == 4
    # new categories keep the order the file names them in
    assert [c.name for c, _depth in category_tree()] == [
        "劳动保障监察",
        "社会保险",
        "示范社区标准",
        "劳动关系与劳动合同",
    ]


def test_imported_text_is_trimmed_like_the_form_does(ctx):
    rows = [bank.row(**{"题干": "第一行\r\n第二行（  ）", "选项A": " 1 ", "解析": "解析\r\n"})]
    plan, problems = check_rows(None, bank.table_rows(rows))
    assert problems == []
    data = plan.items[0].data
    assert (data.stem, data.options[0], data.explanation) == ("第一行\n第二行（  ）", "1", "解析")


# --- the pages ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_upload_preview_confirm(app, admin_client, fmt):
    data = bank.csv_bytes(bank.good_rows()) if fmt == "csv" else bank.xlsx_bytes(bank.good_rows())
    response = upload(admin_client, data, f"questions.{fmt}")
    assert response.status_code == 302, response.get_data(as_text=True)
    preview_url = response.headers["Location"]
    assert count_questions(app) == 0
    page = admin_client.get(preview_url).get_data(as_text=True)
    assert "将新建 <strong>4</strong> 道试题" in page and "单选 1，多选 1，判断 1，填空 1" in page
    assert 'data-testid="new-categories"' in page and "劳动关系与劳动合同" in page
    confirmed = post(admin_client, preview_url, {"publish": "y"}, page=preview_url)
    assert confirmed.status_code == 302
    with app.app_context():
        statuses = db.session.scalars(select(Question.status)).all()
        assert statuses == [Status.PUBLISHED] * 4
    again = post(admin_client, preview_url, {"publish": "y"}, page=preview_url)
    assert again.status_code == 200 and count_questions(app) == 4  # a batch applies once


def test_a_bad_file_lists_every_problem_and_imports_nothing(app, admin_client):
    rows = [bank.row(), bank.row(**{"答案": "F"}), bank.row(), bank.row(**{"难度": "", "依据": ""})]
    response = upload(admin_client, bank.csv_bytes(rows), "bad.csv")
    assert response.status_code == 422
    assert problems_on(response) == [
        (3, "答案", "答案中的 F 超出了选项范围（本题只有 A–D）"),
        (5, "难度", "难度不能为空"),
        (5, "依据", "依据（政策文件及条款）不能为空"),
    ]
    assert count_questions(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_the_bank_changing_between_upload_and_confirm_is_caught(app, admin_client):
    rows = [bank.row()]
    preview_url = upload(admin_client, bank.csv_bytes(rows), "q.csv").headers["Location"]
    with app.app_context():
        plan, _ = check_rows(None, bank.table_rows(rows))
        apply_plan(None, plan, "meanwhile.csv")
        db.session.commit()
    response = post(admin_client, preview_url, {}, page="/bank/import")
    assert response.status_code == 422
    assert "重复" in response.get_data(as_text=True)
    assert count_questions(app) == 1


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("q.xlsm", b"PK\x03\x04macro", "不接受含宏的 Excel 文件"),
        ("q.xlsx", _zip({"xl/workbook.xml": "<workbook/>", "xl/vbaProject.bin": "x"}), "不接受含宏的 Excel 文件"),
        ("q.xlsx", "题型,题干\n单选,x\n".encode(), "内容不是 Excel 工作簿"),
        ("q.csv", b"PK\x03\x04" + b"\x00" * 100, "内容不是文本表格"),
        ("q.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "不支持旧版 Excel"),
        ("q.xlsx", _zip({"xl/workbook.xml": "<workbook/>", "xl/bomb.xml": "0" * (20 * 1024 * 1024)}), "压缩炸弹"),
        (
            "q.xlsx",
            _zip({"xl/workbook.xml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><workbook/>'}),
            "不允许的 XML 声明",
        ),
        ("q.txt", b"hello", "只接受 .xlsx 或 .csv 文件"),
    ],
)
def test_unsafe_files_are_refused_before_parsing(app, admin_client, filename, data, message):
    response = upload(admin_client, data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_questions(app) == 0


def test_size_and_row_caps(app, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_ROWS", 3)
    response = upload(admin_client, bank.csv_bytes([bank.row() for _ in range(4)]), "many.csv")
    assert response.status_code == 422 and "一次最多导入 3 行" in response.get_data(as_text=True)
    # a small cap keeps the body in memory (the test client spools large bodies to a file it never closes)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 4096)
    response = upload(admin_client, bank.csv_bytes([bank.row() for _ in range(40)]), "big.csv")
    assert response.status_code == 422 and "文件过大" in response.get_data(as_text=True)
    assert count_questions(app) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_downloadable_template_imports_cleanly(app, admin_client, fmt):
    response = admin_client.get(f"/bank/import/template.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = read_table(f"t.{fmt}", response.data, COLUMNS, max_bytes=10**6, max_rows=100)
    assert list(rows[0])[:-1] == list(COLUMNS)
    with app.app_context():
        plan, problems = check_rows(None, rows)
        assert problems == [] and len(plan.to_create) == 4


# --- export and the round trip ----------------------------------------------------------


AWKWARD = [
    {
        "qtype": "single",
        "stem": "=1+1 的结果是（  ）",
        "options": ["-2", "+2", "@2", "2"],
        "answer": "D",
        "explanation": '=HYPERLINK("http://example.invalid")',
        "source": "-",
    },
    {
        "qtype": "multiple",
        "stem": '含逗号, "引号" 与\n换行的题干',
        "options": list("甲乙丙丁戊己"),
        "answer": "ACF",
        "explanation": "",
        "difficulty": "hard",
    },
    {"qtype": "judge", "stem": "<script>alert(1)</script> 是纯文本", "options": [], "answer": "F"},
    {"qtype": "blank", "stem": "第一空____，第二空____。", "options": [], "answer": [["4", "四", "ＩＶ"], ["'=x"]]},
]


def snapshot():
    """Every field of every question, keyed by stem, as the format carries them."""
    result = {}
    for q in db.session.scalars(select(Question)):
        v = q.current_version
        result[v.stem] = (v.qtype, list(v.options), v.answer, v.explanation, v.source, v.difficulty, v.category.name)
    return result


def empty_the_bank():
    db.session.execute(update(Question).values(current_version_id=None))
    db.session.execute(delete(QuestionVersion))
    db.session.execute(delete(Question))
    db.session.execute(update(QuestionCategory).values(parent_id=None))
    db.session.execute(delete(QuestionCategory))
    db.session.expunge_all()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_bank_reproduces_it(ctx, fmt):
    parent = bank.category("社会保险")
    child = bank.category("工伤保险", parent)
    for i, values in enumerate(AWKWARD):
        bank.question(child if i % 2 else parent, status=Status.PUBLISHED, **values)
    for _ in range(3):
        bank.question(bank.category("劳动保障监察"))
    before = snapshot()
    exported = write_table(list(COLUMNS), export_rows(select(Question)), fmt)

    empty_the_bank()
    assert snapshot() == {}
    rows = read_table(f"bank.{fmt}", exported, COLUMNS, max_bytes=10**7, max_rows=1000)
    plan, problems = check_rows(None, rows)
    assert problems == []
    apply_plan(None, plan, f"bank.{fmt}")
    db.session.flush()

    assert snapshot() == before
    again = write_table(list(COLUMNS), export_rows(select(Question)), fmt)
    if fmt == "csv":
        assert again == exported  # byte for byte (an xlsx also carries its creation time)
    assert read_table("a.xlsx" if fmt == "xlsx" else "a.csv", again, COLUMNS, max_bytes=10**7, max_rows=1000) == rows


def test_export_neutralises_formula_cells(app, admin_client):
    with app.app_context():
        bank.question(stem="=cmd|' /C calc'!A0", options=["@SUM(1)", "+1", "-1", "普通"], answer="D")
        db.session.commit()
    data = admin_client.get("/bank/export.csv").data.decode("utf-8-sig")
    assert "'=cmd|" in data and "'@SUM(1)" in data and "'+1" in data and "'-1" in data
    assert "\n=cmd" not in data and ",=cmd" not in data


def test_export_follows_the_list_filters(app, admin_client):
    with app.app_context():
        bank.question(stem="已发布的社保题（  ）", status=Status.PUBLISHED)
        bank.question(stem="草稿状态的社保题（  ）")
        db.session.commit()
    rows = read_table(
        "x.csv", admin_client.get("/bank/export.csv?status=published").data, COLUMNS, max_bytes=10**6, max_rows=100
    )
    assert [r["题干"] for r in rows] == ["已发布的社保题（  ）"]
    assert admin_client.get("/bank/export.pdf").status_code == 404
