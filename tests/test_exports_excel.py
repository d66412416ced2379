"""Every export opens in Excel or WPS as a table people can work with (issue 20).

Each export is produced through the app (test client, as the role that downloads it) and opened
with openpyxl: numbers are numbers (scores shown with two decimals), times are date-times in
Beijing time, the header row is frozen and filtered, columns fit Chinese text, sheets have
meaningful names and a title block says what, which exam or scope, and when. Import formats keep
their header on row 1; exports that double as import files are re-read by the importer.
"""

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from examapp.accreditation import export as accredited_export
from examapp.accreditation.onsite import services as onsite
from examapp.accreditation.onsite.models import Verification
from examapp.exams.models import Exam, RosterEntry
from examapp.extensions import db
from examapp.integrity import export as integrity_export
from examapp.integrity.models import Finding
from examapp.org import importing as unit_importing
from examapp.results import export as results_export
from examapp.sitting.models import Attempt
from examapp.spreadsheets import (
    DECIMAL,
    INTEGER,
    Column,
    Sheet,
    read_table,
    text_width,
    write_table,
    write_workbook,
)
from examapp.staff import importing as staff_importing

from . import bank_factories
from .test_decision import decided  # noqa: F401  (fixture)
from .test_integrity_pages import _compute, plan, sitting  # noqa: F401  (fixtures)
from .test_onsite import YEAR, _check, _office
from .test_results import sealed_city  # noqa: F401  (fixture)

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)


def _book(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _table(sheet, header_row):
    """(headers, rows as dicts of cells) of the table whose header is ``header_row``."""
    headers = [c.value for c in sheet[header_row]]
    rows = [
        dict(zip(headers, row, strict=True))
        for row in sheet.iter_rows(min_row=header_row + 1)
        if any(c.value is not None for c in row)
    ]
    return headers, rows


def _assert_layout(sheet, header_row, *, title=None, made_at=True):
    """Named sheet, title block above the header, frozen header, filter over the table, fitting widths."""
    assert sheet.title and not sheet.title.lower().startswith("sheet")
    headers, rows = _table(sheet, header_row)
    assert all(headers)
    assert sheet.freeze_panes == f"A{header_row + 1}"
    last = sheet.cell(row=header_row, column=len(headers)).column_letter
    assert sheet.auto_filter.ref == f"A{header_row}:{last}{header_row + max(1, len(rows))}"
    assert all(c.font.bold for c in sheet[header_row])
    if title is not None:
        block = [sheet.cell(row=r, column=1).value for r in range(1, header_row)]
        assert title in block[0] and sheet["A1"].font.bold
        assert block[-1] is None  # a blank row before the header
        if made_at:
            assert any("制表时间：2026-11-20 10:00" in (line or "") for line in block)
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=header_row, column=index).column_letter
        width = sheet.column_dimensions[letter].width
        assert width >= text_width(header) + 2, (header, width)
        for row in rows:
            value = row[header].value
            if isinstance(value, str) and text_width(value) < 58:
                assert width >= text_width(value), (header, value, width)
    return headers, rows


def _assert_text_cells(rows):
    for row in rows:
        for cell in row.values():
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and not cell.value.startswith(("=", "+", "-", "@"))


def _assert_number(cell, kind):
    assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool), cell.value
    if kind == DECIMAL:
        assert cell.number_format == "0.00"
    else:
        assert isinstance(cell.value, int) and cell.number_format == "0"


def _assert_time(cell, expected_utc):
    assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd hh:mm"
    assert cell.value == expected_utc.astimezone(BEIJING).replace(tzinfo=None, microsecond=0)


# --- the writer --------------------------------------------------------------------------------


def test_the_writer_keeps_numbers_times_and_formats():
    moment = datetime(2026, 5, 1, 16, 30, tzinfo=UTC)  # 2026-05-02 00:30 in Beijing
    columns = [Column("单位名称"), Column("人数", INTEGER), Column("平均分", DECIMAL), Column("交卷时间", "datetime")]
    rows = [{"单位名称": "=1+1", "人数": 12, "平均分": 94.5, "交卷时间": moment}]
    data = write_workbook([Sheet("单位成绩", columns, rows, ["标题", "说明"])], zone=BEIJING)
    sheet = load_workbook(io.BytesIO(data))["单位成绩"]
    assert [c.value for c in sheet[4]] == ["单位名称", "人数", "平均分", "交卷时间"]
    name, count, average, at = sheet[5]
    assert name.value == "'=1+1" and name.data_type == "s"
    assert count.value == 12 and count.number_format == "0"
    assert average.value == 94.5 and average.number_format == "0.00"
    assert at.value == datetime(2026, 5, 2, 0, 30) and at.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:D5"
    assert text_width("社区居委会") == 10 and text_width("abc") == 3


