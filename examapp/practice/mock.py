"""Mock exams: a timed paper drawn afresh each time, graded at once, reviewed in full, counted nowhere.

A mock follows the blueprint of an exam the person is rostered on (drawn by the exam's own rules,
``exams.paper.draw_from``), or the default 100-point blueprint below over the questions open for
practice. A fixed paper is never handed out as a mock (that would be the exam's own questions and
key before the exam): its make-up (types, counts, points) is drawn from the practice bank instead,
no question twice; and no mock, whichever way it is drawn, takes a question on the fixed paper of
an exam not yet over (``practice.secret_question_ids``).
The tables are the practice package's own; no result, seal, record, monitor or integrity
computation reads them. Services flush; the request commits.
"""

import functools
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from ..bank.card import shown_letters
from ..bank.content import QType
from ..bank.grading import MultipleMode, grade_response
from ..bank.models import Question, QuestionVersion
from ..bank.services import drawable_questions
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import FULL_MARKS, Exam, ExamStatus, FixedPaperItem, PaperMode, RosterEntry
from ..exams.paper import SECTION_ORDER, DrawnQuestion, PaperSource, draw_from, paper_source, paper_total
from ..extensions import db
from ..sitting.saving import clean_response, rule_of
from . import services as practice
from .models import MockAttempt, MockItem, MockState
from .wrongbook import note_answer

#: the default mock: (type, questions, points each) = 40 + 30 + 20 + 10 = 100 points
DEFAULT_BLUEPRINT = (
    (QType.SINGLE, 40, Decimal("1")),
    (QType.MULTIPLE, 20, Decimal("1.5")),
    (QType.JUDGE, 20, Decimal("1")),
    (QType.BLANK, 10, Decimal("1")),
)
DEFAULT_MINUTES = 60
FULL = Decimal("100")
CENT = Decimal("0.01")
#: a save or hand-in sent as the timer reaches 0 is still taken this long after the deadline
GRACE = timedelta(seconds=30)


class MockRefused(DomainError):
    """A mock may not be started or used now; ``reason`` names why (for JSON answers and tests)."""

    def __init__(self, message, reason="refused"):
        super().__init__(message)
        self.reason = reason


# --- may the person use mocks now -----------------------------------------------------------------


def ensure_mocks_open(user):
    """Raise MockRefused when practice is closed city-wide or the person is sitting an exam
    (the practice package's rules, shared by practice and mocks)."""
    try:
        practice.ensure_practice_open(practice.practice_settings())
        practice.ensure_no_exam_in_progress(user)
    except practice.PracticeRefused as exc:
        raise MockRefused(exc.message, exc.reason) from exc


class PracticeBank:
    """The practice bank as one request sees it, each part read at most once however many exams
    the mock list shows: the open categories, the pool open for practice by type, the questions on
    a secret fixed paper, and each blueprint exam's candidates without them."""

    def __init__(self):
        self._sources = {}

    @functools.cached_property
    def allowed(self):
        """Ids of the categories open for practice (each with its subtree), or None: every category."""
        return practice.open_category_ids(practice.practice_settings())

    @functools.cached_property
    def pool(self):
        """{type: [(question id, version id, options, keep option order)]} open for practice, by question id."""
        return _practice_pool(self.allowed)

    @functools.cached_property
    def pool_sizes(self):
        return {qtype: len(entries) for qtype, entries in self.pool.items()}

    @functools.cached_property
    def secret(self):
        """Ids of the questions on the fixed paper of an exam not yet over (``practice.secret_question_ids``)."""
        return set(db.session.scalars(practice.secret_question_ids()))

    def blueprint_source(self, exam):
        """``exam``'s blueprint candidates (``exams.paper.paper_source``) less the questions on
        another exam's secret fixed paper: a mock must not hand out that exam's questions and key."""
        source = self._sources.get(exam.id)
        if source is None:
            pools = [
                (row, [candidate for candidate in pool if candidate[0] not in self.secret])
                for row, pool in paper_source(exam).pools
            ]
            source = self._sources[exam.id] = PaperSource(fixed=None, pools=pools)
        return source


# --- what can be mocked ---------------------------------------------------------------------------


