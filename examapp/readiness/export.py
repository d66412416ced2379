"""Readiness as a workbook: one sheet of units, one of people (rows built here, ``spreadsheets`` writes)."""

from ..spreadsheets import DATETIME, DECIMAL, INTEGER, Column, Sheet, made_at_line, write_workbook

UNIT_COLUMNS = [
    Column("区县"),
    Column("街道/乡镇"),
    Column("单位"),
    Column("单位编码"),
    Column("应考人数", INTEGER),
    Column("批准缺考", INTEGER),
    Column("近30天练习人数", INTEGER),
    Column("近30天练习题数", INTEGER),
    Column("有模拟成绩人数", INTEGER),
    Column("无模拟成绩人数", INTEGER),
    Column("近期模拟平均分", DECIMAL),
    Column("预测平均分", DECIMAL),
    Column("预测区间下限(10%)", DECIMAL),
    Column("预测区间上限(90%)", DECIMAL),
    Column("低于合格线的可能(%)", DECIMAL),
    Column("合格线", DECIMAL),
    Column("风险"),
    Column("薄弱类别"),
    Column("说明"),
]
PEOPLE_COLUMNS = [
    Column("区县"),
    Column("单位"),
    Column("姓名"),
    Column("用户名"),
    Column("批准缺考"),
    Column("近30天练习题数", INTEGER),
    Column("练习正确率(%)", DECIMAL),
    Column("60天内模拟次数", INTEGER),
    Column("最近一次模拟", DECIMAL),
    Column("最近一次模拟时间", DATETIME),
    Column("近5次模拟平均", DECIMAL),
    Column("预计考试得分", DECIMAL),
    Column("薄弱类别"),
]


def _weak_text(weak):
    return "、".join(f"{name}（{right}/{answered}）" for name, right, answered in weak)


def unit_rows(result, unit_weak):
    rows = []
    for u in result.units:
        f = u.forecast
        rows.append(
            {
                "区县": u.district_name,
                "街道/乡镇": u.parent_name,
                "单位": u.name,
                "单位编码": u.code,
                "应考人数": u.staff,
                "批准缺考": u.excused,
                "近30天练习人数": u.practised,
                "近30天练习题数": u.practice_answers,
                "有模拟成绩人数": u.with_mocks,
                "无模拟成绩人数": u.without_data,
                "近期模拟平均分": round(u.mock_mean, 2) if u.mock_mean is not None else None,
                "预测平均分": round(f.mean, 2) if f else None,
                "预测区间下限(10%)": round(f.p10, 2) if f else None,
                "预测区间上限(90%)": round(f.p90, 2) if f else None,
                "低于合格线的可能(%)": round(f.p_below * 100, 1) if f else None,
                "合格线": float(u.threshold),
                "风险": "有风险" if u.at_risk else "",
                "薄弱类别": _weak_text(unit_weak.get(u.unit_id, [])),
                "说明": u.data_note,
            }
        )
    return rows


def people_rows(result):
    rows = []
    for u in result.units:
        for p in u.people:
            rows.append(
                {
                    "区县": u.district_name,
                    "单位": u.name,
                    "姓名": p.name,
                    "用户名": p.username,
                    "批准缺考": "是" if p.excused else "",
                    "近30天练习题数": p.practice_answers,
                    "练习正确率(%)": round(p.practice_rate * 100, 1) if p.practice_rate is not None else None,
                    "60天内模拟次数": p.mocks,
                    "最近一次模拟": p.latest,
                    "最近一次模拟时间": p.latest_at,
                    "近5次模拟平均": round(p.recent_mean, 2) if p.recent_mean is not None else None,
                    "预计考试得分": round(p.expected, 2) if p.expected is not None and not p.excused else None,
                    "薄弱类别": _weak_text(p.weak),
                }
            )
    return rows


def build_workbook(result, unit_weak, zone):
    scope = "、".join(d.name for d in result.districts) if len(result.districts) <= 3 else "全市"
    risky = len(result.at_risk)
    lines = [
        f"单位考试准备情况 · {scope}",
        f"共 {len(result.units)} 个单位，其中 {risky} 个有风险（低于合格线的可能 ≥ 20%）；预测依据近 5 次（60 天内）模拟成绩，仅供参考",
        made_at_line(result.made_at, zone),
    ]
    return write_workbook(
        [
            Sheet("单位", UNIT_COLUMNS, unit_rows(result, unit_weak), lines),
            Sheet("人员", PEOPLE_COLUMNS, people_rows(result), lines),
        ],
        zone=zone,
    )
