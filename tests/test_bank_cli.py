"""``flask bank import|export|load``."""

import pytest
from sqlalchemy import select

from examapp.bank.importing import COLUMNS
from examapp.bank.models import Question, Status
from examapp.extensions import db
from examapp.spreadsheets import read_table

from . import bank_factories as bank


def statuses(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Question.status)))


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.xlsx"
    path.write_bytes(bank.xlsx_bytes(bank.good_rows()))
    return path


def test_import_creates_drafts_or_published(app, runner, good_file, tmp_path):
    result = runner.invoke(args=["bank", "import", str(good_file)])
    assert result.exit_code == 0, result.output
    assert "已导入 4 道试题（单选 1，多选 1，判断 1，填空 1）" in result.output
    assert statuses(app) == [Status.DRAFT] * 4
    other = tmp_path / "other.csv"
    other.write_bytes(bank.csv_bytes([bank.row()]))
    assert runner.invoke(args=["bank", "import", str(other), "--publish"]).exit_code == 0
    assert statuses(app).count(Status.PUBLISHED) == 1


def test_dry_run_writes_nothing(app, runner, good_file):
    result = runner.invoke(args=["bank", "import", str(good_file), "--dry-run"])
    assert result.exit_code == 0 and "检查通过，未写入" in result.output
    assert statuses(app) == []


def test_a_bad_file_lists_its_problems_and_exits_non_zero(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(bank.csv_bytes([bank.row(), bank.row(**{"题型": "问答"}), bank.row(**{"依据": ""})]))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 1
    assert "bad.csv：第 3 行，“题型”列：题型“问答”无效" in result.stderr
    assert "bad.csv：第 4 行，“依据”列：依据（政策文件及条款）不能为空" in result.stderr
    assert "共 2 处问题，没有导入任何试题。" in result.stderr
    assert statuses(app) == []
    assert runner.invoke(args=["bank", "import", str(path), "--dry-run"]).exit_code == 1


def test_an_unsafe_file_is_refused(runner, tmp_path):
    path = tmp_path / "bank.xlsm"
    path.write_bytes(b"PK\x03\x04")
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 1 and "不接受含宏的 Excel 文件" in result.stderr


def test_import_refuses_questions_already_in_the_bank(runner, good_file):
    assert runner.invoke(args=["bank", "import", str(good_file)]).exit_code == 0
    again = runner.invoke(args=["bank", "import", str(good_file)])
    assert again.exit_code == 1 and "重复" in again.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_the_import_format(app, runner, good_file, tmp_path, fmt):
    runner.invoke(args=["bank", "import", str(good_file)])
    target = tmp_path / f"out.{fmt}"
    result = runner.invoke(args=["bank", "export", str(target)])
    assert result.exit_code == 0 and "已导出 4 道试题" in result.output
    rows = read_table(target.name, target.read_bytes(), COLUMNS, max_bytes=10**6, max_rows=100)
    assert [r["题型"] for r in rows] == ["单选", "多选", "判断", "填空"]
    assert rows[3]["答案"] == "4;四|24;二十四" and rows[2]["答案"] == "对" and rows[1]["答案"] == "ABC"
    assert runner.invoke(args=["bank", "export", str(target), "--status", "published"]).output.startswith("已导出 0")
    assert runner.invoke(args=["bank", "export", str(tmp_path / "out.pdf")]).exit_code != 0


def test_load_is_safe_to_run_twice(app, runner, tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "a.csv").write_bytes(bank.csv_bytes(bank.good_rows()))
    shared = bank.row(**{"题干": "两个文件都有的同一道题（  ）"})
    (folder / "b.xlsx").write_bytes(bank.xlsx_bytes([shared, bank.row()]))
    (folder / "c.csv").write_bytes(bank.csv_bytes([shared]))
    (folder / "README.md").write_text("not a bank file")

    first = runner.invoke(args=["bank", "load", str(folder)])
    assert first.exit_code == 0, first.output
    assert "新建 6 道试题，跳过 1 道" in first.output
    assert statuses(app) == [Status.PUBLISHED] * 6
    second = runner.invoke(args=["bank", "load", str(folder)])
    assert second.exit_code == 0 and "新建 0 道试题，跳过 7 道" in second.output
    assert len(statuses(app)) == 6


def test_load_refuses_a_question_that_changed(app, runner, tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    rows = [bank.row(), bank.row()]
    (folder / "a.csv").write_bytes(bank.csv_bytes(rows))
    assert runner.invoke(args=["bank", "load", str(folder)]).exit_code == 0
    rows[1]["答案"] = "C"
    (folder / "a.csv").write_bytes(bank.csv_bytes(rows + [bank.row()]))
    result = runner.invoke(args=["bank", "load", str(folder)])
    assert result.exit_code == 1
    assert "a.csv：第 3 行，“题干”列：题库中已有题干相同的试题" in result.stderr and "但答案不同" in result.stderr
    assert len(statuses(app)) == 2


def test_load_an_empty_folder(runner, tmp_path):
    result = runner.invoke(args=["bank", "load", str(tmp_path)])
    assert result.exit_code != 0 and "没有 .csv 或 .xlsx 文件" in result.output
