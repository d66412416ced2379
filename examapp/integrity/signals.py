"""Reading an exam's sitting from the database into the analysis's plain input.

Three grouped statements and one streamed one: the attempts with their roster unit and
their first and last answer times; the answered items as (attempt, version, key version, response
text); the sightings (page openings and saves from elsewhere). Correctness is decided
per distinct (key version, response) with the bank's own grading, so an attempt still
running is judged like a submitted one, and the comparison never depends on the order
the options were shown in (responses are stored in the version's own letters).
"""

import json

import numpy as np
from sqlalchemy import Text, cast, func, select

from ..auth.models import User
from ..bank.grading import grade_response, normalise_blank
from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..exams.models import RosterEntry
from ..extensions import db
from ..org.models import Unit
from ..results.scores import threshold_of
from ..sitting.models import Attempt, AttemptEvent, AttemptItem
from .analysis import AttemptInfo, Sighting, Sitting
from .devices import SIGHTINGS


def canonical(qtype, response):
    """A response as a comparable string, or None when nothing was answered."""
    if response is None:
        return None
    if qtype == "blank":
        parts = response if isinstance(response, list) else [response]
        parts = [normalise_blank(p) if isinstance(p, str) else "" for p in parts]
        return "|".join(parts) if any(parts) else None
    if isinstance(response, list):
        response = "".join(sorted(str(p) for p in response))
    return str(response) or None


def _attempts(exam_id):
    last_answer = (
        select(
            AttemptItem.attempt_id,
            func.max(AttemptItem.answered_at).label("last_answer_at"),
            func.min(AttemptItem.first_answered_at).label("first_answer_at"),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam_id)
        .group_by(AttemptItem.attempt_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Attempt.id,
            Attempt.user_id,
            Attempt.state,
            Attempt.started_at,
            Attempt.deadline_at,
            Attempt.submitted_at,
            Attempt.score,
            RosterEntry.unit_id,
            RosterEntry.district_id,
            User.name,
            User.username,
            last_answer.c.last_answer_at,
            last_answer.c.first_answer_at,
        )
        .join(RosterEntry, RosterEntry.id == Attempt.roster_entry_id)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(last_answer, last_answer.c.attempt_id == Attempt.id)
        .where(Attempt.exam_id == exam_id)
        .order_by(Attempt.id)
    ).all()
    attempts, names = [], {}
    for row in rows:
        attempts.append(
            AttemptInfo(
                id=row.id,
                user_id=row.user_id,
                unit_id=row.unit_id,
                district_id=row.district_id,
                state=row.state,
                started_at=row.started_at,
                deadline_at=row.deadline_at,
                submitted_at=row.submitted_at,
                score=float(row.score) if row.score is not None else None,
                last_answer_at=row.last_answer_at,
                first_answer_at=row.first_answer_at,
            )
        )
        names[row.id] = f"{row.name}（{row.username}）"
    return attempts, names


def _items(exam_id, index_of):
    """Answered items as arrays; the response text is decoded and graded once per distinct value."""
    stmt = (
        select(
            AttemptItem.attempt_id,
            AttemptItem.question_version_id,
            func.coalesce(AttemptItem.key_version_id, AttemptItem.question_version_id),
            cast(AttemptItem.response, Text),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam_id, AttemptItem.response.isnot(None))
    )
    versions = {
        row.id: (row.qtype, row.answer, row.stem)
        for row in db.session.execute(
            select(QuestionVersion.id, QuestionVersion.qtype, QuestionVersion.answer, QuestionVersion.stem).where(
                QuestionVersion.id.in_(
                    select(AttemptItem.question_version_id)
                    .join(Attempt, Attempt.id == AttemptItem.attempt_id)
                    .where(Attempt.exam_id == exam_id)
                    .union(
                        select(AttemptItem.key_version_id)
                        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
                        .where(Attempt.exam_id == exam_id, AttemptItem.key_version_id.isnot(None))
                    )
                )
            )
        )
    }
    decoded = {}  # (version, key version, raw text) -> (code or None, wrong)
    codes = {}
    att, ver, code, wrong = [], [], [], []
    for attempt_id, version_id, key_id, raw in _raw_rows(stmt):
        if raw is None:
            continue
        found = decoded.get((version_id, key_id, raw))
        if found is None:
            qtype = versions[version_id][0]
            response = json.loads(raw)
            text = canonical(qtype, response)
            if text is None:
                found = (None, False)
            else:
                key_type, key_answer, key_stem = versions[key_id]
                right = grade_response(key_type, key_answer, response, 1, stem=key_stem) == 1
                found = (codes.setdefault((version_id, text), len(codes)), not right)
            decoded[(version_id, key_id, raw)] = found
        if found[0] is None:
            continue
        att.append(index_of[attempt_id])
        ver.append(version_id)
        code.append(found[0])
        wrong.append(found[1])
    return (
        np.array(att, dtype=np.int64),
        np.array(ver, dtype=np.int64),
        np.array(code, dtype=np.int64),
        np.array(wrong, dtype=bool),
    )


def _raw_rows(stmt):
    """The statement's rows as plain tuples from the driver's own cursor, in batches.

    Hundreds of thousands of rows of four plain columns: SQLAlchemy's per-row processing
    would cost more than the analysis. The statement has no user input (its one parameter,
    the exam's id, is an integer), so it is rendered with literal values.
    """
    connection = db.session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(20000):
            yield from batch
    finally:
        cursor.close()


def _sightings(exam_id):
    rows = db.session.execute(
        select(
            AttemptEvent.attempt_id,
            AttemptEvent.kind,
            AttemptEvent.occurred_at,
            AttemptEvent.client_address,
            AttemptEvent.user_agent,
        )
        .join(Attempt, Attempt.id == AttemptEvent.attempt_id)
        .where(Attempt.exam_id == exam_id, AttemptEvent.kind.in_(SIGHTINGS))
        .order_by(AttemptEvent.id)
    ).all()
    return [Sighting(attempt_id=r[0], kind=r[1], at=r[2], address=r[3], user_agent=r[4]) for r in rows]


def load_sitting(exam):
    attempts, names = _attempts(exam.id)
    index_of = {a.id: i for i, a in enumerate(attempts)}
    item_attempt, item_version, item_response, item_wrong = _items(exam.id, index_of)
    unit_ids = {a.unit_id for a in attempts} | {a.district_id for a in attempts if a.district_id}
    unit_names = (
        dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    )
    return Sitting(
        attempts=attempts,
        item_attempt=item_attempt,
        item_version=item_version,
        item_response=item_response,
        item_wrong=item_wrong,
        sightings=_sightings(exam.id),
        now=utcnow(),
        threshold=float(threshold_of(exam)),
        person_names=names,
        unit_names=unit_names,
    )
