"""Reading and writing the spreadsheets administrators hand us.

Uploads are checked before any full parse: size, type by content, macros,
zip bombs and XML entity tricks are refused (``examapp.uploads``, as for every
Office upload). Cells that a spreadsheet program
would run as a formula are neutralised on export and restored on import, so
an export re-imports to the same data.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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


def _header_index(records, columns):
    """Where the header row is: the first of the top rows holding every required column.

    An export carries a title block above its header (``write_workbook``); an import template
    and a hand-made file start with the header. When no top row has every required column, the
    first row is the header, and its problems are reported against row 1.
    """
    required = {h for h, needed in columns.items() if needed} or set(columns)
    for index, values in enumerate(records[:HEADER_SCAN_ROWS]):
        if required <= {str(v).strip() for v in values if v is not None}:
            return index
    return 0


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
                nrows=max_rows + 2 + HEADER_SCAN_ROWS,
            )
        else:
            text = _decode_csv(data)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                header=None,
                nrows=max_rows + 2 + HEADER_SCAN_ROWS,
                skip_blank_lines=False,
            )
    except SpreadsheetError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds for broken files
        raise SpreadsheetError("无法读取文件内容，请确认文件未损坏且格式正确") from exc

    # The header row is read as data, so repeated headers stay visible and
    # row numbers are the spreadsheet's own (header = row 1, or below an export's title block).
    records = list(frame.itertuples(index=False, name=None))
    if not records:
        raise SpreadsheetError("文件中没有数据行")
    top = _header_index(records, columns)
    headers = [str(h).strip() for h in records[top]]
    problems = []
    seen = set()
    for h in headers:
        if h in columns and h in seen:
            problems.append(Problem(f"表头“{h}”重复出现", row=top + 1))
        seen.add(h)
    for header, required in columns.items():
        if required and header not in seen:
            problems.append(Problem(f"缺少必需的列“{header}”", row=top + 1))
    if problems:
        raise SpreadsheetError(problems)

    wanted = [(i, h) for i, h in enumerate(headers) if h in columns]
    rows = []
    for index, values in enumerate(records[top + 1 :]):
        record = {h: restore(str(values[i]).strip()) if values[i] is not None else "" for i, h in wanted}
        if not any(record.values()):
            continue
        record["_row"] = top + index + 2
        rows.append(record)
    if len(rows) > max_rows:
        raise SpreadsheetError(f"行数过多：一次最多导入 {max_rows} 行")
    if not rows:
        raise SpreadsheetError("文件中没有数据行")
    return rows


# --- writing ---------------------------------------------------------------------------------------

TEXT, INTEGER, DECIMAL, DATETIME, DATE = "text", "integer", "decimal", "datetime", "date"
#: how each kind of column shows in Excel/WPS (Beijing time, two decimals for scores)
NUMBER_FORMATS = {INTEGER: "0", DECIMAL: "0.00", DATETIME: "yyyy-mm-dd hh:mm", DATE: "yyyy-mm-dd"}
#: rows of an upload searched for the header row (an export's title block sits above it)
HEADER_SCAN_ROWS = 10
MIN_WIDTH, MAX_WIDTH = 6, 60
_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Column:
    """A column of an export: its header and what its cells hold (text, a number, a time)."""

    header: str
    kind: str = TEXT

    @staticmethod
    def of(value):
        return value if isinstance(value, Column) else Column(str(value))


@dataclass
class Sheet:
    """One worksheet: a name (never "Sheet1"), the title block above the header, then the table.

    ``title_lines``: what the table is, which exam or scope, and when it was made; a blank row
    separates them from the header, so the header row is ``len(title_lines) + 2`` (1 without a
    title block). Import formats have no title block.
    """

    name: str
    columns: list
    rows: list
    title_lines: list = field(default_factory=list)

    @property
    def header_row(self):
        return len(self.title_lines) + 2 if self.title_lines else 1


def text_width(value):
    """Columns a text needs: CJK and other wide characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(value))