@dataclass
class MockChoice:
    exam: Exam
    #: why it cannot be mocked now, or None
    problem: str | None
    fixed: bool


def rostered_exams(user):
    """The exams (not drafts) the person is on the roster of, newest first."""
    return db.session.scalars(
        select(Exam)
        .join(RosterEntry, RosterEntry.exam_id == Exam.id)
        .where(RosterEntry.user_id == user.id, Exam.status != ExamStatus.DRAFT)
        .order_by(Exam.opens_at.desc(), Exam.id.desc())
        .options(selectinload(Exam.blueprint_rows))
    ).all()


def _exam_problem(exam, bank, makeup=None):
    """Why a mock cannot follow this exam's paper, or None. ``makeup``: a fixed paper's
    ``fixed_makeup``, when already read."""
    if exam.paper_mode == PaperMode.FIXED:
        rows = makeup if makeup is not None else fixed_makeup(exam)
        plan, _note = plan_rows(rows, scale=False, pool_sizes=bank.pool_sizes)
        return None if plan is not None and rows else "练习题库中的题目不够按此考试的题型和题量组卷"
    if not exam.blueprint_rows or paper_total(exam) != FULL_MARKS:
        return "此考试的试卷暂时无法抽题"
    allowed = bank.allowed
    if allowed is not None and any(row.category_id not in allowed for row in exam.blueprint_rows):
        return "此考试涉及的部分知识点未开放练习"
    try:
        # the rows drawn as the exam draws them, from the candidates a mock may use; rows that
        # draw once draw for every seed (``exams.paper._draw_blueprint``)
        draw_from(exam, bank.blueprint_source(exam), seed=0)
    except DomainError:
        return "此考试的试卷暂时无法抽题"
    return None


def mock_choices(user, bank=None):
    """[MockChoice] for the exams the person is rostered on: the practice pool and every fixed
    paper's make-up read once, whatever the number of exams."""
    bank = bank or PracticeBank()
    exams = rostered_exams(user)
    makeups = fixed_makeups([exam.id for exam in exams if exam.paper_mode == PaperMode.FIXED])
    return [
        MockChoice(exam, _exam_problem(exam, bank, makeups.get(exam.id, [])), exam.paper_mode == PaperMode.FIXED)
        for exam in exams
    ]


def fixed_makeups(exam_ids):
    """{exam id: its fixed paper's make-up [(type, count, points each)] in paper order}, in one statement."""
    if not exam_ids:
        return {}
    counts = {}
    for exam_id, qtype, points in db.session.execute(
        select(FixedPaperItem.exam_id, QuestionVersion.qtype, FixedPaperItem.points)
        .join(QuestionVersion, QuestionVersion.id == FixedPaperItem.question_version_id)
        .where(FixedPaperItem.exam_id.in_(exam_ids))
    ):
        per_exam = counts.setdefault(exam_id, {})
        key = (qtype, Decimal(points))
        per_exam[key] = per_exam.get(key, 0) + 1
    return {
        exam_id: sorted(((q, n, p) for (q, p), n in per_exam.items()), key=lambda r: (SECTION_ORDER[r[0]], r[2]))
        for exam_id, per_exam in counts.items()
    }


def fixed_makeup(exam):
    """A fixed paper's make-up: [(type, count, points each)] in paper order."""
    return fixed_makeups([exam.id]).get(exam.id, [])


# --- the default blueprint and drawing from the practice bank -------------------------------------


def _practice_pool(allowed):
    """{type: [(question id, version id, options, keep option order)]} open for practice (``allowed``:
    the open category ids, None for all), by question id; never a question of a secret fixed paper."""
    stmt = (
        drawable_questions()
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .with_only_columns(
            Question.id,
            QuestionVersion.id,
            QuestionVersion.qtype,
            QuestionVersion.options,
            QuestionVersion.keep_option_order,
        )
        .order_by(Question.id)
    )
    if allowed is not None:
        stmt = stmt.where(Question.category_id.in_(allowed))
    stmt = stmt.where(Question.id.not_in(practice.secret_question_ids()))
    pool = {}
    for qid, vid, qtype, options, keep in db.session.execute(stmt):
        pool.setdefault(qtype, []).append((qid, vid, options, keep))
    return pool


