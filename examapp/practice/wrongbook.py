"""The 错题本: every question answered wrong (in practice or a mock) is kept until answered right
twice in a row, on different days (Beijing time); a wrong answer at any time puts it back and
starts the count again. Practice and mocks both call ``note_answer``; it flushes, never commits.
"""

from sqlalchemy import func, select

from ..clock import local_time, utcnow
from ..extensions import db
from .models import WrongBookEntry

#: right answers in a row, each on a later day than the one before, that take a question out
RIGHT_TO_CLEAR = 2


def note_answer(user_id, question_id, category_id, correct, at=None):
    """Record a practice or mock answer's outcome in the person's wrong book. Returns the entry (or None)."""
    at = at or utcnow()
    entry = db.session.scalar(
        select(WrongBookEntry).where(WrongBookEntry.user_id == user_id, WrongBookEntry.question_id == question_id)
    )
    if not correct:
        if entry is None:
            entry = WrongBookEntry(
                user_id=user_id, question_id=question_id, category_id=category_id, added_at=at, wrong_count=0
            )
            db.session.add(entry)
        entry.wrong_count = (entry.wrong_count or 0) + 1
        entry.last_wrong_at = at
        entry.category_id = category_id
        entry.right_streak, entry.last_right_on, entry.cleared_at = 0, None, None
        db.session.flush()
        return entry
    if entry is None or entry.cleared_at is not None:
        return entry
    day = local_time(at).date()
    if entry.last_right_on is None or day > entry.last_right_on:
        entry.right_streak += 1
        entry.last_right_on = day
        if entry.right_streak >= RIGHT_TO_CLEAR:
            entry.cleared_at = at
    db.session.flush()
    return entry


def open_entries(user_id):
    """The person's wrong book: entries not cleared, newest wrong first."""
    return db.session.scalars(
        select(WrongBookEntry)
        .where(WrongBookEntry.user_id == user_id, WrongBookEntry.cleared_at.is_(None))
        .order_by(WrongBookEntry.last_wrong_at.desc(), WrongBookEntry.id.desc())
    ).all()


def remaining_by_category(user_id):
    """{category id: questions still in the wrong book}."""
    rows = db.session.execute(
        select(WrongBookEntry.category_id, func.count())
        .where(WrongBookEntry.user_id == user_id, WrongBookEntry.cleared_at.is_(None))
        .group_by(WrongBookEntry.category_id)
    )
    return dict(rows.all())
