"""Reading an exam's sitting from the database into the analysis's plain input.

Three grouped statements and one streamed one: the attempts with their roster unit and
their first and last answer times; the answered items as (attempt, version, key version, response
text); the sightings (page openings and saves from elsewhere). Correctness is decided
per distinct (key version, response) with the bank's own grading, so an attempt still
running is judged like a submitted one, and the comparison never depends on the order
the options were shown in (responses are stored in the version's own letters).
"""

import itertools
import json
import math

import numpy as np
from sqlalchemy import Float, Text, cast, func, select

from ..auth.models import User
from ..bank.grading import grade_response
from ..bank.models import QuestionVersion
from ..batches import batches
from ..clock import utcnow
from ..exams.models import RosterEntry
from ..extensions import db
from ..org.models import Unit
from ..results.scores import threshold_of
from ..sitting.models import Attempt, AttemptEvent, AttemptItem
from .analysis import AttemptInfo, Sighting, Sitting
from .devices import SIGHTINGS
from .plain import canonical

#: answered items read from the database at a time
BATCH = 20000
#: the server-side cursor they come through on PostgreSQL
CURSOR_NAME = "integrity_items"
#: a number per cursor opened, so that two reads open at once on one connection never share a name
_CURSOR_NUMBERS = itertools.count(1)
#: the answered items' arrays: attempt index, version, response code, wrong, first answer time
ITEM_DTYPES = (np.int64, np.int64, np.int64, bool, np.float64)


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
            _epoch(AttemptItem.first_answered_at),
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
    # each batch of rows becomes five small arrays at once: 800,000 answers held as Python lists
    # until the end would cost several times the arrays' memory
    parts = ([], [], [], [], [])
    for batch in _raw_batches(stmt):
        att, ver, code, wrong, first = [], [], [], [], []
        for attempt_id, version_id, key_id, raw, first_at in batch:
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
            first.append(math.nan if first_at is None else first_at)
        for part, values, dtype in zip(parts, (att, ver, code, wrong, first), ITEM_DTYPES, strict=True):
            part.append(np.array(values, dtype=dtype))
    return tuple(
        np.concatenate(part) if part else np.array([], dtype=dtype)
        for part, dtype in zip(parts, ITEM_DTYPES, strict=True)
    )


def _epoch(column):
    """POSIX seconds of a time column as a float, computed by the database (800,000 rows of
    datetimes made and converted in Python would cost seconds): PostgreSQL's epoch, SQLite's
    Julian day (the column holds UTC text there)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * 86400.0


def _raw_batches(stmt):
    """The statement's rows as lists of plain tuples from the driver's own cursor, ``BATCH`` at a time.

    Hundreds of thousands of rows of four plain columns: SQLAlchemy's per-row processing
    would cost more than the analysis. The statement has no user input (its one parameter,
    the exam's id, is an integer), so it is rendered with literal values.

    On PostgreSQL the cursor is a server-side one: the database hands the rows over a batch at a
    time, where a client cursor receives the whole result (every answer of the exam) before the
    first row is read. SQLite's cursor steps through the result as it is read.
    """
    connection = db.session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    named = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name=f"{CURSOR_NAME}_{next(_CURSOR_NUMBERS)}") if named else driver.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch
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
            AttemptEvent.detail,
        )
        .join(Attempt, Attempt.id == AttemptEvent.attempt_id)
        .where(Attempt.exam_id == exam_id, AttemptEvent.kind.in_(SIGHTINGS))
        .order_by(AttemptEvent.id)
    ).all()
    return [
        Sighting(
            attempt_id=r[0],
            kind=r[1],
            at=r[2],
            address=r[3],
            user_agent=r[4],
            device=_detail_id(r[5], "device"),
            tab=_detail_id(r[5], "tab"),
        )
        for r in rows
    ]


def _detail_id(detail, name):
    value = detail.get(name) if isinstance(detail, dict) else None
    return value if isinstance(value, str) and value else None


def load_sitting(exam):
    attempts, names = _attempts(exam.id)
    index_of = {a.id: i for i, a in enumerate(attempts)}
    item_attempt, item_version, item_response, item_wrong, item_first_at = _items(exam.id, index_of)
    unit_ids = {a.unit_id for a in attempts} | {a.district_id for a in attempts if a.district_id}
    unit_names = {}
    for ids in batches(unit_ids):
        unit_names.update(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    return Sitting(
        attempts=attempts,
        item_attempt=item_attempt,
        item_version=item_version,
        item_response=item_response,
        item_wrong=item_wrong,
        item_first_at=item_first_at,
        sightings=_sightings(exam.id),
        now=utcnow(),
        threshold=float(threshold_of(exam)),
        person_names=names,
        unit_names=unit_names,
        rooms=exam.networks,
    )


def exam_data(exam):
    """The exam's sitting in the plain-data shape (``plain.sitting_from_data`` reads it back).

    Item ids are the key versions' ids (a corrected key counts as its own item); people,
    units and districts by their ids; no names. For ``flask integrity export-file``.
    """
    attempts, _names = _attempts(exam.id)
    versions = {}
    by_attempt = {a.id: [] for a in attempts}
    rows = db.session.execute(
        select(
            AttemptItem.attempt_id,
            func.coalesce(AttemptItem.key_version_id, AttemptItem.question_version_id),
            AttemptItem.points,
            AttemptItem.response,
            AttemptItem.first_answered_at,
            AttemptItem.answered_at,
            AttemptItem.save_count,
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id)
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    )
    for attempt_id, version_id, points, response, first_at, answered_at, saves in rows:
        versions.setdefault(version_id, points)
        by_attempt[attempt_id].append(
            {
                "item": version_id,
                "response": response,
                "first_answered_at": _iso(first_at),
                "answered_at": _iso(answered_at),
                "saves": saves,
            }
        )
    keys = {
        row.id: row
        for ids in batches(versions)
        for row in db.session.execute(
            select(QuestionVersion.id, QuestionVersion.qtype, QuestionVersion.answer).where(QuestionVersion.id.in_(ids))
        )
    }
    sightings = {a.id: [] for a in attempts}
    for s in _sightings(exam.id):
        sightings[s.attempt_id].append(
            {
                "at": _iso(s.at),
                "kind": s.kind,
                "address": s.address,
                "browser": s.user_agent,
                "device": s.device,
                "tab": s.tab,
            }
        )
    return {
        "rooms": [str(network) for network in exam.networks],
        "threshold": float(threshold_of(exam)),
        "items": [
            {"id": vid, "qtype": keys[vid].qtype, "key": keys[vid].answer, "points": float(points)}
            for vid, points in sorted(versions.items())
        ],
        "attempts": [
            {
                "id": a.id,
                "person": a.user_id,
                "unit": a.unit_id,
                "district": a.district_id,
                "state": a.state,
                "score": a.score,
                "started_at": _iso(a.started_at),
                "deadline_at": _iso(a.deadline_at),
                "submitted_at": _iso(a.submitted_at),
                "answers": by_attempt[a.id],
                "sightings": sightings[a.id],
            }
            for a in attempts
        ],
    }


def _iso(moment):
    return moment.isoformat() if moment is not None else None
