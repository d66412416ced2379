"""Papers: checking a blueprint against the bank and drawing one person's paper.

A draw is a pure function of the exam's paper, the bank's published
questions and a seed, so a paper can be reproduced and previewed.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from ..bank.content import QType
from ..bank.models import Question, QuestionCategory, QuestionVersion
from ..bank.services import drawable_questions
from ..errors import DomainError
from ..extensions import db
from ..numbers import plain
from .models import FULL_MARKS, PaperMode

#: sections of a paper, in the order examinees meet them
SECTION_ORDER = {QType.SINGLE: 0, QType.MULTIPLE: 1, QType.JUDGE: 2, QType.BLANK: 3}


@dataclass(frozen=True)
class DrawnQuestion:
    version_id: int
    qtype: str
    points: Decimal
    #: original option indices in the order shown, or None
    option_order: tuple | None


def paper_total(exam):
    if exam.paper_mode == PaperMode.FIXED:
        return sum((item.points for item in exam.fixed_items), Decimal("0"))
    return sum((row.subtotal for row in exam.blueprint_rows), Decimal("0"))


def _row_pool(row, *columns):
    stmt = drawable_questions(category_id=row.category_id, qtype=row.qtype, difficulty=row.difficulty)
    return stmt.with_only_columns(*columns).order_by(None)


def row_label(row):
    from ..bank.content import Difficulty

    difficulty = Difficulty.LABELS[row.difficulty] if row.difficulty else "不限难度"
    return f"第 {row.position} 行（{row.category.name}·{QType.LABELS[row.qtype]}·{difficulty}）"


def paper_problems(exam):
    """Everything that stops this paper from being drawn, as messages; [] when it is good."""
    problems = []
    if exam.paper_mode == PaperMode.FIXED:
        if not exam.fixed_items:
            problems.append("固定试卷还没有选题")
    elif not exam.blueprint_rows:
        problems.append("组卷规则还没有任何一行")
    total = paper_total(exam)
    if total != FULL_MARKS:
        problems.append(f"试卷总分为 {plain(total)} 分，必须正好是 100 分")
    if exam.paper_mode == PaperMode.BLUEPRINT:
        for row in exam.blueprint_rows:
            available = db.session.scalar(_row_pool(row, func.count(Question.id)))
            if available < row.count:
                problems.append(
                    f"{row_label(row)}需要 {row.count} 道题，题库中只有 {available} 道已发布的题，差 {row.count - available} 道"
                )
        if not problems:
            try:
                draw_paper(exam, seed=0)
            except DomainError as exc:
                problems.append(exc.message)
    return problems


def draw_paper(exam, seed):
    """The paper for one person: no question twice, sections in order, shuffled as the exam says.

    A version marked 选项顺序固定 keeps its options in their written order (``option_order`` None)
    even when the exam shuffles options. A few statements whatever the paper's size: the blueprint,
    the categories, and the whole drawable pool with each question's current options (or a fixed
    paper and its versions).
    """
    return draw_from(exam, paper_source(exam), seed)


@dataclass(frozen=True)
class PaperSource:
    """What a draw chooses from, read once for any number of draws (``draw_from``): a fixed
    paper's questions, or each blueprint row's candidates."""

    #: [(version id, points, qtype, options, keep option order)] of a fixed paper, else None
    fixed: list | None
    #: [(row, [(question id, version id, qtype, options, keep option order)])] of a blueprint
    pools: list | None


def paper_source(exam):
    """The exam's paper and the bank's candidates for it, in a few statements."""
    if exam.paper_mode == PaperMode.FIXED:
        picked = [(item.question_version_id, item.points) for item in exam.fixed_items]
        versions = {
            v.id: v
            for v in db.session.execute(
                select(
                    QuestionVersion.id,
                    QuestionVersion.qtype,
                    QuestionVersion.options,
                    QuestionVersion.keep_option_order,
                ).where(QuestionVersion.id.in_([vid for vid, _ in picked]))
            )
        }
        fixed = [
            (vid, points, versions[vid].qtype, versions[vid].options, versions[vid].keep_option_order)
            for vid, points in picked
        ]
        return PaperSource(fixed=fixed, pools=None)
    return PaperSource(fixed=None, pools=_blueprint_pools(exam.blueprint_rows))


def draw_from(exam, source, seed):
    """One person's paper from ``source`` (``paper_source``) without touching the database:
    ``draw_paper`` for many people at once. The same seed gives the same paper."""
    rng = random.Random(seed)
    picked = source.fixed if source.fixed is not None else _draw_blueprint(source.pools, rng)
    drawn = []
    for version_id, points, qtype, options, keep_option_order in picked:
        order = None
        if qtype in QType.CHOICE and exam.shuffle_options and not keep_option_order:
            order = list(range(len(options)))
            rng.shuffle(order)
            order = tuple(order)
        drawn.append(DrawnQuestion(version_id, qtype, points, order))
    if exam.shuffle_questions:
        rng.shuffle(drawn)
    drawn.sort(key=lambda q: SECTION_ORDER[q.qtype])  # stable: shuffled within each section
    return drawn


def _category_subtrees(category_ids):
    """{category id: it and every category under it}, from one read of the category tree."""
    children = {}
    for child, parent in db.session.execute(select(QuestionCategory.id, QuestionCategory.parent_id)):
        children.setdefault(parent, []).append(child)
    subtrees = {}
    for category_id in category_ids:
        found, stack = set(), [category_id]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(children.get(current, ()))
        subtrees[category_id] = found
    return subtrees


def _blueprint_pools(rows):
    """[(row, [(question id, version id, qtype, options, keep option order)] in question id order)]: every row's
    candidates, from one read of the drawable questions the rows can reach."""
    subtrees = _category_subtrees({row.category_id for row in rows})
    reachable = set().union(*subtrees.values()) if subtrees else set()
    candidates = db.session.execute(
        drawable_questions()
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.category_id.in_(reachable), Question.qtype.in_({row.qtype for row in rows}))
        .with_only_columns(
            Question.id,
            Question.category_id,
            Question.qtype,
            Question.difficulty,
            QuestionVersion.id,
            QuestionVersion.qtype,
            QuestionVersion.options,
            QuestionVersion.keep_option_order,
        )
        .order_by(Question.id)
    ).all()
    pools = []
    for row in rows:
        categories = subtrees[row.category_id]
        pools.append(
            (
                row,
                [
                    (qid, vid, version_qtype, options, keep)
                    for qid, category_id, qtype, difficulty, vid, version_qtype, options, keep in candidates
                    if category_id in categories and qtype == row.qtype and row.difficulty in (None, difficulty)
                ],
            )
        )
    return pools


def _draw_blueprint(pools, rng):
    """Rows with the fewest candidates draw first, so a broad row (any difficulty) never takes
    the questions a narrower row of the same category and type needs: for rows that are nested
    or disjoint, as rows of one category and type are, a paper that draws once draws for every seed.
    """
    chosen = set()
    picked = []
    for row, pool in sorted(pools, key=lambda rp: (len(rp[1]), rp[0].position)):
        pool = [candidate for candidate in pool if candidate[0] not in chosen]
        if len(pool) < row.count:
            raise DomainError(
                f"{row_label(row)}与其他行抽取的题目重叠，剩余可抽的题只有 {len(pool)} 道，需要 {row.count} 道"
            )
        for qid, vid, qtype, options, keep in rng.sample(pool, row.count):
            chosen.add(qid)
            picked.append((vid, row.points, qtype, options, keep))
    return picked