def _split_cents(total, weights):
    """``total`` split in proportion to ``weights``, floored to the cent, the cents left over
    going one each to the first shares: the shares add up to ``total`` exactly."""
    weight_sum = sum(weights)
    shares = [(total * w / weight_sum).quantize(CENT, rounding=ROUND_DOWN) for w in weights]
    left = int((total - sum(shares)) / CENT)
    for i in range(left):
        shares[i % len(shares)] += CENT
    return shares


def plan_rows(rows, *, scale=True, pool_sizes=None):
    """([(type, [points of each question])], note) for blueprint ``rows`` [(type, count, points each)]
    drawn from the practice bank, or (None, note) when it cannot be drawn.

    With ``scale``, a type the bank has too few questions of is drawn as far as it goes and the
    paper's points are spread again so it still totals 100: each type keeps its share of the
    100 points (shared out among the types the bank has), split evenly over its questions to
    the cent. The note says so. Without ``scale`` a shortfall means no paper.
    """
    if pool_sizes is None:
        pool_sizes = PracticeBank().pool_sizes
    wanted = {}
    for qtype, count, _points in rows:
        wanted[qtype] = wanted.get(qtype, 0) + count
    short = {qtype: n for qtype, n in wanted.items() if pool_sizes.get(qtype, 0) < n}
    if not short:
        return [(qtype, [points] * count) for qtype, count, points in rows], None
    if not scale:
        return None, None
    counts = {qtype: min(count, pool_sizes.get(qtype, 0)) for qtype, count, _points in rows}
    present = [(qtype, count, points) for qtype, count, points in rows if counts[qtype]]
    if not present:
        return None, "练习题库中还没有可用的题目"
    shares = _split_cents(FULL, [count * points for _qtype, count, points in present])
    plan = []
    for (qtype, _count, _points), share in zip(present, shares, strict=True):
        plan.append((qtype, _split_cents(share, [1] * counts[qtype])))
    told = "、".join(f"{QType.LABELS[q]}题只有 {pool_sizes.get(q, 0)} 道（应为 {n} 道）" for q, n in short.items())
    return plan, f"练习题库题量不足：{told}。本次按现有题目组卷，分值按比例调整，满分仍为 100 分。"


def draw_from_practice_bank(plan, rng, shuffle_options=True, pool=None):
    """[DrawnQuestion] for ``plan`` [(type, [points])]: questions drawn at random without repeats
    (a type may come in several rows, one per points value, as a fixed paper's make-up does),
    shuffled within each section, options shuffled unless the version keeps their order.
    ``pool``: ``PracticeBank.pool``, when already read."""
    pool = pool if pool is not None else PracticeBank().pool
    chosen = set()
    drawn = []
    for qtype, points_list in plan:
        left = [entry for entry in pool.get(qtype, []) if entry[0] not in chosen]
        picked = rng.sample(left, len(points_list))
        for (qid, vid, options, keep), points in zip(picked, points_list, strict=True):
            chosen.add(qid)
            order = None
            if qtype in QType.CHOICE and shuffle_options and not keep:
                order = list(range(len(options)))
                rng.shuffle(order)
                order = tuple(order)
            drawn.append(DrawnQuestion(vid, qtype, points, order))
    rng.shuffle(drawn)
    drawn.sort(key=lambda q: SECTION_ORDER[q.qtype])
    return drawn


def default_plan(bank=None):
    """The default mock's plan and its note (None when the bank fills it)."""
    return plan_rows(DEFAULT_BLUEPRINT, pool_sizes=(bank or PracticeBank()).pool_sizes)


# --- starting, saving, handing in ------------------------------------------------------------------


