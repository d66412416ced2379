"""Unit scores under the notice's rule, computed in the database.

A unit's result is the average score of the staff on the exam's roster whose unit (frozen
on the roster row) it is. A rostered person who did not sit counts as 0, unless an
administrator excused the absence with a reason: then they leave the denominator. The
average is compared with the cycle's threshold exactly (``score_sum >= threshold x
denominator`` in Decimal) and shown floored to two decimals, so a shown figure never rounds
up across the threshold (94.996 shows 94.99). Exactly the threshold passes.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from sqlalchemy import and_, case, func, select

from ..cycles.models import DEFAULT_THRESHOLD
from ..exams.models import RosterEntry
from ..extensions import db
from ..numbers import plain
from ..org.models import Unit
from ..sitting.models import Attempt, AttemptState


class Verdict:
    PASSED = "passed"
    DISQUALIFIED = "disqualified"
    NO_RESULT = "no_result"

    ALL = (PASSED, DISQUALIFIED, NO_RESULT)
    LABELS = {PASSED: "合格", DISQUALIFIED: "取消验收资格", NO_RESULT: "无有效成绩"}


CENT = Decimal("0.01")


def floor2(value):
    """A figure floored to two decimals (a Fraction or Decimal in, a Decimal out)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return (Decimal(value.numerator * 100 // value.denominator) / 100).quantize(CENT)
    return Decimal(value).quantize(CENT, rounding=ROUND_FLOOR)


def verdict_of(score_sum, denominator, threshold):
    if denominator <= 0:
        return Verdict.NO_RESULT
    return Verdict.PASSED if Decimal(score_sum) >= Decimal(threshold) * denominator else Verdict.DISQUALIFIED


@dataclass(frozen=True)
class UnitScore:
    """One unit's figures; the same shape whether computed live or read from a sealed exam."""

    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    district_id: int | None
    district_name: str
    roster_size: int
    sat: int
    excused: int
    absent: int
    score_sum: Decimal
    highest: Decimal | None
    lowest: Decimal | None
    threshold: Decimal
    revision: int = 0
    #: handed in, the score still being computed (live figures only, for seconds): neither sat
    #: nor absent, and the unit's average waits for them
    grading: int = 0

    @property
    def denominator(self):
        return self.roster_size - self.excused

    @property
    def average(self):
        """Exact (a Fraction), or None when nobody counts or a score is still being computed."""
        if self.denominator <= 0 or self.grading:
            return None
        return Fraction(Decimal(self.score_sum)) / self.denominator

    @property
    def average_shown(self):
        return floor2(self.average)

    @property
    def verdict(self):
        return verdict_of(self.score_sum, self.denominator, self.threshold)

    @property
    def verdict_label(self):
        return Verdict.LABELS[self.verdict]

    @property
    def reason(self):
        """The record's words for this result."""
        threshold = _plain(self.threshold)
        if self.verdict == Verdict.NO_RESULT:
            return f"应考 {self.roster_size} 人均已批准缺考，无考试成绩"
        if self.verdict == Verdict.PASSED:
            return f"考试平均分 {self.average_shown} ≥ {threshold}"
        return f"考试平均分 {self.average_shown} < {threshold}"


def _plain(value):
    """95.00 -> "95", 94.50 -> "94.5"."""
    return plain(value)


def threshold_of(exam):
    return exam.cycle.threshold if exam.cycle is not None else DEFAULT_THRESHOLD


def live_unit_scores(exam, district_id=None, unit_id=None):
    """Every rostered unit's figures from the attempts as they are now: one grouped query."""
    handed_in = Attempt.state.in_((AttemptState.SUBMITTED, AttemptState.GRADING))
    grading = Attempt.state == AttemptState.GRADING
    excused = and_(RosterEntry.excuse_reason.isnot(None), Attempt.id.is_(None))
    figures = (
        select(
            RosterEntry.unit_id.label("unit_id"),
            func.max(RosterEntry.district_id).label("district_id"),
            func.count(RosterEntry.id).label("roster_size"),
            func.count(Attempt.id).label("handed_in"),
            func.sum(case((grading, 1), else_=0)).label("grading"),
            func.sum(case((excused, 1), else_=0)).label("excused"),
            func.coalesce(func.sum(Attempt.score), 0).label("score_sum"),
            func.max(Attempt.score).label("highest"),
            func.min(Attempt.score).label("lowest"),
        )
        .select_from(RosterEntry)
        .outerjoin(
            Attempt,
            and_(Attempt.roster_entry_id == RosterEntry.id, handed_in),
        )
        .where(RosterEntry.exam_id == exam.id)
        .group_by(RosterEntry.unit_id)
    )
    if district_id is not None:
        figures = figures.where(RosterEntry.district_id == district_id)
    if unit_id is not None:
        figures = figures.where(RosterEntry.unit_id == unit_id)
    figures = figures.subquery()
    district = Unit.__table__.alias("district")
    rows = db.session.execute(
        select(figures, Unit.code, Unit.name, Unit.kind, district.c.name.label("district_name"))
        .join(Unit, Unit.id == figures.c.unit_id)
        .outerjoin(district, district.c.id == figures.c.district_id)
        .order_by(Unit.path)
    ).all()
    threshold = threshold_of(exam)
    return [
        UnitScore(
            unit_id=row.unit_id,
            unit_code=row.code,
            unit_name=row.name,
            unit_kind=row.kind,
            district_id=row.district_id,
            district_name=row.district_name or "",
            roster_size=row.roster_size,
            sat=row.handed_in - int(row.grading or 0),
            excused=int(row.excused or 0),
            absent=row.roster_size - row.handed_in - int(row.excused or 0),
            score_sum=Decimal(row.score_sum),
            highest=row.highest,
            lowest=row.lowest,
            threshold=threshold,
            grading=int(row.grading or 0),
        )
        for row in rows
    ]


def sealed_unit_scores(exam, district_id=None, unit_id=None):
    """The figures stored at the seal (and by corrections since)."""
    from .models import UnitResult

    district = Unit.__table__.alias("district")
    query = (
        select(UnitResult, Unit.code, Unit.name, Unit.kind, district.c.name.label("district_name"))
        .join(Unit, Unit.id == UnitResult.unit_id)
        .outerjoin(district, district.c.id == UnitResult.district_id)
        .where(UnitResult.exam_id == exam.id)
        .order_by(Unit.path)
    )
    if district_id is not None:
        query = query.where(UnitResult.district_id == district_id)
    if unit_id is not None:
        query = query.where(UnitResult.unit_id == unit_id)
    return [
        UnitScore(
            unit_id=r.unit_id,
            unit_code=code,
            unit_name=name,
            unit_kind=kind,
            district_id=r.district_id,
            district_name=district_name or "",
            roster_size=r.roster_size,
            sat=r.sat,
            excused=r.excused,
            absent=r.absent,
            score_sum=r.score_sum,
            highest=r.highest,
            lowest=r.lowest,
            threshold=r.threshold,
            revision=r.revision,
        )
        for r, code, name, kind, district_name in db.session.execute(query).all()
    ]


def unit_scores(exam, district_id=None, unit_id=None):
    """Sealed figures for a sealed exam, live ones otherwise."""
    from ..exams.models import ExamStatus

    if exam.status == ExamStatus.SEALED:
        return sealed_unit_scores(exam, district_id, unit_id)
    return live_unit_scores(exam, district_id, unit_id)


@dataclass(frozen=True)
class DistrictSummary:
    district_id: int | None
    district_name: str
    units: int
    passed: int
    disqualified: int
    no_result: int
    mean_of_averages: Decimal | None  # floored to two decimals


def district_summaries(scores):
    """Per district: units, pass and disqualified counts, and the mean of unit averages."""
    groups = {}
    for score in scores:
        groups.setdefault((score.district_id, score.district_name), []).append(score)
    summaries = []
    for (district_id, name), members in groups.items():
        averages = [s.average for s in members if s.average is not None]
        summaries.append(
            DistrictSummary(
                district_id=district_id,
                district_name=name,
                units=len(members),
                passed=sum(1 for s in members if s.verdict == Verdict.PASSED),
                disqualified=sum(1 for s in members if s.verdict == Verdict.DISQUALIFIED),
                no_result=sum(1 for s in members if s.verdict == Verdict.NO_RESULT),
                mean_of_averages=floor2(sum(averages, Fraction(0)) / len(averages)) if averages else None,
            )
        )
    return summaries


def histogram(exam, district_id=None, width=5):
    """Counts of submitted scores in bins of ``width`` points (0-5, 5-10, ..., 95-100 with 100 in the last)."""
    bin_of = func.floor(Attempt.score / width)
    query = (
        select(bin_of.label("bin"), func.count())
        .join(RosterEntry, RosterEntry.id == Attempt.roster_entry_id)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.SUBMITTED)
        .group_by(bin_of)
    )
    if district_id is not None:
        query = query.where(RosterEntry.district_id == district_id)
    last = 100 // width - 1
    counts = [0] * (last + 1)
    for bin_no, count in db.session.execute(query).all():
        counts[min(int(bin_no), last)] += count
    return [{"label": f"{i * width}–{(i + 1) * width}", "count": c} for i, c in enumerate(counts)]
