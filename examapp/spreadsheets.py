"""Reading and writing the spreadsheets administrators hand us.

Uploads are checked before any full parse: size, type by content, macros,
zip bombs and XML entity tricks are refused (``examapp.uploads``, as for every
Office upload). Cells that a spreadsheet program
would run as a formula are neutralised on export and restored on import, so
an export re-imports to the same data.
"""

import csv
import io
from dataclasses import dataclass

import pandas as pd

from .uploads import SPREADSHEET_LIMITS, UnsafeUpload, check_office_zip

FORMULA_PREFIXES = ("=", "+", "-", "@")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload; row is the spreadsheet row (header = 1)."""

    message: str
    row: int | None = None
    column: str | None = None

    def as_text(self):
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"“{self.column}”列")
        return ("，".join(where) + "：" if where else "") + self.message


class SpreadsheetError(Exception):
    def __init__(self, problems):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = list(problems)
        super().__init__("; ".join(p.as_text() for p in self.problems))


def _looks_neutralised(value):
    """A quote followed by a formula character, possibly after more quotes."""
    stripped = value.lstrip("'")
    return value.startswith("'") and stripped.startswith(FORMULA_PREFIXES)


def neutralise(value):
    """Make a cell safe to open in a spreadsheet program.

    A text that already looks neutralised gets one more quote, so that
    ``restore`` (which removes exactly one) gives it back unchanged.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or _looks_neutralised(value)):
        return "'" + value
    return value


def restore(value):
    """Undo ``neutralise`` for a cell read back from an upload."""
    if _looks_neutralised(value):
        return value[1:]
    return value


def _file_kind(filename, data):
    name = (filename or "").lower().strip()
    if name.endswith((".xlsm", ".xltm", ".xlam")):
        raise SpreadsheetError("不接受含宏的 Excel 文件（.xlsm），请另存为 .xlsx 后上传")
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv 后上传")
    if name.endswith(".xlsx"):
        if not data.startswith(b"PK\x03\x04"):
            raise SpreadsheetError("文件扩展名为 .xlsx，但内容不是 Excel 工作簿")
        return "xlsx"
    if name.endswith(".csv"):
        if data.startswith(b"PK\x03\x04") or b"\x00" in data[:8192]:
            raise SpreadsheetError("文件扩展名为 .csv，但内容不是文本表格")
        return "csv"
    raise SpreadsheetError("只接受 .xlsx 或 .csv 文件")


def _check_xlsx_container(data):
    try:
        names = check_office_zip(io.BytesIO(data), subject="Excel 文件", limits=SPREADSHEET_LIMITS)
    except UnsafeUpload as exc:
        if exc.reason == "macro":
            raise SpreadsheetError("不接受含宏的 Excel 文件，请另存为 .xlsx 后上传") from exc
        raise SpreadsheetError(exc.message) from exc
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError("文件不是 Excel 工作簿（缺少工作簿内容）")


def _decode_csv(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("CSV 文件编码无法识别，请保存为 UTF-8 编码")


def read_table(filename, data, columns, *, max_bytes, max_rows):
    """Parse an upload into a list of row dicts keyed by header.

    ``columns`` maps header -> required (bool). Each row dict carries its
    spreadsheet row number under ``"_row"``. Raises SpreadsheetError listing
    every problem found at the file level.
    """
    if not data:
        raise SpreadsheetError("上传的文件是空的")
    if len(data) > max_bytes:
        raise SpreadsheetError(f"文件过大：不能超过 {max_bytes // (1024 * 1024)} MB")
    kind = _file_kind(filename, data)
    try:
        if kind == "xlsx":
            _check_xlsx_container(data)
            frame = pd.read_excel(
                io.BytesIO(data),
                engine="openpyxl",
                dtype=str,
                keep_default_na=False,
                header=None,
                nrows=max_rows + 2,
            )
        else:
            text = _decode_csv(data)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                header=None,
                nrows=max_rows + 2,
                skip_blank_lines=False,
            )
    except SpreadsheetError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds for broken files
        raise SpreadsheetError("无法读取文件内容，请确认文件未损坏且格式正确") from exc

    # The header row is read as data, so repeated headers stay visible and
    # row numbers are the spreadsheet's own (header = row 1).
    records = list(frame.itertuples(index=False, name=None))
    if not records:
        raise SpreadsheetError("文件中没有数据行")
    headers = [str(h).strip() for h in records[0]]
    problems = []
    seen = set()
    for h in headers:
        if h in columns and h in seen:
            problems.append(Problem(f"表头“{h}”重复出现", row=1))
        seen.add(h)
    for header, required in columns.items():
        if required and header not in seen:
            problems.append(Problem(f"缺少必需的列“{header}”", row=1))
    if problems:
        raise SpreadsheetError(problems)

    wanted = [(i, h) for i, h in enumerate(headers) if h in columns]
    rows = []
    for index, values in enumerate(records[1:]):
        record = {h: restore(str(values[i]).strip()) if values[i] is not None else "" for i, h in wanted}
        if not any(record.values()):
            continue
        record["_row"] = index + 2
        rows.append(record)
    if len(rows) > max_rows:
        raise SpreadsheetError(f"行数过多：一次最多导入 {max_rows} 行")
    if not rows:
        raise SpreadsheetError("文件中没有数据行")
    return rows


def write_table(columns, rows, fmt):
    """Serialise rows (dicts keyed by header) as xlsx or csv bytes, neutralised."""
    safe = [{c: neutralise(row.get(c, "") if row.get(c) is not None else "") for c in columns} for row in rows]
    frame = pd.DataFrame(safe, columns=columns, dtype=object)
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="Sheet1")
            sheet = writer.sheets["Sheet1"]
            for column_cells in sheet.columns:
                sheet.column_dimensions[column_cells[0].column_letter].width = max(
                    10, min(40, max(len(str(c.value or "")) for c in column_cells) * 2)
                )
                for cell in column_cells:
                    cell.data_type = "s"  # never a formula, whatever the text
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def mimetype_for(fmt):
    return XLSX_MIME if fmt == "xlsx" else CSV_MIME
