"""三查: the unit's list of people reported as re-employed, as a spreadsheet.

ID numbers (GB 11643-1999, 18 characters with a check character) are checked on import and kept
whole in the database for the check, but leave examapp only masked: ``mask_id_number`` is used by
every page and export (410102********123X: the first six and the last four characters).
"""

import io
import re
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from ...spreadsheets import TEXT, Column, Problem, Sheet, write_workbook

COLUMNS = {"姓名": True, "身份证号": True, "就业单位": True, "就业日期": True}
MAX_NAME_LENGTH = 50
MAX_EMPLOYER_LENGTH = 200

#: GB 11643: the weights of the first 17 digits, and the check character for (sum mod 11)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CODES = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_EXCEL_NUMBER = re.compile(r"^\d+(\.\d+)?([eE][+-]?\d+)?$")

_DATE_DASH = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


def mask_id_number(value):
    """410102199001011234 -> 410102********1234 (first six, eight asterisks, last four)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * 8 + value[-4:]


def normalise_id_number(raw):
    """Spaces removed and a lowercase x made uppercase (the check character X)."""
    return re.sub(r"\s+", "", str(raw or "")).upper()


def id_check_character(first17):
    return ID_CHECK_CODES[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_problem(value):
    """Why ``value`` (normalised) is not a valid 18-character ID number, or None. Never quotes it."""
    if not value:
        return "身份证号不能为空"
    if "E" in value and _EXCEL_NUMBER.match(value.lower()) or ("." in value and _EXCEL_NUMBER.match(value)):
        return "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”格式后重新填写"
    if len(value) != 18:
        return f"身份证号应为 18 位，现为 {len(value)} 位"
    if not _ID_SHAPE.match(value):
        return "身份证号前 17 位应为数字，最后一位为数字或 X"
    if id_check_character(value[:17]) != value[17]:
        return "身份证号校验位不正确，请核对"
    return None


def parse_date(raw):
    """A date cell (read as "YYYY-MM-DD 00:00:00"), or YYYY-MM-DD / YYYY/M/D text; None if neither."""
    text = str(raw or "").strip()
    match = _DATE_DASH.match(text) or _DATE_SLASH.match(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def check_rows(rows, year):
    """Validate every row of an upload (``spreadsheets.read_table``); return (people, problems).

    A person is a dict of row_no, name, id_number, employer, reemployed_on. ``year``: the
    cycle's, which every date must fall in.
    """
    people, problems, seen = [], [], {}
    for raw in rows:
        row = raw["_row"]
        before = len(problems)
        name = raw.get("姓名", "").strip()
        if not name:
            problems.append(Problem("姓名不能为空", row, "姓名"))
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(Problem(f"姓名不能超过 {MAX_NAME_LENGTH} 个字", row, "姓名"))
        id_number = normalise_id_number(raw.get("身份证号", ""))
        problem = id_number_problem(id_number)
        if problem:
            problems.append(Problem(problem, row, "身份证号"))
        elif id_number in seen:
            problems.append(Problem(f"身份证号与第 {seen[id_number]} 行重复", row, "身份证号"))
        else:
            seen[id_number] = row
        employer = raw.get("就业单位", "").strip()
        if not employer:
            problems.append(Problem("就业单位不能为空", row, "就业单位"))
        elif len(employer) > MAX_EMPLOYER_LENGTH:
            problems.append(Problem(f"就业单位不能超过 {MAX_EMPLOYER_LENGTH} 个字", row, "就业单位"))
        text = raw.get("就业日期", "").strip()
        reemployed_on = parse_date(text)
        if not text:
            problems.append(Problem("就业日期不能为空", row, "就业日期"))
        elif reemployed_on is None:
            problems.append(
                Problem("就业日期格式不正确，应为日期，或 YYYY-MM-DD、YYYY/M/D 形式的文字", row, "就业日期")
            )
        elif reemployed_on.year != year:
            problems.append(Problem(f"就业日期不在验收年度 {year} 年内", row, "就业日期"))
        if len(problems) == before:
            people.append(
                {
                    "row_no": row,
                    "name": name,
                    "id_number": id_number,
                    "employer": employer,
                    "reemployed_on": reemployed_on,
                }
            )
    return people, problems


def template_workbook():
    """The import template: the header row (ID column as text), and a sheet of instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = "再就业人员名单"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (12, 24, 36, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in range(2, 2002):
        sheet.cell(row=row, column=2).number_format = "@"  # text: an 18-digit number would lose digits
        sheet.cell(row=row, column=4).number_format = "yyyy-mm-dd"
    notes = book.create_sheet("填写说明")
    for line in (
        "第一个工作表填写本年度上报的再就业人员，一人一行，第一行为表头（不要修改）。",
        "姓名：必填，不超过 50 个字。",
        "身份证号：必填，18 位，最后一位可为 X；请保持“文本”格式，否则 Excel 会丢失末几位。",
        "就业单位：必填，不超过 200 个字。",
        "就业日期：必填，Excel 日期，或 2025-03-05、2025/3/5 形式的文字，须在验收年度内。",
        "同一身份证号只能出现一次。只要有一行有问题，整个文件都不会导入，并列出每一处问题。",
        "抽样前可以重新导入，新名单整体替换旧名单；抽样后名单不能再修改。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_sheets(header_lines, sheets, *, kinds=None, zone=None):
    """xlsx bytes: each sheet (title, columns, rows) under the header lines, written by
    ``spreadsheets.write_workbook`` (text neutralised and stored as a string, so no cell runs as a
    formula; numbers as numbers, dates and times as dates). ``kinds`` maps a column to its kind."""
    kinds = kinds or {}
    return write_workbook(
        [
            Sheet(title, [Column(c, kinds.get(c, TEXT)) for c in columns], rows, list(header_lines))
            for title, columns, rows in sheets
        ],
        zone=zone,
    )