def start_mock(user, exam=None, seed=None):
    """A new mock for ``user``: following ``exam`` (one the person is rostered on), or the default.

    A fresh draw every time (``seed`` only for tests). Raises MockRefused; nothing is stored then.
    """
    ensure_mocks_open(user)
    rng_seed = secrets.randbits(63) if seed is None else seed
    rng = random.Random(rng_seed)
    minutes = DEFAULT_MINUTES
    bank = PracticeBank()
    if exam is not None:
        rostered = db.session.scalar(
            select(exists().where(RosterEntry.exam_id == exam.id, RosterEntry.user_id == user.id))
        )
        if exam.status == ExamStatus.DRAFT or not rostered:
            raise MockRefused("你不在此考试的考生名单中，不能按它的组卷方式模拟。", "not_rostered")
        makeup = fixed_makeup(exam) if exam.paper_mode == PaperMode.FIXED else None
        problem = _exam_problem(exam, bank, makeup)
        if problem:
            raise MockRefused(problem, "cannot_draw")
        minutes = exam.duration_minutes
        if exam.paper_mode == PaperMode.FIXED:
            plan, _note = plan_rows(makeup, scale=False, pool_sizes=bank.pool_sizes)
            drawn = draw_from_practice_bank(plan, rng, exam.shuffle_options, pool=bank.pool)
        else:
            drawn = draw_from(exam, bank.blueprint_source(exam), rng_seed)
    else:
        plan, note = default_plan(bank)
        if plan is None:
            raise MockRefused(note or "练习题库中还没有可用的题目", "cannot_draw")
        drawn = draw_from_practice_bank(plan, rng, pool=bank.pool)
    now = utcnow()
    mock = MockAttempt(
        user_id=user.id,
        exam_id=exam.id if exam is not None else None,
        state=MockState.IN_PROGRESS,
        started_at=now,
        deadline_at=now + timedelta(minutes=minutes),
    )
    mock.items = [
        MockItem(
            position=position,
            question_version_id=q.version_id,
            points=q.points,
            option_order=list(q.option_order) if q.option_order is not None else None,
        )
        for position, q in enumerate(drawn, start=1)
    ]
    db.session.add(mock)
    db.session.flush()
    return mock


def seconds_left(mock, now=None):
    return max(0, int((mock.deadline_at - (now or utcnow())).total_seconds()))


def _lock(mock):
    """Lock the mock's row for the rest of the request and read it again: a save, a hand-in and
    the deadline's hand-in of one mock run one after another, so nothing is stored after grading
    and nothing is graded twice."""
    db.session.execute(select(MockAttempt.id).where(MockAttempt.id == mock.id).with_for_update())
    db.session.refresh(mock)


def close_if_overdue(mock, now=None):
    """Hand in a mock whose deadline (and grace) has passed, with the answers it holds. True if it did."""
    now = now or utcnow()
    if mock.state != MockState.IN_PROGRESS or now <= mock.deadline_at + GRACE:
        return False
    _lock(mock)
    if mock.state != MockState.IN_PROGRESS:
        return False
    hand_in(mock, now=now)
    return True


def close_overdue_mocks(user):
    """Hand in the person's mocks whose time has run out (when their list is shown)."""
    for mock in db.session.scalars(
        select(MockAttempt).where(
            MockAttempt.user_id == user.id,
            MockAttempt.state == MockState.IN_PROGRESS,
            MockAttempt.deadline_at < utcnow() - GRACE,
        )
    ):
        close_if_overdue(mock)


def _items_with_versions(mock):
    return db.session.scalars(
        select(MockItem)
        .where(MockItem.mock_id == mock.id)
        .order_by(MockItem.position)
        .options(selectinload(MockItem.version))
    ).all()


def parse_answers(mock, answers):
    """{position: response in the version's letters} from a page's answers [{position, response}],
    checked exactly as exam saves are (``sitting.saving.clean_response``). Raises DomainError for
    anything no page would send; nothing is parsed in part."""
    if not isinstance(answers, list) or len(answers) > 500:
        raise DomainError("答案格式无效")
    items = {item.position: item for item in _items_with_versions(mock)}
    parsed = {}
    for answer in answers:
        if not isinstance(answer, dict):
            raise DomainError("答案格式无效")
        position = answer.get("position")
        if type(position) is not int or position not in items:
            raise DomainError("题号不正确")
        try:
            parsed[position] = clean_response(rule_of(items[position].version), answer.get("response"))
        except DomainError as exc:
            raise DomainError(f"第 {position} 题：{exc.message}") from exc
    return parsed


def save_answers(mock, answers, now=None):
    """Store the page's answers (all or none). Raises MockRefused once the mock is over."""
    now = now or utcnow()
    _lock(mock)
    if mock.state != MockState.IN_PROGRESS or now > mock.deadline_at + GRACE:
        raise MockRefused("本次模拟考试已结束，不能再修改答案。", "closed")
    parsed = parse_answers(mock, answers)
    for item in mock.items:
        if item.position in parsed:
            item.response = parsed[item.position]
    db.session.flush()
    return len(parsed)


