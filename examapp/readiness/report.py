"""The readiness of the units in a scope: the figures of each unit, its forecast, the districts' summary."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from ..clock import local_today, utcnow
from . import forecast as fc
from . import queries

#: a unit is at risk when its chance of falling below the threshold is at least this
AT_RISK = 0.20


@dataclass
class UnitReadiness:
    unit_id: int
    code: str
    name: str
    parent_name: str
    district_id: int
    district_name: str
    threshold: Decimal
    source: str
    people: list = field(default_factory=list)  # Person, excused included
    forecast: fc.UnitForecast | None = None

    @property
    def counted(self):
        return [p for p in self.people if not p.excused]

    @property
    def staff(self):
        return len(self.counted)

    @property
    def excused(self):
        return len(self.people) - self.staff

    @property
    def practised(self):
        return sum(1 for p in self.counted if p.practice_answers)

    @property
    def practice_answers(self):
        return sum(p.practice_answers for p in self.counted)

    @property
    def with_mocks(self):
        return sum(1 for p in self.counted if p.recent)

    @property
    def without_data(self):
        return self.staff - self.with_mocks

    @property
    def without_share(self):
        return self.without_data / self.staff if self.staff else 0.0

    @property
    def mocks(self):
        return sum(p.mocks for p in self.counted)

    @property
    def mock_mean(self):
        """The mean of the recent mock means of the people with mocks (None: nobody has one)."""
        means = [p.recent_mean for p in self.counted if p.recent]
        return sum(means) / len(means) if means else None

    @property
    def at_risk(self):
        return self.forecast is not None and self.forecast.p_below >= AT_RISK

    @property
    def data_note(self):
        """What the forecast rests on, in words."""
        if not self.staff:
            return "无应考人员"
        if not self.without_data:
            return f"{self.staff} 人均有近期模拟成绩"
        share = round(self.without_share * 100)
        if self.without_data == self.staff:
            return f"{self.staff} 人均无模拟成绩，全部按全区有数据人员的分布估计，仅供参考"
        return f"{self.without_data} 人无模拟成绩，占单位人数的 {share}%，按全区有数据人员的分布估计"


@dataclass
class DistrictSummary:
    district_id: int
    name: str
    source: str
    threshold: Decimal
    units: int = 0
    at_risk: int = 0
    staff: int = 0
    without_data: int = 0
    practised: int = 0
    forecast_means: list = field(default_factory=list)

    @property
    def mean_forecast(self):
        return sum(self.forecast_means) / len(self.forecast_means) if self.forecast_means else None


@dataclass
class Readiness:
    units: list  # UnitReadiness, districts in code order, units by code
    districts: list  # DistrictSummary
    made_at: object
    absence: float = 0.0

    @property
    def at_risk(self):
        return [u for u in self.units if u.at_risk]


def build(scope, now=None, district_id=None):
    """The readiness of every assessed unit in ``scope`` (a district Unit, or None for the city),
    optionally one district of it."""
    now = now or utcnow()
    units = queries.load_units(scope)
    districts = {uid: u for uid, u in units.items() if u.kind == "district"}
    if district_id is not None:
        districts = {k: v for k, v in districts.items() if k == district_id}
    cohorts = queries.cohorts(list(districts), local_today().year)
    people = queries.load_people(units, cohorts)
    queries.attach_activity(people, now)
    rows = {}
    for uid, u in units.items():
        if u.kind == "district":
            continue
        did = queries.district_of_path(u.path)
        if did not in districts:
            continue
        cohort = cohorts[did]
        parent = units.get(u.parent_id)
        rows[uid] = UnitReadiness(
            uid,
            u.code,
            u.name,
            parent.name if parent is not None and parent.kind != "district" else "",
            did,
            districts[did].name,
            cohort.threshold,
            cohort.source_label,
        )
    for person in people:
        if person.unit_id in rows:
            rows[person.unit_id].people.append(person)
    _forecast(rows, cohorts)
    ordered = sorted(rows.values(), key=lambda r: (districts[r.district_id].code, r.code))
    return Readiness(ordered, _summaries(ordered, districts, cohorts), now)


def _forecast(rows, cohorts):
    """Every unit's forecast, vectorised per paper (the districts sharing an exam's question count)."""
    by_questions = defaultdict(list)
    for row in rows.values():
        counted = row.counted
        if counted:
            by_questions[cohorts[row.district_id].questions].extend((row, p) for p in counted)
    for questions, pairs in by_questions.items():
        unit_of = np.array([r.unit_id for r, _ in pairs])
        forecasts, expected = fc.forecast_units(
            unit_of,
            np.array([p.recent for _, p in pairs], dtype=float),
            np.array([p.recent_sum for _, p in pairs], dtype=float),
            np.array([r.district_id for r, _ in pairs]),
            {r.unit_id: float(r.threshold) for r, _ in pairs},
            questions=questions,
            with_people=True,
        )
        for (_, person), value in zip(pairs, expected, strict=True):
            person.expected = float(value)
        for unit_id, result in forecasts.items():
            rows[unit_id].forecast = result


def _summaries(rows, districts, cohorts):
    summaries = {
        did: DistrictSummary(did, d.name, cohorts[did].source_label, cohorts[did].threshold)
        for did, d in sorted(districts.items(), key=lambda kv: kv[1].code)
    }
    for row in rows:
        s = summaries[row.district_id]
        s.units += 1
        s.staff += row.staff
        s.without_data += row.without_data
        s.practised += row.practised
        if row.at_risk:
            s.at_risk += 1
        if row.forecast is not None:
            s.forecast_means.append(row.forecast.mean)
    return list(summaries.values())


def attach_categories(rows, now=None):
    """Weakest categories of each person and each unit of ``rows`` (a unit's page, a district's export)."""
    now = now or utcnow()
    people = [p for r in rows for p in r.people]
    figures, names = queries.category_figures(people, now)
    unit_weak = {}
    for row in rows:
        totals = {}
        for person in row.people:
            per = figures.get(person.user_id, {})
            person.weak = queries.weakest(per, names)
            for cid, (right, answered) in per.items():
                cell = totals.setdefault(cid, [0, 0])
                cell[0] += right
                cell[1] += answered
        unit_weak[row.unit_id] = queries.weakest(totals, names, limit=3)
    return unit_weak
