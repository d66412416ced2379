"""Reading who is to be examined, their practice and their mocks: a few grouped statements.

Who counts (docs/readiness.md): in a district with a published exam not yet closed, the people on
that exam's roster in the district (the latest such exam), in the unit frozen on their roster row,
those excused beforehand left out as the exam leaves them out; in a district without one, the
enabled examinee accounts of its streets, townships and communities. Everyone who counts is in the
forecast, whether or not they have ever practised.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, case, func, select

from .. import batches as id_batches
from ..auth.models import User
from ..bank.models import QuestionCategory, QuestionVersion
from ..batches import batches
from ..cycles.models import DEFAULT_THRESHOLD, AccreditationCycle
from ..exams.models import Exam, ExamStatus, PaperMode, RosterEntry
from ..extensions import db
from ..org.models import Unit, UnitKind
from ..practice.models import MockAttempt, MockItem, MockState, PracticeAnswer
from ..results.scores import threshold_of
from ..roles import Role
from . import forecast as fc

#: practice counted over the last 30 days; mocks: the last 5 within 60 days
PRACTICE_DAYS = 30
MOCK_DAYS = 60
RECENT_MOCKS = 5


@dataclass
class Person:
    user_id: int
    name: str
    username: str
    unit_id: int
    district_id: int
    excused: bool = False
    practice_answers: int = 0
    practice_right: int = 0
    mocks: int = 0  # mocks within MOCK_DAYS
    recent: int = 0  # of which used (the last RECENT_MOCKS)
    recent_sum: float = 0.0
    latest: float | None = None
    latest_at: object = None
    expected: float | None = None  # the forecast's expected exam score
    weak: list = field(default_factory=list)  # [(category name, right, answered)]

    @property
    def recent_mean(self):
        return self.recent_sum / self.recent if self.recent else None

    @property
    def practice_rate(self):
        return self.practice_right / self.practice_answers if self.practice_answers else None


@dataclass
class Cohort:
    """What one district is examined on: an exam's roster, or its staff."""

    district_id: int
    exam: Exam | None
    threshold: object
    questions: int

    @property
    def source_label(self):
        return f"考试名单：{self.exam.title}" if self.exam is not None else "在册考生（尚无已发布的考试）"


def _scope_filter(stmt, column_path, scope):
    return stmt if scope is None else stmt.where(column_path.startswith(scope.path, autoescape=True))


def load_units(scope):
    """{id: Unit row (id, name, kind, parent_id, path)} of the districts and assessed units in scope."""
    stmt = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.path).where(
        Unit.kind.in_((UnitKind.DISTRICT, *UnitKind.ASSESSED))
    )
    rows = db.session.execute(_scope_filter(stmt, Unit.path, scope)).all()
    return {r.id: r for r in rows}


def district_of_path(path):
    parts = path.strip("/").split("/")
    return int(parts[1]) if len(parts) > 1 else None


def _questions_of(exam):
    if exam.paper_mode == PaperMode.FIXED:
        points = [item.points for item in exam.fixed_items]
    else:
        points = [row.points for row in exam.blueprint_rows for _ in range(row.count)]
    return fc.effective_questions(points)


def cohorts(district_ids, today_year):
    """{district id: Cohort}: the latest published (open or upcoming) exam with the district on its roster."""
    pairs = db.session.execute(
        select(RosterEntry.district_id, Exam.id, Exam.opens_at)
        .join(Exam, Exam.id == RosterEntry.exam_id)
        .where(Exam.status == ExamStatus.PUBLISHED, RosterEntry.district_id.in_(district_ids))
        .group_by(RosterEntry.district_id, Exam.id, Exam.opens_at)
    ).all()
    latest = {}
    for district_id, exam_id, opens_at in pairs:
        if district_id not in latest or (opens_at, exam_id) > latest[district_id][1:]:
            latest[district_id] = (exam_id, opens_at, exam_id)
    exams = {e.id: e for e in db.session.scalars(select(Exam).where(Exam.id.in_({v[0] for v in latest.values()})))}
    cycle = db.session.scalar(select(AccreditationCycle).where(AccreditationCycle.year == today_year))
    staff_threshold = cycle.threshold if cycle is not None else DEFAULT_THRESHOLD
    questions = {exam_id: _questions_of(exam) for exam_id, exam in exams.items()}
    result = {}
    for district_id in district_ids:
        if district_id in latest:
            exam = exams[latest[district_id][0]]
            result[district_id] = Cohort(district_id, exam, threshold_of(exam), questions[exam.id])
        else:
            result[district_id] = Cohort(district_id, None, staff_threshold, fc.DEFAULT_QUESTIONS)
    return result


