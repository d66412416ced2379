"""What the examinee's pages show, as plain values."""

from dataclasses import dataclass

from sqlalchemy import select

from ..bank.card import shown_letters
from ..bank.content import QType
from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..exams.models import Exam, ExamStatus, RosterEntry
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


def paper_for_page(attempt_id):
    """The attempt page's questions in one statement of plain rows: shown options relabelled,
    the responses so far, and nothing of the key (no answer, explanation or source is read)."""
    from .models import AttemptItem

    rows = db.session.execute(
        select(
            AttemptItem.position,
            AttemptItem.points,
            AttemptItem.option_order,
            AttemptItem.response,
            AttemptItem.flagged,
            AttemptItem.response_seq,
            QuestionVersion.qtype,
            QuestionVersion.stem,
            QuestionVersion.options,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    )
    questions = []
    for position, points, order, response, flagged, seq, qtype, stem, options in rows:
        if order is None:
            order = range(len(options))
        chosen = list(response) if isinstance(response, str) else response
        questions.append(
            {
                "position": position,
                "qtype": qtype,
                "stem": stem,
                "options": [("ABCDEF"[i], options[i]) for i in order],
                "points": points,
                "chosen": chosen or [],
                "flagged": flagged,
                "seq": seq,
                "answered": response is not None,
            }
        )
    return questions


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
