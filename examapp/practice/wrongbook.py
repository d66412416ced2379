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


def _entry(user_id, question_id):
    return db.session.scalar(
        select(WrongBookEntry).where(WrongBookEntry.user_id == user_id, WrongBookEntry.question_id == question_id)
    )


def _insert_entry(user_id, question_id, category_id, at):
    """The person's new entry for a question answered wrong, or None when there is one already:
    the same person answering the same question in a second tab may have inserted it since this
    request read the book. One statement, no savepoint (as ``sitting.services`` starts an attempt)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = (
        upsert(WrongBookEntry)
        .values(
            user_id=user_id,
            question_id=question_id,
            category_id=category_id,
            added_at=at,
            last_wrong_at=at,
            wrong_count=1,
            right_streak=0,
        )
        .on_conflict_do_nothing(index_elements=[WrongBookEntry.user_id, WrongBookEntry.question_id])
        .returning(WrongBookEntry)
    )
    return db.session.scalars(stmt).one_or_none()


def note_answer(user_id, question_id, category_id, correct, at=None):
    """Record a practice or mock answer's outcome in the person's wrong book. Returns the entry (or None).

    Two answers to the same question at once (two tabs) both count and neither fails: the entry is
    inserted only if no one else has, and a wrong answer adds one to the count in the database."""
    at = at or utcnow()
    entry = _entry(user_id, question_id)
    if not correct:
        if entry is None:
            entry = _insert_entry(user_id, question_id, category_id, at)
            if entry is not None:
                return entry
            entry = _entry(user_id, question_id)  # inserted by the other answer meanwhile
        entry.wrong_count = WrongBookEntry.wrong_count + 1
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
