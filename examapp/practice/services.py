"""Practice: which questions are open, one question at a time, the answer graded at once, progress.

Closed book stays closed: ``ensure_no_exam_in_progress`` refuses practice (and mocks) to anyone
with an exam attempt in progress, and ``ensure_practice_open`` while the office has closed
practice city-wide. A question is shown as an exam page shows it (no key, 解析 or 依据); the
answer is checked with the exam save's own rules (``sitting.saving.rule_of`` /
``clean_response``), graded with the bank's ``grade_response``, stored, and only then is the
key sent back. Services flush; the request commits.
"""

import functools
import random
from collections import namedtuple
from datetime import timedelta

from sqlalchemy import bindparam, func, null, select, union_all

from ..audit.services import record_change, register_actions
from ..bank.card import JUDGE_CHOICES, shown_letters
from ..bank.content import LETTERS, QType
from ..bank.grading import grade_response
from ..bank.models import Question, QuestionCategory, QuestionVersion, Status
from ..clock import local_time, local_today, utcnow
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus, FixedPaperItem
from ..extensions import db
from ..sitting.models import Attempt, AttemptState
from ..sitting.saving import clean_response, rule_of
from ..web.ids import is_db_int
from . import wrongbook
from .models import MockAttempt, MockState, PracticeAnswer, PracticeSettings, WrongBookEntry

CLOSED_BOOK_MESSAGE = "你有正在进行的考试，考试结束前不能练习或模拟考试"
CLOSED_MESSAGE = "练习和模拟考试暂停开放"
SUPERSEDED_MESSAGE = "该题已更新，请刷新页面后重新作答"
#: a question shown longer ago than this counts this long (a page left open overnight)
MAX_SECONDS = 600
SETTINGS_ID = 1

register_actions({"practice.settings": "修改练习设置"})


class PracticeRefused(DomainError):
    """Practice is not possible now; ``reason`` names why for a JSON answer."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


class AnswerRefused(DomainError):
    """An answer the service will not take: ``status`` and ``reason`` for the JSON answer."""

    def __init__(self, message, reason="invalid", status=400):
        super().__init__(message)
        self.reason, self.status = reason, status


# --- closed book and the switch -------------------------------------------------------------------


@functools.cache
def _exams_in_progress():
    """The person's attempts in progress with their exam's grace (built once: it runs on every
    practice request)."""
    return (
        select(Attempt.deadline_at, Exam.grace_seconds)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(Attempt.user_id == bindparam("user_id"), Attempt.state == AttemptState.IN_PROGRESS)
    )


def ensure_no_exam_in_progress(user, now=None, attempts=None):
    """Raise PracticeRefused while ``user`` has an exam attempt in progress and not past its
    deadline plus grace (an overdue one the sweep has not closed yet no longer counts).
    ``attempts``: the person's (deadline, grace seconds) in progress, when already read."""
    rows = attempts if attempts is not None else db.session.execute(_exams_in_progress(), {"user_id": user.id}).all()
    now = now or utcnow()
    if any(now <= deadline + timedelta(seconds=grace) for deadline, grace in rows):
        raise PracticeRefused(CLOSED_BOOK_MESSAGE, "exam_in_progress")


#: what practice reads of the settings on every request
Settings = namedtuple("Settings", "closed closed_note category_ids")
DEFAULT_SETTINGS = Settings(False, None, None)


@functools.cache
def _settings_columns():
    return select(PracticeSettings.closed, PracticeSettings.closed_note, PracticeSettings.category_ids).where(
        PracticeSettings.id == SETTINGS_ID
    )


def practice_settings():
    """The switch and the open categories (open, every published question, until first saved)."""
    row = db.session.execute(_settings_columns()).first()
    return Settings(bool(row.closed), row.closed_note, row.category_ids) if row is not None else DEFAULT_SETTINGS


