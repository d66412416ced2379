"""The findings of an exam as a workbook (one function builds rows, ``spreadsheets`` writes them, neutralised)."""

from ..spreadsheets import write_table
from .models import FindingKind, Level

COLUMNS = [
    "编号",
    "类型",
    "程度",
    "强度",
    "涉及单位",
    "涉及答卷",
    "说明",
    "仍然成立",
    "复核人",
    "复核时间",
    "复核意见",
    "计算时间",
]


def finding_rows(findings, unit_names, zone):
    def local(value):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else ""

    return [
        {
            "编号": str(f.id),
            "类型": FindingKind.LABELS[f.kind],
            "程度": Level.LABELS[f.level],
            "强度": f"{f.strength:.2f}",
            "涉及单位": "、".join(unit_names.get(u, str(u)) for u in f.unit_ids),
            "涉及答卷": "、".join(str(a) for a in f.attempt_ids),
            "说明": f.summary,
            "仍然成立": "是" if f.holds else "否（重新计算后未再发现）",
            "复核人": f.reviewed_by.name if f.reviewed_by is not None else "",
            "复核时间": local(f.reviewed_at),
            "复核意见": f.review_note or "",
            "计算时间": local(f.computed_at),
        }
        for f in sorted(findings, key=lambda f: (-f.strength, f.id))
    ]


def build_workbook(findings, unit_names, zone):
    return write_table(COLUMNS, finding_rows(findings, unit_names, zone), "xlsx")
