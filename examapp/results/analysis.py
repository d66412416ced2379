"""Item analysis of an exam: how each question version fared in the exam's submitted attempts.

Only submitted attempts count; in-progress and voided ones are left out, so the
page can be read while an exam is still running (it shows what is in so far).

Everything is computed by grouped SQL over ``attempt_items``: one statement for
the exam's totals and one for every question version of the exam at once, so the
number of statements does not grow with the paper, and no answer row is loaded
into Python. Ratios come back as ``Fraction`` (exact; the templates round them).

- facility (答对率): share of the attempts that saw the version and got it fully
  right (awarded == points); the mean share of points (得分率) is given beside it;
- discrimination (区分度): facility among the top third of the submitted attempts
  by score minus facility among the bottom third (the classic upper-lower index).
  Thirds are ``ntile(3)`` over the score, ties split by attempt id; fewer than three
  submitted attempts (or a third that never saw the version) leave it undefined;
- units wrong: how many units (the unit frozen on the roster row) with at least one
  submitted attempt that saw the version got it right in fewer than half of them.
"""

import json
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import Text, and_, case, cast, func, select

from ..bank.content import JUDGE_FALSE, JUDGE_LABELS, JUDGE_TRUE, LETTERS, QType, format_answer
from ..bank.models import QuestionCategory, QuestionVersion
from ..exams.models import RosterEntry
from ..extensions import db
from ..sitting.models import Attempt, AttemptItem, AttemptState

UPPER, LOWER = 1, 3
#: how the item table may be ordered (the page's ``?sort=``), the first is the default
SORTS = ("facility", "discrimination", "units_wrong")
#: how many questions the "most units got it wrong" list shows
MOST_UNITS_WRONG = 10
#: how many distinct 填空 responses the question page lists
BLANK_RESPONSES = 20

# The probably-wrong-key rule (see ``key_doubt``).
DOUBT_MIN_SEEN = 10
DOUBT_MIN_GROUP = 3
DOUBT_DISCRIMINATION = Fraction(-1, 5)
DOUBT_UPPER_FACILITY = Fraction(3, 10)
#: a "high" mean score on the 100-point paper
DOUBT_HIGH_MEAN = Fraction(70)


def _ratio(part, whole):
    return Fraction(part, whole) if whole else None


def percent(value):
    """A share as the page writes it: 0.5 -> "50%"."""
    return "—" if value is None else f"{float(value) * 100:.0f}%"


@dataclass
class ExamTotals:
    submitted: int
    in_progress: int
    voided: int
    score_sum: Fraction
    #: units with at least one submitted attempt
    units: int

    @property
    def mean_score(self):
        return self.score_sum / self.submitted if self.submitted else None

    @property
    def upper_size(self):
        """Attempts in the top third (``ntile`` gives the extra ones to the first groups)."""
        return self.submitted // 3 + (1 if self.submitted % 3 else 0)

    @property
    def lower_size(self):
        return self.submitted // 3


@dataclass
class ItemStats:
    """One question version's figures in one exam."""

    version_id: int
    question_id: int
    number: int
    qtype: str
    stem: str
    answer: object
    category: str
    #: submitted attempts whose paper held this version
    seen: int
    correct: int
    awarded_sum: Fraction
    points_sum: Fraction
    upper_seen: int
    upper_correct: int
    lower_seen: int
    lower_correct: int
    units_seen: int = 0
    units_wrong: int = 0
    #: why the key is probably wrong (None: no reason to think so)
    doubt: str | None = None

    @property
    def qtype_label(self):
        return QType.LABELS.get(self.qtype, "")

    @property
    def answer_text(self):
        return format_answer(self.qtype, self.answer)

    @property
    def facility(self):
        return _ratio(self.correct, self.seen)

    @property
    def mean_share(self):
        return self.awarded_sum / self.points_sum if self.points_sum else None

    @property
    def upper_facility(self):
        return _ratio(self.upper_correct, self.upper_seen)

    @property
    def lower_facility(self):
        return _ratio(self.lower_correct, self.lower_seen)

    @property
    def discrimination(self):
        upper, lower = self.upper_facility, self.lower_facility
        return None if upper is None or lower is None else upper - lower