@functools.cache
def _gate_rows():
    """The person's attempts in progress and the settings row in one statement (every practice
    request reads both): (deadline, grace, NULL, NULL, NULL) rows, then (NULL, NULL, closed,
    note, categories)."""
    empty = (
        null().cast(PracticeSettings.closed.type),
        null().cast(PracticeSettings.closed_note.type),
        null().cast(PracticeSettings.category_ids.type),
    )
    attempts = _exams_in_progress().add_columns(*empty)
    settings = select(
        null().cast(Attempt.deadline_at.type),
        null().cast(Exam.grace_seconds.type),
        PracticeSettings.closed,
        PracticeSettings.closed_note,
        PracticeSettings.category_ids,
    ).where(PracticeSettings.id == SETTINGS_ID)
    return union_all(attempts, settings)


def open_practice(user, now=None):
    """The settings, if ``user`` may practise now; else PracticeRefused (an exam in progress first,
    then the switch). Both are read in one statement."""
    rows = db.session.connection().execute(_gate_rows(), {"user_id": user.id}).all()
    ensure_no_exam_in_progress(user, now, attempts=[row[:2] for row in rows if row[0] is not None])
    found = [row for row in rows if row[0] is None]
    settings = Settings(bool(found[0][2]), found[0][3], found[0][4]) if found else DEFAULT_SETTINGS
    ensure_practice_open(settings)
    return settings


def settings_row():
    """The settings row as stored (None until first saved), for the settings page."""
    return db.session.get(PracticeSettings, SETTINGS_ID)


def ensure_practice_open(settings):
    """Raise PracticeRefused while practice is closed city-wide, with the office's note."""
    if settings.closed:
        note = (settings.closed_note or "").strip()
        raise PracticeRefused(f"{CLOSED_MESSAGE}：{note}" if note else CLOSED_MESSAGE, "practice_closed")


# --- what is open -------------------------------------------------------------------------------


def category_tree():
    """All categories as {id: QuestionCategory} (a small table)."""
    return {c.id: c for c in db.session.scalars(select(QuestionCategory))}


def subtree_ids(categories, roots):
    """The ids of ``roots`` and every category below them."""
    children = {}
    for c in categories.values():
        children.setdefault(c.parent_id, []).append(c.id)
    found, stack = set(), [r for r in roots if r in categories]
    while stack:
        cid = stack.pop()
        if cid not in found:
            found.add(cid)
            stack.extend(children.get(cid, ()))
    return found


def open_category_ids(settings, categories=None):
    """Ids of the categories open for practice, or None for every category."""
    if settings.category_ids is None:
        return None
    return subtree_ids(categories if categories is not None else category_tree(), settings.category_ids)


def category_path(categories, cid):
    names, seen = [], set()
    while cid is not None and cid in categories and cid not in seen:
        seen.add(cid)
        names.append(categories[cid].name)
        cid = categories[cid].parent_id
    return " / ".join(reversed(names))


def secret_question_ids():
    """The questions on a fixed paper of an exam not yet over: never practised nor drawn into a
    mock (their keys are that exam's), until the exam closes."""
    return (
        select(QuestionVersion.question_id)
        .join(FixedPaperItem, FixedPaperItem.question_version_id == QuestionVersion.id)
        .join(Exam, Exam.id == FixedPaperItem.exam_id)
        .where(Exam.status.in_((ExamStatus.DRAFT, ExamStatus.PUBLISHED)))
    )


def _published(open_ids):
    stmt = select(Question.id, Question.category_id).where(
        Question.status == Status.PUBLISHED, Question.id.not_in(secret_question_ids())
    )
    if open_ids is not None:
        stmt = stmt.where(Question.category_id.in_(sorted(open_ids) or [-1]))
    return stmt


# --- choosing the next question ------------------------------------------------------------------

#: what a practice run is: the bank or the 错题本, a category (None: all), in order or at random
Run = namedtuple("Run", "source category_id mode")
SOURCES = ("bank", "wrong")
MODES = ("order", "random")