def test_csv_keeps_numbers_unquoted_and_the_header_first():
    columns = [Column("单位名称"), Column("人数", INTEGER), Column("平均分", DECIMAL), Column("交卷时间", "datetime")]
    rows = [{"单位名称": "-x", "人数": 3, "平均分": 98, "交卷时间": datetime(2026, 5, 1, 16, 30, tzinfo=UTC)}]
    data = write_table(columns, rows, "csv", title_lines=["不写进 CSV"], zone=BEIJING)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["单位名称,人数,平均分,交卷时间", "'-x,3,98.00,2026-05-02 00:30"]
    assert next(csv.reader(io.StringIO(text))) == ["单位名称", "人数", "平均分", "交卷时间"]


def test_the_importer_finds_the_header_below_a_title_block():
    columns = {"单位编码": True, "单位名称": True}
    data = write_table(
        ["单位编码", "单位名称"], [{"单位编码": "T1", "单位名称": "甲"}], "xlsx", title_lines=["名单", "x"]
    )
    rows = read_table("u.xlsx", data, columns, max_bytes=10**6, max_rows=10)
    assert rows == [{"单位编码": "T1", "单位名称": "甲", "_row": 5}]


def test_too_many_rows_are_still_refused_below_a_title_block():
    from examapp.spreadsheets import SpreadsheetError

    rows = [{"单位编码": f"T{i}", "单位名称": "甲"} for i in range(11)]
    data = write_table(["单位编码", "单位名称"], rows, "xlsx", title_lines=["名单", "x", "y"])
    with pytest.raises(SpreadsheetError, match="行数过多"):
        read_table("u.xlsx", data, {"单位编码": True, "单位名称": True}, max_bytes=10**6, max_rows=10)


# --- results ------------------------------------------------------------------------------------


def test_results_workbook(app, as_role, sealed_city):  # noqa: F811
    book = _book(as_role("office").get(f"/exams/{sealed_city}/results.xlsx"))
    assert book.sheetnames == ["单位成绩", "人员成绩", "区县汇总"]
    with app.app_context():
        exam = db.session.get(Exam, sealed_city)
        title = exam.title
        entries = select(Attempt).join(RosterEntry, RosterEntry.id == Attempt.roster_entry_id)
        submitted = {
            a.roster_entry.user.username: a.submitted_at
            for a in db.session.scalars(entries.where(RosterEntry.exam_id == sealed_city))
        }
    header_row = results_export.HEADER_ROWS + 1
    for name in book.sheetnames:
        sheet = book[name]
        _assert_layout(sheet, header_row, title=name)
        assert f"考试：{title}" in sheet["A1"].value and "范围：全市" in sheet["A3"].value
        assert "成绩封存时间" in sheet["A2"].value and "考试时间" in sheet["A2"].value

    _, units = _table(book["单位成绩"], header_row)
    _assert_text_cells(units)
    assert len(units) == 3
    for row in units:
        for header in ("应考人数", "实考人数", "批准缺考", "缺考"):
            _assert_number(row[header], INTEGER)
        for header in ("平均分", "最高分", "最低分"):
            _assert_number(row[header], DECIMAL)
    averages = {row["单位名称"].value: row["平均分"].value for row in units}
    assert averages["安全社区"] == 96 and averages['\'=HYPERLINK("http://x")社区'] == 95

    _, people = _table(book["人员成绩"], header_row)
    assert len(people) == 4
    for row in people:
        _assert_number(row["成绩"], DECIMAL)
        _assert_number(row["离开页面次数"], INTEGER)
        _assert_time(row["交卷时间"], submitted[row["用户名"].value])

    _, districts = _table(book["区县汇总"], header_row)
    for row in districts:
        for header in ("单位数", "合格", "取消验收资格", "无有效成绩"):
            _assert_number(row[header], INTEGER)
        _assert_number(row["单位平均分的平均"], DECIMAL)


def test_a_districts_results_say_whose_part_they_are(as_role, sealed_city):  # noqa: F811
    book = _book(as_role("district_admin_b").get(f"/exams/{sealed_city}/results.xlsx"))
    sheet = book["单位成绩"]
    _assert_layout(sheet, results_export.HEADER_ROWS + 1, title="单位成绩")
    assert "范围：二七区" in sheet["A3"].value


# --- integrity ----------------------------------------------------------------------------------


