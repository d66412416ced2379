"""Reading and writing spreadsheets: uploads checked before parsing, formula cells made safe."""

import csv
import io
import time
import zipfile

import openpyxl
import pytest

from examapp.spreadsheets import SpreadsheetError, neutralise, read_table, restore, write_table

COLUMNS = {"单位编码": True, "单位名称": True, "上级单位编码": False}
HEADER = list(COLUMNS)
GOOD_ROWS = [["410105", "金水区", "410100"], ["41010501", "金水区第一街道", "410105"]]
EXPECTED = [
    {"单位编码": "410105", "单位名称": "金水区", "上级单位编码": "410100", "_row": 2},
    {"单位编码": "41010501", "单位名称": "金水区第一街道", "上级单位编码": "410105", "_row": 3},
]


def read(filename, data, max_bytes=1024 * 1024, max_rows=100, columns=None):
    return read_table(filename, data, columns or COLUMNS, max_bytes=max_bytes, max_rows=max_rows)


def refusal(filename, data, **limits):
    """The problems read_table lists for an upload it refuses."""
    with pytest.raises(SpreadsheetError) as caught:
        read(filename, data, **limits)
    return caught.value.problems


def only_message(problems):
    assert len(problems) == 1, problems
    return problems[0].message


def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data, replace=None, add=None):
    """A copy of an xlsx with some members replaced and others added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, content in add.items():
            dst.writestr(name, content)
    return out.getvalue()


# --- reading good files ----------------------------------------------------------


def test_reads_csv_rows_keyed_by_header():
    data = csv_text([[*HEADER, "备注"], *[[*row, "忽略"] for row in GOOD_ROWS]]).encode()
    assert read("units.csv", data) == EXPECTED


def test_reads_xlsx_rows_and_numbers_come_back_as_text():
    data = xlsx_bytes([HEADER, [410105, "金水区", 410100], GOOD_ROWS[1]])
    assert read("units.xlsx", data) == EXPECTED


def test_optional_column_may_be_left_out():
    data = csv_text([["单位名称", "单位编码"], ["金水区", "410105"]]).encode()
    assert read("units.csv", data) == [{"单位编码": "410105", "单位名称": "金水区", "_row": 2}]


def test_cells_are_trimmed():
    data = "单位编码,单位名称\n  410105 , 金水区 \n".encode()
    assert read("units.csv", data) == [{"单位编码": "410105", "单位名称": "金水区", "_row": 2}]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_reads_csv_saved_by_excel_in_either_encoding(encoding):
    data = csv_text([HEADER, *GOOD_ROWS]).encode(encoding)
    assert read("units.csv", data) == EXPECTED


# --- header problems -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_missing_required_column_is_listed(kind):
    rows = [["单位编码", "上级单位编码"], ["410105", "410100"]]
    data = csv_text(rows).encode() if kind == "csv" else xlsx_bytes(rows)
    problems = refusal(f"units.{kind}", data)
    assert [(p.row, p.message) for p in problems] == [(1, "缺少必需的列“单位名称”")]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_duplicated_header_is_listed(kind):
    rows = [["单位编码", "单位名称", "单位编码"], ["410105", "金水区", "999999"]]
    data = csv_text(rows).encode() if kind == "csv" else xlsx_bytes(rows)
    problems = refusal(f"units.{kind}", data)
    assert [(p.row, p.message) for p in problems] == [(1, "表头“单位编码”重复出现")]


# --- rows ------------------------------------------------------------------------


def test_blank_rows_are_skipped_and_row_numbers_match_the_csv():
    # line 3 is empty, line 4 has only separators
    data = "单位编码,单位名称\n410105,金水区\n\n,\n410103,二七区\n".encode()
    assert [r["_row"] for r in read("units.csv", data)] == [2, 5]


def test_blank_rows_are_skipped_and_row_numbers_match_the_xlsx():
    data = xlsx_bytes([["单位编码", "单位名称"], ["410105", "金水区"], [], [None, None], ["410103", "二七区"]])
    assert [r["_row"] for r in read("units.xlsx", data)] == [2, 5]


def test_header_without_rows_is_refused():
    assert only_message(refusal("units.csv", "单位编码,单位名称\n".encode())) == "文件中没有数据行"


def test_empty_file_is_refused():
    assert only_message(refusal("units.csv", b"")) == "上传的文件是空的"


def test_oversized_file_is_refused():
    data = csv_text([HEADER, *GOOD_ROWS * 40]).encode()
    assert len(data) > 1024
    assert "文件过大" in only_message(refusal("units.csv", data, max_bytes=1024))


def test_too_many_rows_are_refused_and_the_limit_itself_is_accepted():
    data = csv_text([HEADER, *[[f"T{n:04d}", f"单位{n}", ""] for n in range(4)]]).encode()
    assert "一次最多导入 3 行" in only_message(refusal("units.csv", data, max_rows=3))
    assert len(read("units.csv", data, max_rows=4)) == 4


# --- refused by type -----------------------------------------------------------


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


@pytest.mark.parametrize("filename", ["units.xls", "units.xlsx", "units.csv"])
def test_old_excel_is_refused_whatever_its_name(filename):
    assert ".xls" in only_message(refusal(filename, OLE_HEADER))


def test_macro_workbook_name_is_refused():
    assert ".xlsm" in only_message(refusal("units.xlsm", xlsx_bytes([HEADER, *GOOD_ROWS])))


def test_xlsx_carrying_a_vba_project_is_refused():
    data = rezip(xlsx_bytes([HEADER, *GOOD_ROWS]), add={"xl/vbaProject.bin": b"\x00" * 512})
    assert "含宏" in only_message(refusal("units.xlsx", data))


def test_xlsx_name_on_something_that_is_not_a_zip_is_refused():
    data = csv_text([HEADER, *GOOD_ROWS]).encode()
    assert only_message(refusal("units.xlsx", data)) == "文件扩展名为 .xlsx，但内容不是 Excel 工作簿"


def test_csv_name_on_a_zip_is_refused():
    data = xlsx_bytes([HEADER, *GOOD_ROWS])
    assert only_message(refusal("units.csv", data)) == "文件扩展名为 .csv，但内容不是文本表格"


@pytest.mark.parametrize("filename", ["units.txt", "units", "units.xlsx.exe"])
def test_other_names_are_refused(filename):
    assert "只接受 .xlsx 或 .csv" in only_message(refusal(filename, b"a,b\n1,2\n"))


def test_zip_bomb_is_refused_before_parsing():
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER, *GOOD_ROWS]))) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/worksheets/sheet2.xml", "w") as member:
            zeros = bytes(1024 * 1024)
            for _ in range(50):
                member.write(zeros)
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # 50 MB unpacked from well under 1 MB

    started = time.perf_counter()
    problems = refusal("units.xlsx", data, max_bytes=8 * 1024 * 1024)
    assert time.perf_counter() - started < 1
    assert "压缩炸弹" in only_message(problems)


def test_xml_entity_declarations_are_refused():
    book = xlsx_bytes([HEADER, *GOOD_ROWS])
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    body = sheet[sheet.index("<worksheet") :].replace("410105", "&lol9;", 1)
    entities = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    laughs = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
    data = rezip(book, replace={"xl/worksheets/sheet1.xml": (laughs + body).encode()})

    started = time.perf_counter()
    assert "XML 声明" in only_message(refusal("units.xlsx", data))
    assert time.perf_counter() - started < 1


# --- formula cells -----------------------------------------------------------------


DANGEROUS = ["=1+1", "-5", "@x", "+86 138"]
ROUND_TRIP = [{"单位编码": value, "单位名称": f"单位{n}"} for n, value in enumerate(DANGEROUS)]


def test_neutralise_and_restore_leave_harmless_values_alone():
    assert [neutralise(v) for v in ("金水区", "it's", "'abc", "", None, 5)] == ["金水区", "it's", "'abc", "", None, 5]
    assert [restore(v) for v in ("it's", "'abc", "'", "''", "")] == ["it's", "'abc", "'", "''", ""]
    assert [neutralise(v) for v in DANGEROUS] == ["'=1+1", "'-5", "'@x", "'+86 138"]
    assert [restore(neutralise(v)) for v in DANGEROUS] == DANGEROUS


def test_csv_export_neutralises_formula_cells():
    data = write_table(["单位编码", "单位名称"], ROUND_TRIP, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["单位编码", "单位名称"]
    assert [row[0] for row in rows[1:]] == ["'=1+1", "'-5", "'@x", "'+86 138"]


def test_xlsx_export_writes_formula_cells_as_text():
    data = write_table(["单位编码", "单位名称"], ROUND_TRIP, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["'=1+1", "'-5", "'@x", "'+86 138"]
    assert {c.data_type for c in cells} == {"s"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_to_the_same_values(fmt):
    rows = [*ROUND_TRIP, {"单位编码": "it's", "单位名称": "O'Brien 社区"}]
    data = write_table(["单位编码", "单位名称"], rows, fmt)
    back = read(f"units.{fmt}", data)
    assert [{k: v for k, v in r.items() if k != "_row"} for r in back] == rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_starting_with_apostrophe_and_formula_char_survives_a_round_trip(fmt):
    rows = [{"单位编码": "T0001", "单位名称": "'=不是公式"}]
    back = read(f"units.{fmt}", write_table(["单位编码", "单位名称"], rows, fmt))
    assert back[0]["单位名称"] == "'=不是公式"
