"""Papers drawn before exam day, so that a start copies rows instead of drawing.

When an exam is published every person on its roster gets a paper (``PreparedPaper`` with its
``PreparedItem`` rows), and so does anyone added to the roster later; taking a person off the
roster deletes their roster row, and the foreign key's cascade their paper; once nobody can start
the exam any more (it has ended, or its window has closed) its papers are deleted
(``purge_prepared``: when the exam is ended, and by the sweep cron). The draw is
``exams.paper.draw_paper``'s, from one read of the bank for the whole batch, with a seed per
person kept beside the paper: the attempt records it, and the same seed draws the same paper.

A prepared paper is used at the start only while it still holds: every question on it still
published at the version drawn (a question edited or withdrawn since makes the start draw live,
as it did before papers were prepared). A fixed paper names its versions itself and always holds.
Services flush; the caller commits.
"""

import json
import secrets
from datetime import datetime

from sqlalchemy import and_, bindparam, case, delete, exists, insert, literal, or_, select

from ..bank.models import Question, QuestionVersion
from ..bank.models import Status as QuestionStatus
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus, PaperMode, RosterEntry
from ..exams.paper import draw_from, paper_source
from ..exams.signals import exam_closed, exam_published, roster_added
from ..extensions import db
from .models import Attempt, AttemptItem, PreparedItem, PreparedPaper

#: rows written per statement where there is no COPY (10,000 people hold 800,000 items)
ROWS_PER_STATEMENT = 20_000


def prepare_papers(exam, entry_ids=None):
    """Draw and store a paper for every roster row of ``exam`` (or the rows ``entry_ids``) that has
    neither a prepared paper nor an attempt. Returns how many were prepared; 0 when the bank can
    no longer fill the paper (the start then draws live and says why, as it always did)."""
    if entry_ids is None:
        entry_ids = db.session.scalars(
            select(RosterEntry.id)
            .where(
                RosterEntry.exam_id == exam.id,
                ~exists().where(PreparedPaper.roster_entry_id == RosterEntry.id),
                ~exists().where(Attempt.roster_entry_id == RosterEntry.id),
            )
            .order_by(RosterEntry.id)
        ).all()
    if not entry_ids:
        return 0
    try:
        source = paper_source(exam)
        now = utcnow()
        papers, items = [], []
        for entry_id in entry_ids:
            seed = secrets.randbits(31)
            papers.append((entry_id, exam.id, seed, now))
            for position, q in enumerate(draw_from(exam, source, seed), start=1):
                order = list(q.option_order) if q.option_order is not None else None
                items.append((entry_id, position, q.version_id, q.points, order))
    except DomainError:
        return 0
    _write(PreparedPaper.__table__, papers)
    _write(PreparedItem.__table__, items)
    return len(papers)


def _write(table, rows):
    """Insert ``rows`` (tuples in the table's column order): PostgreSQL's COPY, which takes 800,000
    rows in seconds, or multi-row inserts elsewhere."""
    columns = [column.name for column in table.columns]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                copy.write(
                    "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows[start : start + ROWS_PER_STATEMENT])
                )
        return
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        connection.execute(
            insert(table), [dict(zip(columns, row, strict=True)) for row in rows[start : start + ROWS_PER_STATEMENT]]
        )


def _copy_text(value):
    """A value of a prepared row in COPY's text format: numbers, UTC datetimes, a list of option
    indices as JSON (none of them can hold a tab, a newline or a backslash)."""
    if value is None:
        return "\\N"
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@exam_published.connect
def prepare_roster(exam, **_extra):
    prepare_papers(exam)


@roster_added.connect
def prepare_added(exam, *, entry_ids, **_extra):
    prepare_papers(exam, entry_ids)


@exam_closed.connect
def purge_ended(exam, **_extra):
    purge_prepared(exam_id=exam.id)


