"""The findings of an exam as a workbook (one function builds rows, ``spreadsheets`` writes them, neutralised)."""

from ..spreadsheets import DATETIME, DECIMAL, INTEGER, Column, Sheet, made_at_line, write_workbook
from .models import FindingKind, Level

SHEET_NAME = "诚信疑点"
COLUMNS = [
    Column("编号", INTEGER),
    Column("类型"),
    Column("程度"),
    Column("强度", DECIMAL),
    Column("涉及单位"),
    Column("涉及答卷"),
    Column("说明"),
    Column("仍然成立"),
    Column("复核人"),
    Column("复核时间", DATETIME),
    Column("复核意见"),
    Column("计算时间", DATETIME),
]
#: rows above the table: three title lines and a blank row (``pd.read_excel(skiprows=4)``)
HEADER_ROWS = 4


def finding_rows(findings, unit_names, zone=None):
    return [
        {
            "编号": f.id,
            "类型": FindingKind.LABELS[f.kind],
            "程度": Level.LABELS[f.level],
            "强度": f.strength,
            "涉及单位": "、".join(unit_names.get(u, str(u)) for u in f.unit_ids),
            "涉及答卷": "、".join(str(a) for a in f.attempt_ids),
            "说明": f.summary,
            "仍然成立": "是" if f.holds else "否（重新计算后未再发现）",
            "复核人": f.reviewed_by.name if f.reviewed_by is not None else "",
            "复核时间": f.reviewed_at,
            "复核意见": f.review_note or "",
            "计算时间": f.computed_at,
        }
        for f in sorted(findings, key=lambda f: (-f.strength, f.id))
    ]


def build_workbook(findings, unit_names, zone, *, exam=None, made_at=None):
    """The xlsx bytes: a title block naming the exam, then one row per finding, strongest first."""
    held = (
        f"考试时间：{exam.opens_at.astimezone(zone):%Y-%m-%d %H:%M} 至 {exam.closes_at.astimezone(zone):%Y-%m-%d %H:%M}；"
        if exam is not None
        else ""
    )
    lines = [
        f"考试诚信疑点 · 考试：{exam.title}" if exam is not None else "考试诚信疑点",
        f"{held}共 {len(findings)} 个疑点；强度越大，偶然出现的可能越小",
        made_at_line(made_at, zone),
    ]
    return write_workbook([Sheet(SHEET_NAME, COLUMNS, finding_rows(findings, unit_names), lines)], zone=zone)