@dataclass
class ExamAnalysis:
    totals: ExamTotals
    items: list
    sort: str
    most_units_wrong: list = field(default_factory=list)

    @property
    def doubtful(self):
        return [item for item in self.items if item.doubt]


def key_doubt(item, mean_score):
    """Why ``item``'s answer key is probably wrong, as a sentence for the page; None when nothing says so.

    The rule: only with enough evidence, i.e. the version was seen in at least
    ``DOUBT_MIN_SEEN`` (10) submitted attempts, at least ``DOUBT_MIN_GROUP`` (3) of them
    in the top third. Then the key is doubted when

    1. the top third got it right clearly less often than the bottom third:
       discrimination <= -0.2 (and the bottom third saw it at least 3 times); or
    2. the top third mostly failed it although the exam went well: their facility is
       below 0.3 while the mean score of all submitted attempts is at least 70 (of 100).

    People who know the material failing a question that weaker people pass, or
    nearly everyone strong failing it in an exam that is otherwise passed, is what a
    wrong key looks like; a merely hard question fails the bottom third too and
    keeps a positive discrimination.
    """
    if item.seen < DOUBT_MIN_SEEN or item.upper_seen < DOUBT_MIN_GROUP:
        return None
    upper, lower, discrimination = item.upper_facility, item.lower_facility, item.discrimination
    if discrimination is not None and item.lower_seen >= DOUBT_MIN_GROUP and discrimination <= DOUBT_DISCRIMINATION:
        return f"高分组答对率 {percent(upper)}，低于低分组的 {percent(lower)}（区分度 {float(discrimination):.2f}）"
    if mean_score is not None and mean_score >= DOUBT_HIGH_MEAN and upper < DOUBT_UPPER_FACILITY:
        return f"全场平均分 {float(mean_score):.1f} 分，高分组答对率却只有 {percent(upper)}"
    return None


# --- queries -----------------------------------------------------------------------------


def _submitted(exam_id):
    return and_(Attempt.exam_id == exam_id, Attempt.state == AttemptState.SUBMITTED)


def _ranked(exam_id):
    """The exam's submitted attempts with their third by score (1 top, 3 bottom)."""
    tier = func.ntile(3).over(order_by=(func.coalesce(Attempt.score, 0).desc(), Attempt.id))
    return (
        select(Attempt.id.label("attempt_id"), Attempt.roster_entry_id, tier.label("tier"))
        .where(_submitted(exam_id))
        .cte("ranked")
    )


def _is_correct():
    """1 for an item awarded its full points (an ungraded item is not correct)."""
    return case((AttemptItem.awarded == AttemptItem.points, 1), else_=0)


def exam_totals(exam_id):
    """Attempt counts by state, the submitted attempts' score sum and their number of units: one query."""
    submitted = Attempt.state == AttemptState.SUBMITTED
    row = db.session.execute(
        select(
            func.count(case((submitted, 1))),
            func.count(case((Attempt.state == AttemptState.IN_PROGRESS, 1))),
            func.count(case((Attempt.state == AttemptState.VOIDED, 1))),
            func.sum(case((submitted, Attempt.score))),
            func.count(case((submitted, RosterEntry.unit_id)).distinct()),
        )
        .select_from(Attempt)
        .join(RosterEntry, RosterEntry.id == Attempt.roster_entry_id)
        .where(Attempt.exam_id == exam_id)
    ).one()
    return ExamTotals(
        submitted=row[0], in_progress=row[1], voided=row[2], score_sum=Fraction(row[3] or 0), units=row[4]
    )


