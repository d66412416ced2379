"""The results workbook: units, people and districts, with a title block naming the exam, cycle and seal.

Written by ``spreadsheets.write_workbook``: counts and scores are numbers (scores shown with two
decimals), times are date-times in Beijing time, every text cell is neutralised (a leading
= + - @ gets a quote) and written as a string, so a malicious unit or person name never runs as a
formula. The same function serves the download and ``flask report unit-scores``.
"""

from sqlalchemy import select

from ..auth.models import User
from ..exams.models import ExamStatus, RosterEntry
from ..extensions import db
from ..numbers import plain
from ..org.models import Unit
from ..sitting.grading import grade_exam_first
from ..sitting.models import Attempt, AttemptState
from ..spreadsheets import DATETIME, DECIMAL, INTEGER, Column, Sheet, made_at_line, write_workbook
from .scores import Verdict, district_summaries, unit_scores

UNIT_COLUMNS = [
    Column("区县"),
    Column("单位编码"),
    Column("单位名称"),
    Column("单位类型"),
    Column("应考人数", INTEGER),
    Column("实考人数", INTEGER),
    Column("批准缺考", INTEGER),
    Column("缺考", INTEGER),
    Column("平均分", DECIMAL),
    Column("最高分", DECIMAL),
    Column("最低分", DECIMAL),
    Column("结果"),
]
PEOPLE_COLUMNS = [
    Column("区县"),
    Column("单位编码"),
    Column("单位名称"),
    Column("姓名"),
    Column("用户名"),
    Column("状态"),
    Column("成绩", DECIMAL),
    Column("交卷时间", DATETIME),
    Column("离开页面次数", INTEGER),
    Column("缺考原因"),
]
DISTRICT_COLUMNS = [
    Column("区县"),
    Column("单位数", INTEGER),
    Column("合格", INTEGER),
    Column("取消验收资格", INTEGER),
    Column("无有效成绩", INTEGER),
    Column("单位平均分的平均", DECIMAL),
]

#: rows above each sheet's table: three title lines and a blank row (``pd.read_excel(skiprows=4)``)
HEADER_ROWS = 4

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
                "交卷时间": submitted_at,
                "离开页面次数": departures or 0,
                "缺考原因": excuse or "",
            }
        )
    return rows


def person_status(state, excuse_reason):
    if state == AttemptState.SUBMITTED:
        return "已交卷"
    if state == AttemptState.GRADING:
        return "已交卷（成绩计算中）"
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
    """Which exam and when it was held; its cycle, pass mark and seal (the title block's second line)."""
    cycle = exam.cycle
    sealed = exam.sealed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if exam.sealed_at else "未封存（实时数据）"
    threshold = plain(cycle.threshold) if cycle else "95"
    held = f"{exam.opens_at.astimezone(zone):%Y-%m-%d %H:%M} 至 {exam.closes_at.astimezone(zone):%Y-%m-%d %H:%M}"
    return [
        f"考试：{exam.title}",
        f"考试时间：{held}；验收年度：{cycle.name if cycle else '未指定'}；合格线：单位平均分 ≥ {threshold}；"
        f"成绩封存时间：{sealed}" + ("；状态：" + exam.status_label if exam.status != ExamStatus.SEALED else ""),
    ]


def build_workbook(exam, zone, district_id=None, *, made_at=None):
    """The xlsx bytes of the exam's results (a district's part when ``district_id`` is given).

    Each sheet's title block: what it is and which exam; the exam's time, cycle, pass mark and
    seal; whose part, how many rows and when the file was made (Beijing time). Then a blank row
    and the header (row ``HEADER_ROWS + 1``). Hand-ins still pending are graded first (in the
    caller's transaction); one another grader holds at this moment shows as 成绩计算中.
    """
    if exam.status != ExamStatus.SEALED:
        grade_exam_first(exam.id)
    scores = unit_scores(exam, district_id)
    exam_line, cycle_line = header_lines(exam, zone)
    district = db.session.get(Unit, district_id) if district_id is not None else None
    scope = district.name if district is not None else "全市"
    made = made_at_line(made_at, zone)
    sheets = [
        ("单位成绩", UNIT_COLUMNS, unit_rows(scores)),
        ("人员成绩", PEOPLE_COLUMNS, people_rows(exam, district_id, zone)),
        ("区县汇总", DISTRICT_COLUMNS, district_rows(scores)),
    ]
    return write_workbook(
        [
            Sheet(
                name, columns, rows, [f"{name} · {exam_line}", cycle_line, f"范围：{scope}；共 {len(rows)} 行；{made}"]
            )
            for name, columns, rows in sheets
        ],
        zone=zone,
    )