def load_people(units, cohorts_by_district):
    """Everyone who counts, per the module's rule: a list of Person."""
    people = []
    exam_ids = {c.exam.id for c in cohorts_by_district.values() if c.exam is not None}
    if exam_ids:
        rows = db.session.execute(
            select(
                RosterEntry.exam_id,
                RosterEntry.district_id,
                RosterEntry.unit_id,
                RosterEntry.excuse_reason.isnot(None).label("excused"),
                User.id,
                User.name,
                User.username,
            )
            .join(User, User.id == RosterEntry.user_id)
            .where(RosterEntry.exam_id.in_(exam_ids))
        ).all()
        for r in rows:
            cohort = cohorts_by_district.get(r.district_id)
            if cohort is None or cohort.exam is None or cohort.exam.id != r.exam_id or r.unit_id not in units:
                continue
            people.append(Person(r.id, r.name, r.username, r.unit_id, r.district_id, excused=bool(r.excused)))
    staff_districts = {d for d, c in cohorts_by_district.items() if c.exam is None}
    if staff_districts:
        assessed = [u.id for u in units.values() if u.kind in UnitKind.ASSESSED]
        for unit_ids in batches(assessed):
            rows = db.session.execute(
                select(User.id, User.name, User.username, User.unit_id).where(
                    User.role == Role.EXAMINEE, User.is_enabled.is_(True), User.unit_id.in_(unit_ids)
                )
            ).all()
            for r in rows:
                district_id = district_of_path(units[r.unit_id].path)
                if district_id in staff_districts:
                    people.append(Person(r.id, r.name, r.username, r.unit_id, district_id))
    people.sort(key=lambda p: (p.unit_id, p.username))
    return people


def _user_filter(column, user_ids):
    """An IN filter for a district's people; the whole city reads every row (cheaper than 10,000 ids)."""
    return column.in_(user_ids) if len(user_ids) <= id_batches.IN_BATCH else True


def attach_activity(people, now):
    """Practice (last 30 days) and mocks (within 60 days; the last 5 used) of ``people``: two statements."""
    by_user = {p.user_id: p for p in people}
    if not by_user:
        return
    ids = list(by_user)
    practice = db.session.execute(
        select(
            PracticeAnswer.user_id,
            func.count(),
            func.sum(case((PracticeAnswer.correct, 1), else_=0)),
        )
        .where(
            PracticeAnswer.answered_at >= now - timedelta(days=PRACTICE_DAYS), _user_filter(PracticeAnswer.user_id, ids)
        )
        .group_by(PracticeAnswer.user_id)
    ).all()
    for user_id, answered, right in practice:
        person = by_user.get(user_id)
        if person is not None:
            person.practice_answers, person.practice_right = int(answered), int(right or 0)
    ranked = (
        select(
            MockAttempt.user_id,
            MockAttempt.score,
            MockAttempt.submitted_at,
            func.row_number()
            .over(partition_by=MockAttempt.user_id, order_by=(MockAttempt.submitted_at.desc(), MockAttempt.id.desc()))
            .label("rn"),
            func.count().over(partition_by=MockAttempt.user_id).label("total"),
        )
        .where(
            MockAttempt.state == MockState.SUBMITTED,
            MockAttempt.score.isnot(None),
            MockAttempt.submitted_at >= now - timedelta(days=MOCK_DAYS),
            _user_filter(MockAttempt.user_id, ids),
        )
        .subquery()
    )
    mocks = db.session.execute(
        select(
            ranked.c.user_id,
            func.max(ranked.c.total),
            func.count(),
            func.sum(ranked.c.score),
            func.max(case((ranked.c.rn == 1, ranked.c.score))),
            func.max(case((ranked.c.rn == 1, ranked.c.submitted_at))),
        )
        .where(ranked.c.rn <= RECENT_MOCKS)
        .group_by(ranked.c.user_id)
    ).all()
    for user_id, total, recent, score_sum, latest, latest_at in mocks:
        person = by_user.get(user_id)
        if person is not None:
            person.mocks, person.recent, person.recent_sum = int(total), int(recent), float(score_sum)
            person.latest = float(latest) if latest is not None else None
            person.latest_at = latest_at