def item_stats(exam_id, version_id=None):
    """Every question version of the exam's submitted attempts with its figures, in ONE statement.

    The items are read once, grouped per (version, unit); that grouping is then added
    up per version, counting on the way the units below half right.
    """
    ranked = _ranked(exam_id)
    in_upper, in_lower = ranked.c.tier == UPPER, ranked.c.tier == LOWER
    full_marks = AttemptItem.awarded == AttemptItem.points
    per_unit = (
        select(
            AttemptItem.question_version_id.label("version_id"),
            func.count().label("seen"),
            func.sum(_is_correct()).label("correct"),
            func.sum(AttemptItem.awarded).label("awarded_sum"),
            func.sum(AttemptItem.points).label("points_sum"),
            func.count(case((in_upper, 1))).label("upper_seen"),
            func.count(case((and_(in_upper, full_marks), 1))).label("upper_correct"),
            func.count(case((in_lower, 1))).label("lower_seen"),
            func.count(case((and_(in_lower, full_marks), 1))).label("lower_correct"),
        )
        .join(ranked, ranked.c.attempt_id == AttemptItem.attempt_id)
        .join(RosterEntry, RosterEntry.id == ranked.c.roster_entry_id)
        .group_by(AttemptItem.question_version_id, RosterEntry.unit_id)
    )
    if version_id is not None:
        per_unit = per_unit.where(AttemptItem.question_version_id == version_id)
    per_unit = per_unit.subquery("per_unit")
    sums = (
        "seen",
        "correct",
        "awarded_sum",
        "points_sum",
        "upper_seen",
        "upper_correct",
        "lower_seen",
        "lower_correct",
    )
    items = (
        select(
            per_unit.c.version_id,
            *(func.sum(per_unit.c[name]).label(name) for name in sums),
            func.count().label("units_seen"),
            func.count(case((per_unit.c.correct * 2 < per_unit.c.seen, 1))).label("units_wrong"),
        )
        .group_by(per_unit.c.version_id)
        .subquery("items")
    )
    stmt = (
        select(
            QuestionVersion.id,
            QuestionVersion.question_id,
            QuestionVersion.number,
            QuestionVersion.qtype,
            QuestionVersion.stem,
            QuestionVersion.answer,
            QuestionCategory.name,
            *(items.c[name] for name in sums),
            items.c.units_seen,
            items.c.units_wrong,
        )
        .join(items, items.c.version_id == QuestionVersion.id)
        .join(QuestionCategory, QuestionCategory.id == QuestionVersion.category_id)
        .order_by(QuestionVersion.id)
    )
    rows = db.session.execute(stmt)
    return [
        ItemStats(
            version_id=row[0],
            question_id=row[1],
            number=row[2],
            qtype=row[3],
            stem=row[4],
            answer=row[5],
            category=row[6],
            seen=int(row[7]),
            correct=int(row[8] or 0),
            awarded_sum=Fraction(row[9] or 0),
            points_sum=Fraction(row[10] or 0),
            upper_seen=int(row[11]),
            upper_correct=int(row[12]),
            lower_seen=int(row[13]),
            lower_correct=int(row[14]),
            units_seen=row[15],
            units_wrong=row[16],
        )
        for row in rows
    ]


def _sort_key(sort):
    if sort == "discrimination":
        # the weakest (most negative) first; undefined last
        return lambda i: (i.discrimination is None, i.discrimination or 0, i.facility, i.version_id)
    if sort == "units_wrong":
        return lambda i: (-i.units_wrong, i.facility, i.version_id)
    return lambda i: (i.facility, i.discrimination is None, i.discrimination or 0, i.version_id)


def analyse_exam(exam_id, sort=SORTS[0]):
    """The exam's totals and its items (sorted by ``sort``), flagged, with the units' worst questions."""
    sort = sort if sort in SORTS else SORTS[0]
    totals = exam_totals(exam_id)
    items = item_stats(exam_id) if totals.submitted else []
    for item in items:
        item.doubt = key_doubt(item, totals.mean_score)
    worst = sorted((i for i in items if i.units_wrong), key=_sort_key("units_wrong"))[:MOST_UNITS_WRONG]
    return ExamAnalysis(totals=totals, items=sorted(items, key=_sort_key(sort)), sort=sort, most_units_wrong=worst)


# --- one question --------------------------------------------------------------------------


@dataclass
class ResponseRow:
    """One option (or response) and how many chose it: everyone, the top third, the bottom third."""

    label: str
    text: str
    total: int = 0
    upper: int = 0
    lower: int = 0
    #: the option is (part of) the key, or the response earned full points
    is_key: bool = False


@dataclass
class QuestionDetail:
    version: QuestionVersion
    item: ItemStats | None
    totals: ExamTotals
    #: per option (单选/多选), per value (判断), or the commonest responses (填空)
    rows: list
    #: 多选 only: the commonest combinations of letters
    combinations: list = field(default_factory=list)


