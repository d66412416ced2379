"""The results workbook: units, people and districts, with a header naming the exam, cycle and seal.

Built with pandas + openpyxl; every text cell is neutralised (a leading = + - @ gets a
quote) and written as a string, so a malicious unit or person name never runs as a formula.
The same function serves the download and ``flask report unit-scores``.
"""

import io

import pandas as pd
from sqlalchemy import select

from ..auth.models import User
from ..exams.models import ExamStatus, RosterEntry
from ..extensions import db
from ..numbers import plain
from ..org.models import Unit
from ..sitting.models import Attempt, AttemptState
from ..spreadsheets import neutralise
from .scores import Verdict, district_summaries, unit_scores

UNIT_COLUMNS = [
    "区县",
    "单位编码",
    "单位名称",
    "单位类型",
    "应考人数",
    "实考人数",
    "批准缺考",
    "缺考",
    "平均分",
    "最高分",
    "最低分",
    "结果",
]
PEOPLE_COLUMNS = [
    "区县",
    "单位编码",
    "单位名称",
    "姓名",
    "用户名",
    "状态",
    "成绩",
    "交卷时间",
    "离开页面次数",
    "缺考原因",
]
DISTRICT_COLUMNS = ["区县", "单位数", "合格", "取消验收资格", "无有效成绩", "单位平均分的平均"]

#: rows above each sheet's table: two lines of header and a blank row (``pd.read_excel(skiprows=3)``)
HEADER_ROWS = 3

KIND_LABELS = {"street": "街道", "township": "乡镇", "community": "社区", "district": "区", "city": "市"}


def _number(value):
    """Decimal -> float for a numeric cell (figures are already floored/exact to the cent)."""
    return None if value is None else float(value)


def unit_rows(scores):
    return [
        {
            "区县": s.district_name,
            "单位编码": s.unit_code,
            "单位名称": s.unit_name,
            "单位类型": KIND_LABELS.get(s.unit_kind, s.unit_kind),
            "应考人数": s.roster_size,
            "实考人数": s.sat,
            "批准缺考": s.excused,
            "缺考": s.absent,
            "平均分": _number(s.average_shown),
            "最高分": _number(s.highest),
            "最低分": _number(s.lowest),
            "结果": Verdict.LABELS[s.verdict],
        }
        for s in scores
    ]


def people_rows(exam, district_id=None, zone=None):
    """Every rostered person with their status and score: one query."""
    district = Unit.__table__.alias("district")
    query = (
        select(
            district.c.name,
            Unit.code,
            Unit.name,
            User.name,
            User.username,
            RosterEntry.excuse_reason,
            Attempt.state,
            Attempt.score,
            Attempt.submitted_at,
            Attempt.departures,
        )
        .select_from(RosterEntry)
        .join(User, User.id == RosterEntry.user_id)
        .join(Unit, Unit.id == RosterEntry.unit_id)
        .outerjoin(district, district.c.id == RosterEntry.district_id)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.exam_id == exam.id)
        .order_by(Unit.path, User.username)
    )
    if district_id is not None:
        query = query.where(RosterEntry.district_id == district_id)
    rows = []
    for (
        district_name,
        code,
        unit_name,
        name,
        username,
        excuse,
        state,
        score,
        submitted_at,
        departures,
    ) in db.session.execute(query):
        rows.append(
            {
                "区县": district_name or "",
                "单位编码": code,
                "单位名称": unit_name,
                "姓名": name,
                "用户名": username,
                "状态": person_status(state, excuse),
                "成绩": _number(score) if state == AttemptState.SUBMITTED else None,
                "交卷时间": submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if submitted_at and zone else "",
                "离开页面次数": departures or 0,
                "缺考原因": excuse or "",
            }
        )
    return rows


def person_status(state, excuse_reason):
    if state == AttemptState.SUBMITTED:
        return "已交卷"
    if state == AttemptState.VOIDED:
        return "答卷作废（计 0 分）"
    if state == AttemptState.IN_PROGRESS:
        return "作答中"
    return "批准缺考" if excuse_reason else "缺考（计 0 分）"


def district_rows(scores):
    return [
        {
            "区县": d.district_name,
            "单位数": d.units,
            "合格": d.passed,
            "取消验收资格": d.disqualified,
            "无有效成绩": d.no_result,
            "单位平均分的平均": _number(d.mean_of_averages),
        }
        for d in district_summaries(scores)
    ]


def header_lines(exam, zone):
    cycle = exam.cycle
    sealed = exam.sealed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if exam.sealed_at else "未封存（实时数据）"
    threshold = plain(cycle.threshold) if cycle else "95"
    return [
        f"考试：{exam.title}",
        f"验收年度：{cycle.name if cycle else '未指定'}；合格线：单位平均分 ≥ {threshold}；"
        f"成绩封存时间：{sealed}" + ("；状态：" + exam.status_label if exam.status != ExamStatus.SEALED else ""),
    ]


def build_workbook(exam, zone, district_id=None):
    """The xlsx bytes of the exam's results (a district's part when ``district_id`` is given)."""
    scores = unit_scores(exam, district_id)
    sheets = [
        ("单位成绩", UNIT_COLUMNS, unit_rows(scores)),
        ("人员成绩", PEOPLE_COLUMNS, people_rows(exam, district_id, zone)),
        ("区县汇总", DISTRICT_COLUMNS, district_rows(scores)),
    ]
    lines = header_lines(exam, zone)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for title, columns, rows in sheets:
            safe = [{c: neutralise(row.get(c)) for c in columns} for row in rows]
            frame = pd.DataFrame(safe, columns=columns)
            frame.to_excel(writer, index=False, sheet_name=title, startrow=HEADER_ROWS)
            sheet = writer.sheets[title]
            for number, line in enumerate(lines, start=1):
                sheet.cell(row=number, column=1, value=neutralise(line)).data_type = "s"
            for letter, column in zip("ABCDEFGHIJKL", columns, strict=False):
                sheet.column_dimensions[letter].width = max(10, min(36, len(column) * 2 + 4))
            for row in sheet.iter_rows(min_row=HEADER_ROWS + 1):
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # never a formula, whatever the text
    return buffer.getvalue()
