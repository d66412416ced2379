"""The leadership-group office's pending work, for its home page: what waits for the office,
each with a count and where it is done. A handful of queries, whatever the number of units."""

from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import func, select

from ..accreditation.recommend import services as recommend
from ..accreditation.recommend.models import Recommendation, RecommendationStatus
from ..clock import local_today
from ..cycles.models import AccreditationCycle, AccreditationRecord
from ..exams.models import Exam, ExamStatus
from ..extensions import db
from ..results.models import CorrectionStatus, PendingCorrection

#: how many items of a kind the page names before "and N more"
SHOWN = 5


@dataclass
class PendingWork:
    """One kind of work waiting for the office: ``count`` things, done at ``url``."""

    key: str
    title: str
    count: int
    #: what the count means, in a sentence ("已结束、成绩尚未封存的考试")
    text: str
    url: str
    action: str
    #: what is counted, with its measure word: "场考试"
    noun: str = "项"
    #: a few of them by name: [(label, url or None)]
    items: list = field(default_factory=list)


def exams_to_seal():
    """Closed exams whose results are not sealed yet, latest first."""
    count = db.session.scalar(select(func.count()).select_from(Exam).where(Exam.status == ExamStatus.CLOSED))
    exams = []
    if count:
        exams = db.session.scalars(
            select(Exam)
            .where(Exam.status == ExamStatus.CLOSED)
            .order_by(Exam.closes_at.desc(), Exam.id.desc())
            .limit(SHOWN)
        ).all()
    return PendingWork(
        key="seal",
        title="待封存成绩的考试",
        count=count,
        text="考试已结束，成绩尚未封存写入验收记录",
        url=url_for("exams.index", status=ExamStatus.CLOSED),
        action="查看已结束的考试",
        noun="场考试",
        items=[(e.title, url_for("results.exam", exam_id=e.id)) for e in exams],
    )


def corrections_to_confirm():
    """Corrections after the seal, proposed by an administrator, waiting for the office."""
    count = db.session.scalar(
        select(func.count()).select_from(PendingCorrection).where(PendingCorrection.status == CorrectionStatus.PENDING)
    )
    return PendingWork(
        key="corrections",
        title="待确认的成绩更正",
        count=count,
        text="封存后提出、会改变单位验收结论的更正，确认后才生效",
        url=url_for("corrections.index"),
        action="逐项确认或不予确认",
        noun="项更正",
    )


def recommendation_cycle():
    """The cycle whose recommendations matter now: the first still taking materials from this
    year on, else this year's; None if there is neither (nothing is created here)."""
    this_year = local_today().year
    cycles = db.session.scalars(
        select(AccreditationCycle).where(AccreditationCycle.year >= this_year).order_by(AccreditationCycle.year)
    ).all()
    upcoming = [c for c in cycles if recommend.is_open(c)]
    if upcoming:
        return upcoming[0]
    return next((c for c in cycles if c.year == this_year), None)


def districts_below_quota():
    """Districts whose handed-in recommendations are fewer than their quota in the current cycle
    (none while this year has no cycle)."""
    cycle = recommendation_cycle()
    if cycle is None:
        return PendingWork(
            key="quota",
            title="推荐数未达配额的区县",
            count=0,
            text=f"{local_today().year} 年度验收尚未建立，还没有推荐配额",
            url=url_for("accreditation_recommend.recommendations"),
            action="查看各区县推荐情况",
        )
    rows, _total = recommend.district_counts(cycle)
    below = [r for r in rows if r.quota > 0 and r.submitted < r.quota]
    deadline = recommend.deadline_label(cycle)
    text = f"{cycle.year} 年度推荐材料报送截止时间为 {deadline}，已报送的推荐数低于配额的区县"
    if not recommend.is_open(cycle):
        text = f"{cycle.year} 年度推荐材料报送已于 {deadline} 截止，报送的推荐数低于配额的区县"
    url = url_for("accreditation_recommend.recommendations", year=cycle.year)
    return PendingWork(
        key="quota",
        title="推荐数未达配额的区县",
        count=len(below),
        text=text,
        url=url,
        action="查看各区县推荐情况",
        noun="个区县",
        items=[(f"{r.district_name}：已报送 {r.submitted} 个，配额 {r.quota} 个", None) for r in below[:SHOWN]],
    )


def decisions_to_confirm():
    """Recommended units (handed in, or forfeited by the deadline) whose decision the office has
    not confirmed yet, by cycle: the office records their checks and confirms the decision."""
    rows = db.session.execute(
        select(AccreditationCycle.year, func.count(AccreditationRecord.id))
        .join(AccreditationRecord, AccreditationRecord.cycle_id == AccreditationCycle.id)
        .join(Recommendation, Recommendation.record_id == AccreditationRecord.id)
        .where(
            AccreditationRecord.decision.is_(None),
            Recommendation.status.in_((RecommendationStatus.SUBMITTED, RecommendationStatus.FORFEITED)),
        )
        .group_by(AccreditationCycle.year)
        .order_by(AccreditationCycle.year.desc())
    ).all()
    count = sum(n for _year, n in rows)
    latest = rows[0][0] if rows else None
    return PendingWork(
        key="decisions",
        title="待确认的验收决定",
        count=count,
        text="已推荐验收、尚未确认验收决定的单位（一听、二看、三查记录后确认决定）",
        url=url_for("accreditation.index", year=latest, decision="none") if latest else url_for("accreditation.index"),
        action="查看并确认验收决定",
        items=[
            (f"{year} 年度：{n} 个单位", url_for("accreditation.index", year=year, decision="none"))
            for year, n in rows[:SHOWN]
        ],
    )


def office_pending_work():
    """The office's pending work, in the order it is usually done; kinds with nothing waiting
    are kept (count 0) so the page can say so."""
    return [exams_to_seal(), corrections_to_confirm(), districts_below_quota(), decisions_to_confirm()]