def used_in_exam(exam_id, version_id):
    """Whether any attempt of the exam (in any state) was given this version."""
    return (
        db.session.scalar(
            select(AttemptItem.id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.exam_id == exam_id, AttemptItem.question_version_id == version_id)
            .limit(1)
        )
        is not None
    )


def _response_counts(exam_id, version_id, limit=None):
    """(response, total, upper, lower, correct) grouped by the stored JSON text; unanswered as None."""
    ranked = _ranked(exam_id)
    text = func.coalesce(cast(AttemptItem.response, Text), "null").label("response")
    total = func.count().label("total")
    stmt = (
        select(
            text,
            total,
            func.count(case((ranked.c.tier == UPPER, 1))),
            func.count(case((ranked.c.tier == LOWER, 1))),
            func.max(_is_correct()),
        )
        .join(ranked, ranked.c.attempt_id == AttemptItem.attempt_id)
        .where(AttemptItem.question_version_id == version_id)
        .group_by(text)
        .order_by(total.desc(), text)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = []
    for response, *counts in db.session.execute(stmt):
        value = json.loads(response)
        rows.append((value if value not in ("", []) else None, *counts))
    return rows


def _letters(value):
    """The letters of a stored choice response ("ACD" or ["A", "C", "D"]); None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return None


def _choice_rows(version, counts):
    options = {
        letter: ResponseRow(letter, text, is_key=letter in version.answer)
        for letter, text in zip(LETTERS, version.options, strict=False)
    }
    unanswered = ResponseRow("—", "未作答")
    other = ResponseRow("?", "其他（无效的答案）")
    combinations = []
    for value, total, upper, lower, correct in counts:
        letters = _letters(value)
        if value is None:
            targets = [unanswered]
        elif (
            letters
            and all(letter in options for letter in letters)
            and (version.qtype == QType.MULTIPLE or len(letters) == 1)
        ):
            targets = [options[letter] for letter in dict.fromkeys(letters)]
            if version.qtype == QType.MULTIPLE:
                combinations.append(ResponseRow(letters, "", total, upper, lower, is_key=bool(correct)))
        else:
            targets = [other]
        for row in targets:
            row.total += total
            row.upper += upper
            row.lower += lower
    rows = [*options.values(), unanswered] + ([other] if other.total else [])
    return rows, combinations[:10]


def _judge_rows(version, counts):
    rows = {
        value: ResponseRow(JUDGE_LABELS[value], "", is_key=value == version.answer)
        for value in (JUDGE_TRUE, JUDGE_FALSE)
    }
    unanswered = ResponseRow("—", "未作答")
    other = ResponseRow("?", "其他（无效的答案）")
    for value, total, upper, lower, _correct in counts:
        row = unanswered if value is None else rows.get(value, other)
        row.total += total
        row.upper += upper
        row.lower += lower
    return [*rows.values(), unanswered] + ([other] if other.total else [])


def _blank_rows(counts):
    rows = []
    for value, total, upper, lower, correct in counts:
        if value is None:
            label = "（未作答）"
        elif isinstance(value, list):
            label = " | ".join(str(part) for part in value)
        else:
            label = str(value)
        rows.append(ResponseRow(label, "", total, upper, lower, is_key=bool(correct)))
    return rows


def question_detail(exam_id, version_id):
    """One version's figures in the exam and what was answered; None when the exam never used it."""
    version = db.session.get(QuestionVersion, version_id)
    if version is None or not used_in_exam(exam_id, version_id):
        return None
    totals = exam_totals(exam_id)
    found = item_stats(exam_id, version_id) if totals.submitted else []
    item = found[0] if found else None
    if item is not None:
        item.doubt = key_doubt(item, totals.mean_score)
    combinations = []
    if item is None:
        rows = []
    elif version.qtype == QType.BLANK:
        rows = _blank_rows(_response_counts(exam_id, version_id, limit=BLANK_RESPONSES))
    elif version.qtype == QType.JUDGE:
        rows = _judge_rows(version, _response_counts(exam_id, version_id))
    else:
        rows, combinations = _choice_rows(version, _response_counts(exam_id, version_id))
    return QuestionDetail(version=version, item=item, totals=totals, rows=rows, combinations=combinations)