#: a category is named weak with at least this many answers (practice and mocks together)
MIN_CATEGORY_ANSWERS = 3


def category_figures(people, now):
    """{user id: {category id: [right, answered]}} from practice (30 days) and the recent mocks' items,
    and {category id: name}. Two grouped statements per ``batches.IN_BATCH`` people (a city's export names
    every person in the city); for a unit's, a district's or the city's people."""
    figures = {}
    for ids in batches(dict.fromkeys(p.user_id for p in people)):
        for user_id, category_id, right, answered in _category_rows(ids, now):
            cell = figures.setdefault(user_id, {}).setdefault(category_id, [0, 0])
            cell[0] += int(right or 0)
            cell[1] += int(answered)
    names = {}
    for category_ids in batches({c for per in figures.values() for c in per}):
        rows = db.session.execute(
            select(QuestionCategory.id, QuestionCategory.name).where(QuestionCategory.id.in_(category_ids))
        ).all()
        names.update((row.id, row.name) for row in rows)
    return figures, names


def _category_rows(ids, now):
    """(user id, category id, right, answered) of the people ``ids``: practice, then the recent mocks."""
    rows = db.session.execute(
        select(
            PracticeAnswer.user_id,
            PracticeAnswer.category_id,
            func.sum(case((PracticeAnswer.correct, 1), else_=0)),
            func.count(),
        )
        .where(PracticeAnswer.answered_at >= now - timedelta(days=PRACTICE_DAYS), PracticeAnswer.user_id.in_(ids))
        .group_by(PracticeAnswer.user_id, PracticeAnswer.category_id)
    ).all()
    ranked = (
        select(
            MockAttempt.id,
            func.row_number()
            .over(partition_by=MockAttempt.user_id, order_by=(MockAttempt.submitted_at.desc(), MockAttempt.id.desc()))
            .label("rn"),
        )
        .where(
            MockAttempt.state == MockState.SUBMITTED,
            MockAttempt.submitted_at >= now - timedelta(days=MOCK_DAYS),
            MockAttempt.user_id.in_(ids),
        )
        .subquery()
    )
    rows += db.session.execute(
        select(
            MockAttempt.user_id,
            QuestionVersion.category_id,
            func.sum(case((and_(MockItem.awarded.isnot(None), MockItem.awarded >= MockItem.points), 1), else_=0)),
            func.count(),
        )
        .select_from(MockItem)
        .join(ranked, and_(ranked.c.id == MockItem.mock_id, ranked.c.rn <= RECENT_MOCKS))
        .join(MockAttempt, MockAttempt.id == MockItem.mock_id)
        .join(QuestionVersion, QuestionVersion.id == MockItem.question_version_id)
        .group_by(MockAttempt.user_id, QuestionVersion.category_id)
    ).all()
    return rows


def weakest(per_category, names, limit=2):
    """The categories answered worst (at least MIN_CATEGORY_ANSWERS answers): [(name, right, answered)]."""
    shown = [
        (names.get(cid, str(cid)), right, answered)
        for cid, (right, answered) in per_category.items()
        if answered >= MIN_CATEGORY_ANSWERS and right < answered
    ]
    shown.sort(key=lambda t: (t[1] / t[2], -t[2], t[0]))
    return shown[:limit]