def _local(moment, zone):
    """A naive date-time in ``zone`` for a cell (stored times are UTC; naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def cell_value(value, kind, zone):
    """A row's value as the cell holds it: numbers as numbers, times in the display zone, text neutralised."""
    if value is None or value == "":
        return None
    if kind in (INTEGER, DECIMAL):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, Decimal):
            return int(value) if kind == INTEGER else float(value)
        if isinstance(value, int | float):
            return float(value) if kind == DECIMAL else value
        text = str(value).strip()
        try:
            return int(text) if kind == INTEGER else float(text)
        except ValueError:
            return neutralise(text)
    if kind == DATETIME and isinstance(value, datetime):
        return _local(value, zone)
    if kind == DATE:
        if isinstance(value, datetime):
            return _local(value, zone).date()
        if isinstance(value, date):
            return value
    return neutralise(value if isinstance(value, str) else str(value))


def _shown(value, kind):
    """The text a cell shows, to size its column."""
    if value is None:
        return ""
    if kind == DECIMAL and isinstance(value, int | float):
        return f"{value:.2f}"
    if kind == DATETIME and isinstance(value, datetime):
        return "0000-00-00 00:00"
    if isinstance(value, date):
        return "0000-00-00"
    return str(value)


def _default_zone():
    from .clock import display_zone

    return display_zone()


def _write_sheet(book, sheet, zone):
    columns = [Column.of(c) for c in sheet.columns]
    ws = book.create_sheet(title=sheet.name[:31])
    for number, line in enumerate(sheet.title_lines, start=1):
        cell = ws.cell(row=number, column=1, value=neutralise(line))
        cell.data_type = "s"
        if number == 1:
            cell.font = _TITLE_FONT
    top = sheet.header_row
    widths = []
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=top, column=index, value=neutralise(column.header))
        cell.data_type = "s"
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        widths.append(text_width(column.header) + 3)  # room for the filter button
    for offset, row in enumerate(sheet.rows, start=1):
        for index, column in enumerate(columns, start=1):
            value = cell_value(row.get(column.header), column.kind, zone)
            cell = ws.cell(row=top + offset, column=index, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif column.kind in NUMBER_FORMATS and value is not None:
                cell.number_format = NUMBER_FORMATS[column.kind]
            widths[index - 1] = max(widths[index - 1], text_width(_shown(value, column.kind)) + 2)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, width))
    last = get_column_letter(max(1, len(columns)))
    ws.freeze_panes = f"A{top + 1}"
    ws.auto_filter.ref = f"A{top}:{last}{top + max(1, len(sheet.rows))}"
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def write_workbook(sheets, *, zone=None):
    """The xlsx bytes of ``sheets`` (``Sheet``): every export's one writer.

    Each sheet: an optional title block, a bold header row frozen in place with a filter over the
    table, numbers as numbers ("0.00" for decimals), times as date-times in the display zone
    (Beijing time), text neutralised and stored as text, and widths that fit Chinese text.
    """
    zone = zone or _default_zone()
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        _write_sheet(book, sheet, zone)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_value(value, kind, zone):
    value = cell_value(value, kind, zone)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if kind == DECIMAL and isinstance(value, int | float):
        return f"{value:.2f}"
    return "" if value is None else value


def write_table(columns, rows, fmt, *, sheet_name="数据", title_lines=(), zone=None):
    """Rows (dicts keyed by header) as xlsx or csv bytes, neutralised.

    ``columns``: headers or ``Column``s. The CSV (UTF-8 with BOM) is the plain table, header
    first, numbers unquoted; the xlsx is one sheet named ``sheet_name`` with the title block.
    """
    columns = [Column.of(c) for c in columns]
    if fmt == "csv":
        zone = zone or _default_zone()
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([neutralise(c.header) for c in columns])
        for row in rows:
            writer.writerow([_csv_value(row.get(c.header), c.kind, zone) for c in columns])
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        return write_workbook([Sheet(sheet_name, columns, rows, list(title_lines))], zone=zone)
    raise ValueError(f"unknown format {fmt!r}")


def made_at_line(moment=None, zone=None):
    """The title block's "when": 制表时间 in the display zone."""
    from .clock import utcnow

    moment = _local(moment or utcnow(), zone or _default_zone())
    return f"制表时间：{moment.strftime('%Y-%m-%d %H:%M')}（北京时间）"


def mimetype_for(fmt):
    return XLSX_MIME if fmt == "xlsx" else CSV_MIME
