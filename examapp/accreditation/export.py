"""The workbook of a cycle's accredited units (decision 通过), neutralised like every export."""

from ..spreadsheets import DATE, INTEGER, Column, Sheet, made_at_line, write_workbook

SHEET_NAME = "验收通过单位"
COLUMNS = [
    Column("序号", INTEGER),
    Column("区县"),
    Column("单位编码"),
    Column("单位名称"),
    Column("单位类型"),
    Column("决定日期", DATE),
]
#: rows above the table: the title, what it covers, when it was made, and a blank row
#: (``pd.read_excel(skiprows=4)``)
HEADER_ROWS = 4


def accredited_rows(units, zone=None):
    return [
        {
            "序号": number,
            "区县": u.district_name,
            "单位编码": u.unit_code,
            "单位名称": u.unit_name,
            "单位类型": u.unit_kind,
            "决定日期": u.decided_at,
        }
        for number, u in enumerate(units, start=1)
    ]


def build_workbook(cycle, units, zone, *, scope_name=None, made_at=None):
    """The xlsx bytes of the list: a title naming the cycle, then one row per accredited unit."""
    lines = [
        f"{cycle.name} 验收通过单位名单",
        "范围：" + (scope_name or "全市") + f"；共 {len(units)} 个单位",
        made_at_line(made_at, zone),
    ]
    return write_workbook([Sheet(SHEET_NAME, COLUMNS, accredited_rows(units), lines)], zone=zone)