def hand_in(mock, answers=None, now=None):
    """Store the last answers (if still in time), grade every item at once, note each answered one
    in the person's 错题本, and mark the mock submitted. Returns the score (out of 100)."""
    now = now or utcnow()
    _lock(mock)
    if mock.state != MockState.IN_PROGRESS:
        raise MockRefused("本次模拟考试已交卷。", "submitted")
    if answers is not None and now <= mock.deadline_at + GRACE:
        save_answers(mock, answers, now)
    exam = db.session.get(Exam, mock.exam_id) if mock.exam_id else None
    mode = exam.multiple_mode if exam is not None else MultipleMode.ALL_OR_NOTHING
    total = awarded = Decimal("0")
    at = min(now, mock.deadline_at)
    for item in _items_with_versions(mock):
        version = item.version
        stem = version.stem if version.qtype == QType.BLANK else None
        item.awarded = grade_response(
            version.qtype, version.answer, item.response, item.points, multiple_mode=mode, stem=stem
        )
        total += item.points
        awarded += item.awarded
        if item.response is not None:
            note_answer(mock.user_id, version.question_id, version.category_id, item.awarded >= item.points, at)
    mock.score = (awarded * FULL / total).quantize(CENT, rounding=ROUND_DOWN) if total else Decimal("0")
    mock.state, mock.submitted_at = MockState.SUBMITTED, at
    db.session.flush()
    return mock.score


# --- what the pages show --------------------------------------------------------------------------


def page_questions(mock):
    """The mock page's questions: shown options relabelled, the answers so far, nothing of the key."""
    rows = db.session.execute(
        select(
            MockItem.position,
            MockItem.points,
            MockItem.option_order,
            MockItem.response,
            QuestionVersion.qtype,
            QuestionVersion.stem,
            QuestionVersion.options,
        )
        .join(QuestionVersion, QuestionVersion.id == MockItem.question_version_id)
        .where(MockItem.mock_id == mock.id)
        .order_by(MockItem.position)
    )
    questions = []
    for position, points, order, response, qtype, stem, options in rows:
        order = order if order is not None else range(len(options))
        chosen = list(response) if isinstance(response, str) else response
        questions.append(
            {
                "position": position,
                "qtype": qtype,
                "stem": stem,
                "options": [("ABCDEF"[i], options[i]) for i in order],
                "points": points,
                "chosen": chosen or [],
                "answered": response is not None,
            }
        )
    return questions


def review_questions(mock):
    """A submitted mock's questions with the person's answer, the outcome and the key (in the
    letters the person saw)."""
    questions = []
    for item in _items_with_versions(mock):
        version = item.version
        order = item.option_order if item.option_order is not None else list(range(len(version.options)))
        chosen = list(item.response) if isinstance(item.response, str) else item.response
        awarded = item.awarded or Decimal("0")
        if item.response is None:
            outcome = "unanswered"
        elif awarded >= item.points:
            outcome = "right"
        else:
            outcome = "partial" if awarded > 0 else "wrong"
        key_letters = shown_letters(version.answer, order) if version.qtype in QType.CHOICE and version.answer else None
        questions.append(
            {
                "position": item.position,
                "qtype": version.qtype,
                "stem": version.stem,
                "options": [("ABCDEF"[i], version.options[i]) for i in order],
                "points": item.points,
                "awarded": awarded,
                "chosen": chosen or [],
                "answered": item.response is not None,
                "outcome": outcome,
                "version": version,
                "key_letters": key_letters,
                "chosen_letters": shown_letters(item.response, order)
                if version.qtype in QType.CHOICE and isinstance(item.response, str)
                else None,
            }
        )
    return questions


def past_mocks(user, limit=50):
    """The person's mocks, newest first."""
    return db.session.scalars(
        select(MockAttempt)
        .where(MockAttempt.user_id == user.id)
        .order_by(MockAttempt.started_at.desc(), MockAttempt.id.desc())
        .options(selectinload(MockAttempt.exam))
        .limit(limit)
    ).all()