def test_integrity_workbook(app, as_role, sitting):  # noqa: F811
    _compute(app, sitting)
    book = _book(as_role("office").get(f"/exams/{sitting['exam_id']}/integrity/export.xlsx"))
    assert book.sheetnames == [integrity_export.SHEET_NAME]
    sheet = book[integrity_export.SHEET_NAME]
    _, rows = _assert_layout(sheet, integrity_export.HEADER_ROWS + 1, title="考试诚信疑点")
    _assert_text_cells(rows)
    with app.app_context():
        exam = db.session.get(Exam, sitting["exam_id"])
        assert exam.title in sheet["A1"].value
        findings = {f.id: f for f in db.session.scalars(select(Finding).where(Finding.exam_id == exam.id))}
    assert rows and len(rows) == len(findings)
    for row in rows:
        _assert_number(row["编号"], INTEGER)
        _assert_number(row["强度"], DECIMAL)
        finding = findings[row["编号"].value]
        assert row["强度"].value == pytest.approx(finding.strength)
        _assert_time(row["计算时间"], finding.computed_at)


# --- accreditation ------------------------------------------------------------------------------


def test_accredited_list_workbook(app, as_role, decided):  # noqa: F811
    book = _book(as_role("office").get("/accreditation/accredited.xlsx?year=2026"))
    assert book.sheetnames == [accredited_export.SHEET_NAME]
    sheet = book[accredited_export.SHEET_NAME]
    _, rows = _assert_layout(sheet, accredited_export.HEADER_ROWS + 1, title="验收通过单位名单")
    _assert_text_cells(rows)
    assert [row["序号"].value for row in rows] == [1, 2]
    for row in rows:
        _assert_number(row["序号"], INTEGER)
        assert isinstance(row["决定日期"].value, datetime) and row["决定日期"].number_format == "yyyy-mm-dd"
        assert row["决定日期"].value.date() == NOW.astimezone(BEIJING).date()


def test_onsite_workbook(app, as_role, world):
    with app.app_context():
        record, check = _check(world, 10, 12)
        onsite.draw_sample(_office(world), check)
        sample = sorted((p for p in check.people if p.sample_order), key=lambda p: p.sample_order)
        onsite.record_verifications(_office(world), check, {sample[0].id: (Verification.VERIFIED, "")})
        db.session.commit()
        record_id = record.id
    book = _book(as_role("office").get(f"/accreditation/records/{record_id}/onsite/export.xlsx"))
    assert book.sheetnames == ["抽样核实", "上报名单"]
    for sheet in book.worksheets:
        header_row = next(r for r in range(1, 12) if sheet.cell(row=r, column=1).value in ("抽样序号", "行号"))
        _, rows = _assert_layout(sheet, header_row, title=f"{YEAR}")
        _assert_text_cells(rows)
        for row in rows:
            _assert_number(row["行号"], INTEGER)
            assert row["就业日期"].value.date() == date(2026, 3, 5)
            assert row["就业日期"].number_format == "yyyy-mm-dd"
    _, sampled = _table(book["抽样核实"], header_row)
    _assert_number(sampled[0]["抽样序号"], INTEGER)
    _assert_time(sampled[0]["核实时间"], NOW)
    assert sampled[1]["核实时间"].value is None


# --- staff, units, questions and templates ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "title", "columns"),
    [
        ("/staff/export.xlsx", "人员名单", "人员名单", staff_importing.COLUMNS),
        ("/units/export.xlsx", "单位名单", "单位名单", unit_importing.COLUMNS),
    ],
)
@pytest.mark.parametrize("role", ["exam_admin", "district_admin"])
def test_staff_and_unit_exports_have_a_title_and_still_import(as_role, path, name, title, columns, role):
    response = as_role(role).get(path)
    book = _book(response)
    assert book.sheetnames == [name]
    sheet = book[name]
    header_row = 5
    headers, rows = _assert_layout(sheet, header_row, title=title)
    assert headers == list(columns) and rows
    assert ("范围：全市" if role == "exam_admin" else "范围：金水区") in sheet["A2"].value
    again = read_table("x.xlsx", response.data, columns, max_bytes=10**6, max_rows=1000)
    assert len(again) == len(rows) and again[0]["_row"] == header_row + 1
    assert [r[list(columns)[0]] for r in again] == [row[list(columns)[0]].value for row in rows]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/staff/import/template.xlsx", "人员导入模板"),
        ("/units/import/template.xlsx", "单位导入模板"),
        ("/bank/import/template.xlsx", "试题导入模板"),
        ("/bank/export.xlsx", "试题"),
    ],
)
def test_import_formats_keep_the_header_on_row_one(app, as_role, path, name):
    with app.app_context():
        bank_factories.question()
        db.session.commit()
    book = _book(as_role("exam_admin").get(path))
    assert book.sheetnames == [name]
    _, rows = _assert_layout(book[name], 1)
    assert rows


def test_csv_exports_stay_plain_tables(as_role):
    data = as_role("exam_admin").get("/staff/export.csv").data
    assert data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == list(staff_importing.COLUMNS)
