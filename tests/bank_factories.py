"""Question-bank test data, built through the real services, and spreadsheet bytes to upload."""

import csv
import io
from itertools import count

from openpyxl import Workbook

from examapp.bank.content import Difficulty, QType, QuestionData
from examapp.bank.importing import COLUMNS
from examapp.bank.models import Status
from examapp.bank.services import create_category, create_question, get_category_by_name
from examapp.extensions import db

_seq = count(1)


def category(name="社会保险", parent=None):
    return get_category_by_name(name) or create_category(None, name, parent)


def question_data(category_id, **overrides):
    n = next(_seq)
    values = {
        "qtype": QType.SINGLE,
        "stem": f"测试单选题第 {n} 号：用人单位应当自用工之日起（  ）内为职工办理社会保险登记。",
        "options": ["三十日", "十五日", "六十日", "三个月"],
        "answer": "A",
        "explanation": "社会保险法第五十八条。",
        "source": "《中华人民共和国社会保险法》第五十八条",
        "difficulty": Difficulty.EASY,
        "category_id": category_id,
    }
    values.update(overrides)
    return QuestionData(**values)


def question(category_obj=None, status=Status.DRAFT, actor=None, **overrides):
    category_obj = category_obj or category()
    return create_question(actor, question_data(category_obj.id, **overrides), status=status)


class BankFactory:
    """Builds committed bank rows in a short app context of its own (like ``tests.factories.Factory``)."""

    def __init__(self, app):
        self.app = app

    def question(self, category_name="社会保险", status=Status.DRAFT, **overrides):
        with self.app.app_context():
            q = question(category(category_name), status=status, **overrides)
            db.session.commit()
            return q

    def category(self, name, parent=None):
        with self.app.app_context():
            c = category(name, db.session.merge(parent, load=False) if parent is not None else None)
            db.session.commit()
            return c


def row(**overrides):
    """A valid 单选 row of the import format; override any column."""
    n = next(_seq)
    values = dict.fromkeys(COLUMNS, "")
    values.update(
        {
            "题型": "单选",
            "题干": f"导入测试题第 {n} 号：劳动保障监察员进行调查、检查，不得少于（  ）人。",
            "选项A": "1",
            "选项B": "2",
            "选项C": "3",
            "选项D": "5",
            "答案": "B",
            "分类": "劳动保障监察",
            "难度": "易",
            "解析": "不得少于2人。",
            "依据": "《劳动保障监察条例》第十六条",
        }
    )
    values.update(overrides)
    return values


def good_rows():
    """One row of each type."""
    return [
        row(),
        row(
            **{
                "题型": "多选",
                "题干": f"多选题第 {next(_seq)} 号：下列由用人单位和职工共同缴费的是（  ）。",
                "选项A": "养老保险",
                "选项B": "医疗保险",
                "选项C": "失业保险",
                "选项D": "工伤保险",
                "答案": "CAB",
                "分类": "社会保险",
                "难度": "中",
            }
        ),
        row(
            **{
                "题型": "判断",
                "题干": f"判断题第 {next(_seq)} 号：街道劳动保障事务所应有不少于60平方米的办事大厅。",
                "选项A": "",
                "选项B": "",
                "选项C": "",
                "选项D": "",
                "答案": "√",
                "分类": "示范社区标准",
                "难度": "难",
            }
        ),
        row(
            **{
                "题型": "填空",
                "题干": f"填空题第 {next(_seq)} 号：每日不超过____小时，每周不超过____小时。",
                "选项A": "",
                "选项B": "",
                "选项C": "",
                "选项D": "",
                "答案": "4;四|24;二十四",
                "分类": "劳动关系与劳动合同",
                "难度": "中",
            }
        ),
    ]


def csv_bytes(rows, columns=None):
    columns = columns or list(COLUMNS)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows, columns=None):
    columns = columns or list(COLUMNS)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for r in rows:
        sheet.append([r.get(c, "") for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_rows(rows):
    """Rows as ``read_table`` returns them (with ``_row``), for calling check_rows directly."""
    return [{**r, "_row": i + 2} for i, r in enumerate(rows)]


def matrix_url_params(endpoint, user):
    """Arguments for a bank endpoint in the permission matrix (tests/test_permissions.py)."""
    from flask import current_app

    from examapp.imports.services import stage_rows

    arguments = next(current_app.url_map.iter_rules(endpoint)).arguments
    params = {}
    if "question_id" in arguments:
        params["question_id"] = question().id
    if "category_id" in arguments:
        params["category_id"] = category("权限矩阵测试分类").id
    if "token" in arguments:
        params["token"] = stage_rows(db.session.merge(user), "questions", "t.csv", []).token if user else "missing"
    if "fmt" in arguments:
        params["fmt"] = "xlsx"
    return params
