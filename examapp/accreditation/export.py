"""The workbook of a cycle's accredited units (decision 通过), neutralised like every export."""

import io

import pandas as pd

from ..spreadsheets import neutralise

COLUMNS = ["序号", "区县", "单位编码", "单位名称", "单位类型", "决定日期"]
#: rows above the table: the title, what it covers, and a blank row (``pd.read_excel(skiprows=3)``)
HEADER_ROWS = 3


def accredited_rows(units, zone):
    return [
        {
            "序号": number,
            "区县": u.district_name,
            "单位编码": u.unit_code,
            "单位名称": u.unit_name,
            "单位类型": u.unit_kind,
            "决定日期": u.decided_at.astimezone(zone).strftime("%Y-%m-%d") if u.decided_at else "",
        }
        for number, u in enumerate(units, start=1)
    ]


def build_workbook(cycle, units, zone, *, scope_name=None, made_at=None):
    """The xlsx bytes of the list: a title naming the cycle, then one row per accredited unit."""
    lines = [
        f"{cycle.name} 验收通过单位名单",
        "范围："
        + (scope_name or "全市")
        + f"；共 {len(units)} 个单位"
        + (f"；制表时间：{made_at.astimezone(zone).strftime('%Y-%m-%d %H:%M')}" if made_at else ""),
    ]
    safe = [{c: neutralise(row[c]) for c in COLUMNS} for row in accredited_rows(units, zone)]
    frame = pd.DataFrame(safe, columns=COLUMNS, dtype=object)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="验收通过单位", startrow=HEADER_ROWS)
        sheet = writer.sheets["验收通过单位"]
        for number, line in enumerate(lines, start=1):
            sheet.cell(row=number, column=1, value=neutralise(line)).data_type = "s"
        for letter, width in zip("ABCDEF", (6, 14, 16, 36, 10, 12), strict=True):
            sheet.column_dimensions[letter].width = width
        for row in sheet.iter_rows(min_row=HEADER_ROWS + 1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
    return buffer.getvalue()