def question_pool(user, settings, run):
    """Ids of the questions the run draws from, in id order."""
    open_ids = open_category_ids(settings)
    stmt = _published(open_ids).order_by(Question.id)
    if run.category_id is not None:
        stmt = stmt.where(Question.category_id == run.category_id)
    if run.source == "wrong":
        stmt = stmt.join(
            WrongBookEntry,
            (WrongBookEntry.question_id == Question.id)
            & (WrongBookEntry.user_id == user.id)
            & WrongBookEntry.cleared_at.is_(None),
        )
    return [row.id for row in db.session.execute(stmt)]


def next_question_id(user, settings, run, after=None, rng=random):
    """The next question of the run (after ``after`` in order, any other at random), or None."""
    pool = question_pool(user, settings, run)
    if not pool:
        return None
    if run.mode == "random":
        others = [qid for qid in pool if qid != after] or pool
        return rng.choice(others)
    if after is None:
        return pool[0]
    later = [qid for qid in pool if qid > after]
    return later[0] if later else None


Shown = namedtuple("Shown", "question_id version_id qtype stem options order category")


def show_question(settings, question_id, rng=random):
    """The question as an exam page shows it: options in a shuffled order unless the version
    keeps its order; ``order`` lists the original option indices as shown (None: as written)."""
    question = db.session.get(Question, question_id)
    _check_open(settings, question)
    version = db.session.get(QuestionVersion, question.current_version_id)
    order = None
    if version.qtype in QType.CHOICE:
        order = list(range(len(version.options)))
        if not version.keep_option_order:
            rng.shuffle(order)
    options = [(LETTERS[i], version.options[original]) for i, original in enumerate(order or ())]
    return Shown(question.id, version.id, version.qtype, version.stem, options, order, question.category_id)


def _check_open(settings, question, categories=None):
    if question is None:
        raise AnswerRefused("没有这道试题", "unknown", 404)
    if question.status != Status.PUBLISHED:
        raise AnswerRefused("这道试题未发布，不能练习", "not_published", 404)
    open_ids = open_category_ids(settings, categories)
    if open_ids is not None and question.category_id not in open_ids:
        raise AnswerRefused("这道试题所在的分类未开放练习", "closed_category", 403)
    secret = getattr(question, "secret", None)
    if secret is None:
        secret = db.session.scalar(select(Question.id.in_(secret_question_ids())).where(Question.id == question.id))
    if secret:
        raise AnswerRefused("这道试题在尚未结束的考试试卷中，考试结束后才能练习", "exam_paper", 403)


# --- answering -----------------------------------------------------------------------------------


def parse_order(order, version):
    """The shown order (original indices) as the page sends it, checked against the version."""
    if version.qtype not in QType.CHOICE:
        if order not in (None, [], ""):
            raise AnswerRefused("选项顺序无效")
        return None
    count = len(version.options)
    if order is None and version.keep_option_order:
        return list(range(count))
    if not isinstance(order, list) or any(type(i) is not int for i in order) or sorted(order) != list(range(count)):
        raise AnswerRefused("选项顺序无效")
    if version.keep_option_order and order != list(range(count)):
        raise AnswerRefused("选项顺序无效")
    return order


def to_version_letters(response, order):
    """Letters as shown -> the version's own letters."""
    return "".join(sorted(LETTERS[order[LETTERS.index(c)]] for c in response))


def key_as_shown(version, order):
    """The key as the examinee reads it: letters as shown, 正确/错误 (as the card labels them), or
    each blank's accepted answers."""
    if version.qtype in QType.CHOICE:
        return shown_letters(version.answer, order)
    if version.qtype == QType.JUDGE:
        return dict(JUDGE_CHOICES).get(version.answer, "")
    return "；".join(f"第{i}空：" + " 或 ".join(alts) for i, alts in enumerate(version.answer, start=1))


Outcome = namedtuple("Outcome", "correct key explanation source question_id version_id order")