def purge_prepared(exam_id=None, now=None):
    """Delete the prepared papers (and, by the foreign key's cascade, their items) of exams nobody
    can start any more: ended, or past the end of their window. Returns how many papers went.

    An attempt keeps its own copy of its paper, so nothing anyone sat is touched; an exam whose
    window is opened again later draws its papers live at the start, as before they were prepared."""
    now = now or utcnow()
    over = select(Exam.id).where(or_(Exam.status.in_((ExamStatus.CLOSED, ExamStatus.SEALED)), Exam.closes_at <= now))
    if exam_id is not None:
        over = over.where(Exam.id == exam_id)
    papers = PreparedPaper.__table__
    return db.session.execute(delete(papers).where(papers.c.exam_id.in_(over))).rowcount


def usable_seed(exam):
    """A column for a select over ``PreparedPaper``: its seed while the paper still holds, else
    NULL. A blueprint's paper holds while every question on it is published at the version drawn;
    checked in the database beside the read of the seed, on the paper's own rows. A fixed paper
    names its versions itself and always holds."""
    return PreparedPaper.seed if exam.paper_mode == PaperMode.FIXED else _blueprint_seed()


def _blueprint_seed():
    stale = (
        select(literal(1))
        .select_from(PreparedItem)
        .join(QuestionVersion, QuestionVersion.id == PreparedItem.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(
            PreparedItem.roster_entry_id == PreparedPaper.roster_entry_id,
            or_(
                Question.current_version_id != PreparedItem.question_version_id,
                Question.status != QuestionStatus.PUBLISHED,
            ),
        )
        .exists()
    )
    return case((stale, None), else_=PreparedPaper.seed)


#: statements built once per process (an exam-day start should not spend its time building them)
_statements = {}


def _statement(name, build):
    stmt = _statements.get(name)
    if stmt is None:
        stmt = _statements[name] = build()
    return stmt


def prepared_seed(exam, entry_id):
    """The seed of the roster row's prepared paper if it still holds, else None."""
    stmt = _statement(
        ("seed", exam.paper_mode),
        lambda: select(usable_seed(exam)).where(PreparedPaper.roster_entry_id == bindparam("entry_id")),
    )
    return db.session.scalar(stmt, {"entry_id": entry_id})


def exam_sitting(exam_id, user_id):
    """(exam, roster entry, attempt, usable prepared seed, as ``usable_seed``) of the person for
    the exam ``exam_id`` in one statement, the start page's one read; any of them may be None."""
    stmt = _statement(
        "exam_sitting",
        lambda: (
            select(
                Exam,
                RosterEntry,
                Attempt,
                case((Exam.paper_mode == PaperMode.FIXED, PreparedPaper.seed), else_=_blueprint_seed()),
            )
            .select_from(Exam)
            .outerjoin(RosterEntry, and_(RosterEntry.exam_id == Exam.id, RosterEntry.user_id == bindparam("user_id")))
            .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
            .outerjoin(PreparedPaper, PreparedPaper.roster_entry_id == RosterEntry.id)
            .where(Exam.id == bindparam("exam_id"))
        ),
    )
    row = db.session.execute(stmt, {"exam_id": exam_id, "user_id": user_id}).first()
    return tuple(row) if row is not None else (None, None, None, None)


def copy_prepared(attempt_id, entry_id):
    """The attempt's items as one INSERT ... SELECT from the roster row's prepared paper; returns
    how many rows it copied (0 when the paper is gone)."""
    stmt = _statement(
        "copy",
        lambda: insert(AttemptItem.__table__).from_select(
            ["attempt_id", "position", "question_version_id", "points", "option_order", "response_seq", "flagged"],
            select(
                bindparam("attempt_id"),
                PreparedItem.position,
                PreparedItem.question_version_id,
                PreparedItem.points,
                PreparedItem.option_order,
                literal(0),
                literal(False),
            ).where(PreparedItem.roster_entry_id == bindparam("entry_id")),
        ),
    )
    # an INSERT's rowcount is kept only when asked for (SQLAlchemy reads it after closing the cursor)
    params = {"attempt_id": attempt_id, "entry_id": entry_id}
    return db.session.execute(stmt, params, execution_options={"preserve_rowcount": True}).rowcount
