"""What the examinee's pages show, as plain values."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from ..bank.card import shown_letters
from ..bank.content import QType
from ..clock import utcnow
from ..exams.models import Exam, ExamStatus, PaperMode, RosterEntry
from ..exams.paper import SECTION_ORDER
from ..extensions import db
from .models import Attempt, AttemptState


@dataclass
class LobbyRow:
    exam: Exam
    attempt: Attempt | None
    #: "upcoming", "open", "done"
    section: str


def lobby(user):
    """The person's exams: upcoming (opens in ...), open (start / continue), done (score when released)."""
    rows = db.session.execute(
        select(Exam, Attempt)
        .join(RosterEntry, RosterEntry.exam_id == Exam.id)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.user_id == user.id, Exam.status != ExamStatus.DRAFT)
        .order_by(Exam.opens_at.desc())
    ).all()
    now = utcnow()
    result = []
    for exam, attempt in rows:
        if attempt is not None and attempt.state != AttemptState.IN_PROGRESS:
            section = "done"
        elif exam.status == ExamStatus.PUBLISHED and now < exam.opens_at:
            section = "upcoming"
        elif exam.status == ExamStatus.PUBLISHED and now < exam.closes_at:
            section = "open"
        else:
            section = "done"
        result.append(LobbyRow(exam, attempt, section))
    return result


def paper_view(attempt):
    """The attempt's questions as the examinee was shown them: options in their order (valued by
    the version's own letters, which responses use; lettered by position on the card), and, for
    the review only, the key that graded each item in those shown letters."""
    from sqlalchemy.orm import selectinload

    from .models import AttemptItem

    items = db.session.scalars(
        select(AttemptItem)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.position)
        .options(selectinload(AttemptItem.version), selectinload(AttemptItem.key_version))
    ).all()
    questions = []
    for item in items:
        version = item.version
        key_version = item.key_version or version
        letters = "ABCDEF"
        order = item.option_order if item.option_order is not None else list(range(len(version.options)))
        options = [(letters[i], version.options[i]) for i in order]
        chosen = item.response
        if isinstance(chosen, str):
            chosen = list(chosen)
        questions.append(
            {
                "position": item.position,
                "qtype": version.qtype,
                "stem": version.stem,
                "options": options,
                "points": item.points,
                "chosen": chosen or [],
                "flagged": item.flagged,
                "seq": item.response_seq,
                "answered": item.response is not None,
                "item": item,
                "version": version,
                #: the version whose key graded the item (a corrected later version after a regrade)
                "key_version": key_version,
                #: that key in the letters this examinee saw (单选/多选 only; a corrected key is graded
                #: against the response letter by letter, so the shown version's order maps it too)
                "key_letters": _key_letters(key_version, order),
            }
        )
    return questions


def _key_letters(key_version, order):
    if key_version.qtype not in QType.CHOICE or not key_version.answer:
        return None
    return shown_letters(key_version.answer, order)


# --- what the examinee reads about a paper -------------------------------------


@dataclass
class TypeGroup:
    """One question type of a paper: its label, how many questions and how many points."""

    qtype: str
    label: str
    count: int = 0
    points: Decimal = Decimal("0")
    #: the points one question is worth, when every question of the type is worth the same
    each: Decimal | None = None
    right: int = 0
    awarded: Decimal = Decimal("0")
    questions: list = field(default_factory=list)


def _ordered(groups):
    return sorted(groups.values(), key=lambda g: SECTION_ORDER.get(g.qtype, len(SECTION_ORDER)))


def _add(groups, qtype, points, count=1):
    group = groups.get(qtype)
    if group is None:
        group = groups[qtype] = TypeGroup(qtype, QType.LABELS.get(qtype, qtype), each=points)
    elif group.each != points:
        group.each = None
    group.count += count
    group.points += points * count
    return group


def paper_makeup(exam):
    """The exam's paper by question type, before anyone's paper is drawn: a blueprint's rows
    or a fixed paper's questions, in the order the examinee meets them."""
    groups = {}
    if exam.paper_mode == PaperMode.FIXED:
        for item in exam.fixed_items:
            _add(groups, item.version.qtype, item.points)
    else:
        for row in exam.blueprint_rows:
            _add(groups, row.qtype, row.points, row.count)
    return _ordered(groups)


def group_by_type(questions):
    """The page's questions (dicts with ``qtype`` and ``points``) grouped by type, in paper order."""
    groups = {}
    for q in questions:
        _add(groups, q["qtype"], q["points"]).questions.append(q)
    return _ordered(groups)


def outcome(question):
    """How a graded question of the review went: "right", "partial", "wrong" or "unanswered"."""
    awarded = question["item"].awarded or Decimal("0")
    if not question["answered"]:
        return "unanswered"
    if awarded >= question["points"]:
        return "right"
    return "partial" if awarded > 0 else "wrong"


def review_summary(questions):
    """The review's questions with their outcome, and per type: questions, right, points got."""
    groups = {}
    for q in questions:
        q["outcome"] = outcome(q)
        group = _add(groups, q["qtype"], q["points"])
        group.questions.append(q)
        group.right += q["outcome"] == "right"
        group.awarded += q["item"].awarded or Decimal("0")
    return _ordered(groups)


def answered_count(attempt_id):
    """(questions, answered) of an attempt, counted in the database."""
    from .models import AttemptItem

    rows = db.session.execute(select(AttemptItem.response).where(AttemptItem.attempt_id == attempt_id)).scalars().all()
    return len(rows), sum(1 for response in rows if response not in (None, "", []))