@functools.cache
def _answered_question():
    """What answering needs of a question and the version shown, in one statement built once."""
    return (
        select(
            Question.status,
            Question.category_id,
            QuestionVersion.qtype,
            QuestionVersion.options,
            QuestionVersion.keep_option_order,
            QuestionVersion.answer,
            QuestionVersion.stem,
            QuestionVersion.explanation,
            QuestionVersion.source,
            select(WrongBookEntry.id)
            .where(
                WrongBookEntry.user_id == bindparam("user_id"),
                WrongBookEntry.question_id == Question.id,
                WrongBookEntry.cleared_at.is_(None),
            )
            .scalar_subquery()
            .label("in_book"),
            Question.id.in_(secret_question_ids()).label("secret"),
            Question.id.label("id"),
            Question.current_version_id,
        )
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(Question.id == bindparam("question_id"), QuestionVersion.id == bindparam("version_id"))
    )


def answer_question(user, settings, question_id, version_id, order, response, shown_at=None, now=None):
    """Check, grade and store one practice answer; note it in the 错题本. Returns an Outcome.

    ``response`` is in the letters as shown (``order``: the original option indices as shown);
    it is stored in the version's own letters. Raises AnswerRefused for anything no page sends,
    a question not open for practice, a version no longer current (the question was edited after
    the page was shown: 409, the page is to be shown again), or no answer at all; nothing is
    stored then.
    """
    if not is_db_int(question_id) or not is_db_int(version_id):
        raise AnswerRefused("题号无效")
    connection = db.session.connection()
    version = connection.execute(
        _answered_question(), {"question_id": question_id, "version_id": version_id, "user_id": user.id}
    ).first()
    if version is None:
        raise AnswerRefused("没有这道试题", "unknown", 404)
    _check_open(settings, version)
    if version.current_version_id != version_id:
        # edited since the page was shown (a corrected key, say): practice teaches the current key
        raise AnswerRefused(SUPERSEDED_MESSAGE, "superseded", 409)
    order = parse_order(order, version)
    try:
        cleaned = clean_response(rule_of(version), response)
    except DomainError as exc:
        raise AnswerRefused(exc.message) from None
    if cleaned is None:
        raise AnswerRefused("请先作答", "empty")
    if order is not None:
        cleaned = to_version_letters(cleaned, order)
    correct = grade_response(version.qtype, version.answer, cleaned, 1, stem=version.stem) == 1
    now = now or utcnow()
    seconds = None
    if type(shown_at) is int and shown_at > 0:
        seconds = max(0, min(MAX_SECONDS, int(now.timestamp()) - shown_at))
    connection.execute(
        PracticeAnswer.__table__.insert(),
        {
            "user_id": user.id,
            "question_id": question_id,
            "question_version_id": version_id,
            "category_id": version.category_id,
            "response": cleaned,
            "correct": correct,
            "answered_at": now,
            "seconds": seconds,
        },
    )
    if not correct or version.in_book is not None:
        # a right answer to a question not in the 错题本 changes nothing there: no statement for it
        wrongbook.note_answer(user.id, question_id, version.category_id, correct, now)
    return Outcome(
        correct,
        key_as_shown(version, order),
        version.explanation or "",
        version.source or "",
        question_id,
        version_id,
        order,
    )


# --- progress -----------------------------------------------------------------------------------

CategoryRow = namedtuple("CategoryRow", "id name available seen right wrong_open")
Progress = namedtuple("Progress", "rows seen right answers streak seconds mocks wrong_open")


def practice_streak(days, today):
    """Days in a row with practice, ending today (or yesterday: today may still come)."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def progress(user, settings):
    """Per open category: questions available, seen, right (last answer right), in the 错题本;
    and the person's streak, time spent and mocks taken."""
    categories = category_tree()
    open_ids = open_category_ids(settings, categories)
    available = {}
    for _qid, cid in db.session.execute(_published(open_ids)):
        available[cid] = available.get(cid, 0) + 1
    last = {}  # question id -> (category id, correct) of the latest answer
    days, seconds, answers = set(), 0, 0
    for qid, cid, correct, at, secs in db.session.execute(
        select(
            PracticeAnswer.question_id,
            PracticeAnswer.category_id,
            PracticeAnswer.correct,
            PracticeAnswer.answered_at,
            PracticeAnswer.seconds,
        )
        .where(PracticeAnswer.user_id == user.id)
        .order_by(PracticeAnswer.answered_at, PracticeAnswer.id)
    ):
        last[qid] = (cid, correct)
        days.add(local_time(at).date())
        seconds += secs or 0
        answers += 1
    seen, right = {}, {}
    for cid, correct in last.values():
        seen[cid] = seen.get(cid, 0) + 1
        right[cid] = right.get(cid, 0) + (1 if correct else 0)
    wrong_open = wrongbook.remaining_by_category(user.id)
    rows = [
        CategoryRow(
            cid, category_path(categories, cid), count, seen.get(cid, 0), right.get(cid, 0), wrong_open.get(cid, 0)
        )
        for cid, count in available.items()
    ]
    rows.sort(key=lambda r: (categories[r.id].sort_order, r.name))
    mocks = db.session.scalar(
        select(func.count())
        .select_from(MockAttempt)
        .where(MockAttempt.user_id == user.id, MockAttempt.state == MockState.SUBMITTED)
    )
    return Progress(
        rows,
        sum(seen.values()),
        sum(right.values()),
        answers,
        practice_streak(days, local_today()),
        seconds,
        mocks,
        sum(wrong_open.values()),
    )


WrongGroup = namedtuple("WrongGroup", "id name entries wrong_total")


def wrong_book_groups(user):
    """The open 错题本 entries grouped by category: [(id, name, [(entry, stem)], wrong answers)]."""
    categories = category_tree()
    entries = wrongbook.open_entries(user.id)
    stems = dict(
        db.session.execute(
            select(Question.id, QuestionVersion.stem)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(Question.id.in_([e.question_id for e in entries] or [-1]))
        ).all()
    )
    groups = {}
    for entry in entries:
        groups.setdefault(entry.category_id, []).append((entry, stems.get(entry.question_id, "")))
    return sorted(
        (
            WrongGroup(cid, category_path(categories, cid), items, sum(e.wrong_count for e, _ in items))
            for cid, items in groups.items()
        ),
        key=lambda g: g.name,
    )


# --- settings -----------------------------------------------------------------------------------


def update_settings(actor, *, closed, closed_note, category_ids):
    """Save the open categories (None: every published question) and the switch; audited."""
    closed_note = (closed_note or "").strip() or None
    if closed_note is not None and len(closed_note) > 200:
        raise DomainError("说明不能超过 200 个字", field="closed_note")
    if category_ids is not None:
        known = set(category_tree())
        if not category_ids:
            raise DomainError("请至少选择一个分类", field="categories")
        if not set(category_ids) <= known:
            raise DomainError("所选分类不存在", field="categories")
        category_ids = sorted(set(category_ids))
    settings = db.session.get(PracticeSettings, SETTINGS_ID)
    if settings is None:
        settings = PracticeSettings(id=SETTINGS_ID, closed=False, category_ids=None)
        db.session.add(settings)
    before = _snapshot(settings)
    settings.closed, settings.closed_note, settings.category_ids = bool(closed), closed_note, category_ids
    settings.updated_by_id, settings.updated_at = actor.id, utcnow()
    after = _snapshot(settings)
    if before != after:
        record_change(
            actor, "practice.settings", "practice_settings", SETTINGS_ID, label="练习设置", before=before, after=after
        )
    db.session.flush()
    return settings


def _snapshot(settings):
    """What the audit log shows of the settings: the switch, its note, the open categories by name."""
    if settings.category_ids is None:
        open_categories = "全部已发布题目"
    else:
        names = category_tree()
        open_categories = "、".join(names[c].name if c in names else str(c) for c in settings.category_ids)
    return {
        "practice_closed": "已关闭" if settings.closed else "开放",
        "closed_note": settings.closed_note,
        "open_categories": open_categories,
    }


def shown_version(version_id, order):
    """A version as it was shown (``order`` already checked by ``answer_question``)."""
    version = db.session.get(QuestionVersion, version_id)
    options = [(LETTERS[i], version.options[original]) for i, original in enumerate(order or ())]
    return Shown(version.question_id, version.id, version.qtype, version.stem, options, order, version.category_id)
