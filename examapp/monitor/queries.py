"""What the live monitor reads: one grouped query for the units, one page of people.

The monitor reads roster rows and attempt headers, and of the attempt items only how many
there are and how many hold an answer (counted in the database): no response, answer key or
correctness can reach the page.
Every function is scoped with ``access.scope_roster`` (a district admin sees
their own district's roster rows) and returns plain values.
"""

from datetime import timedelta

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from .. import access
from ..audit.models import AuditEntry
from ..auth.models import User
from ..exams.models import RosterEntry
from ..extensions import db
from ..org.models import Unit
from ..sitting.models import Attempt, AttemptEvent, AttemptItem, AttemptState, SubmitReason, event_text

NOT_STARTED = "not_started"
#: the states a roster row can be in, as the monitor counts them
STATES = (NOT_STARTED, AttemptState.IN_PROGRESS, AttemptState.SUBMITTED, AttemptState.VOIDED)
STATE_LABELS = {NOT_STARTED: "未开始", **AttemptState.LABELS}
COUNTS = ("roster", *STATES)
PER_PAGE = 50
#: a page heard from (a save, a report, an opening) this recently counts as 在线
ONLINE_WITHIN = timedelta(minutes=2)


def _counted_as(state):
    """The states a count (or filter) of ``state`` takes in: 已交卷 holds the hand-ins whose score is
    still being computed (seconds; their rows say 成绩计算中)."""
    return (AttemptState.SUBMITTED, AttemptState.GRADING) if state == AttemptState.SUBMITTED else (state,)


def _item_count(*conditions):
    return (
        select(func.count(AttemptItem.id))
        .where(AttemptItem.attempt_id == Attempt.id, *conditions)
        .correlate(Attempt)
        .scalar_subquery()
    )


def _answered():
    """An item holding an answer: a cleared answer is stored as NULL or as JSON null."""
    return and_(AttemptItem.response.isnot(None), cast(AttemptItem.response, Text) != "null")


def _last_event_at():
    return (
        select(func.max(AttemptEvent.occurred_at))
        .where(AttemptEvent.attempt_id == Attempt.id)
        .correlate(Attempt)
        .scalar_subquery()
    )


def last_contact(last_saved_at, last_event_at, started_at):
    """When the server last heard from the attempt's page: a save, a report or an opening."""
    known = [t for t in (last_saved_at, last_event_at, started_at) if t is not None]
    return max(known) if known else None


def is_online(state, contact_at, now):
    return state == AttemptState.IN_PROGRESS and contact_at is not None and now - contact_at <= ONLINE_WITHIN


def unit_summary(exam_id, user):
    """Per frozen roster unit: roster size and how many are in each state, in ONE grouped query."""
    district = aliased(Unit)
    counts = [
        func.count(RosterEntry.id).label("roster"),
        func.count(case((Attempt.id.is_(None), 1))).label(NOT_STARTED),
        *(func.count(case((Attempt.state.in_(_counted_as(state)), 1))).label(state) for state in AttemptState.ALL),
    ]
    stmt = (
        select(
            RosterEntry.unit_id,
            Unit.code.label("unit_code"),
            Unit.name.label("unit_name"),
            district.name.label("district_name"),
            *counts,
        )
        .select_from(RosterEntry)
        .join(Unit, Unit.id == RosterEntry.unit_id)
        .outerjoin(district, district.id == RosterEntry.district_id)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.exam_id == exam_id)
        .group_by(RosterEntry.unit_id, Unit.code, Unit.name, district.code, district.name)
        .order_by(district.code, Unit.code)
    )
    stmt = access.scope_roster(stmt, user, RosterEntry)
    return [dict(row._mapping) for row in db.session.execute(stmt)]


def totals(summary):
    """The units' counts added up (no query)."""
    return {key: sum(row[key] for row in summary) for key in COUNTS}


class _RowPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination over a multi-column select, items turned into dicts."""

    def _query_items(self):
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        shape = self._query_args["shape"]
        return [shape(row) for row in self._query_args["session"].execute(stmt)]


def people_page(exam_id, user, now, *, unit_id=None, state=None, q=None, page=1, per_page=PER_PAGE):
    """One page of roster rows with their attempt's header: two queries (rows, count) whatever the size."""
    stmt = (
        select(
            RosterEntry.id.label("entry_id"),
            RosterEntry.unit_id,
            RosterEntry.extra_minutes,
            User.name,
            User.username,
            Unit.code.label("unit_code"),
            Unit.name.label("unit_name"),
            Attempt.id.label("attempt_id"),
            Attempt.state,
            Attempt.started_at,
            Attempt.deadline_at,
            Attempt.submitted_at,
            Attempt.submit_reason,
            Attempt.last_saved_at,
            Attempt.departures,
            Attempt.score,
            _item_count().label("questions"),
            _item_count(_answered()).label("answered"),
            _last_event_at().label("last_event_at"),
        )
        .select_from(RosterEntry)
        .join(User, User.id == RosterEntry.user_id)
        .join(Unit, Unit.id == RosterEntry.unit_id)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.exam_id == exam_id)
        .order_by(Unit.code, User.username, RosterEntry.id)
    )
    stmt = access.scope_roster(stmt, user, RosterEntry)
    if unit_id is not None:
        stmt = stmt.where(RosterEntry.unit_id == unit_id)
    if state == NOT_STARTED:
        stmt = stmt.where(Attempt.id.is_(None))
    elif state in AttemptState.ALL:
        stmt = stmt.where(Attempt.state.in_(_counted_as(state)))
    if q:
        stmt = stmt.where(
            or_(User.name.contains(q, autoescape=True), User.username.contains(q.lower(), autoescape=True))
        )
    return _RowPagination(
        select=stmt,
        session=db.session,
        shape=lambda row: person_row(row._mapping, now),
        page=page,
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


def person_row(values, now):
    """A roster row as the monitor shows it; time left is the server's deadline minus the server's now."""
    state = values["state"] or NOT_STARTED
    seconds_left = None
    if state == AttemptState.IN_PROGRESS:
        seconds_left = max(0, int((values["deadline_at"] - now).total_seconds()))
    contact_at = last_contact(values["last_saved_at"], values["last_event_at"], values["started_at"])
    return {
        "entry_id": values["entry_id"],
        "unit_id": values["unit_id"],
        "unit_code": values["unit_code"],
        "unit_name": values["unit_name"],
        "name": values["name"],
        "username": values["username"],
        "extra_minutes": values["extra_minutes"],
        "attempt_id": values["attempt_id"],
        "state": state,
        "state_label": STATE_LABELS[state],
        "started_at": values["started_at"],
        "deadline_at": values["deadline_at"],
        "seconds_left": seconds_left,
        "submitted_at": values["submitted_at"],
        "submit_reason": SubmitReason.LABELS.get(values["submit_reason"], values["submit_reason"]),
        "last_saved_at": values["last_saved_at"],
        "departures": values["departures"] or 0,
        "score": values["score"],
        "questions": values["questions"] or 0,
        "answered": values["answered"] or 0,
        "contact_at": contact_at,
        "online": is_online(state, contact_at, now),
    }


def progress(attempt):
    """(answered, questions, last contact) of one attempt, for the person page."""
    row = db.session.execute(
        select(_item_count(_answered()), _item_count(), _last_event_at()).where(Attempt.id == attempt.id)
    ).one()
    return row[0], row[1], last_contact(attempt.last_saved_at, row[2], attempt.started_at)


def in_progress_attempts(entries):
    """The attempts being answered of these roster rows (the caller scoped them)."""
    ids = [entry.id for entry in entries]
    if not ids:
        return []
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.roster_entry_id.in_(ids), Attempt.state == AttemptState.IN_PROGRESS)
        .options(selectinload(Attempt.user), selectinload(Attempt.exam), selectinload(Attempt.roster_entry))
        .order_by(Attempt.id)
    ).all()


# --- one person ------------------------------------------------------------


def roster_entry(exam_id, entry_id):
    """The roster row of this exam, or None (the caller checks scope with ``access.ensure``)."""
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None or entry.exam_id != exam_id:
        return None
    return entry


def attempt_for_entry(entry_id):
    return db.session.scalar(select(Attempt).where(Attempt.roster_entry_id == entry_id))


def unit_entries(exam_id, unit_id, user):
    """Every roster row of ``unit_id`` in this exam that ``user`` may act on (names loaded for the audit)."""
    stmt = (
        select(RosterEntry)
        .where(RosterEntry.exam_id == exam_id, RosterEntry.unit_id == unit_id)
        .options(selectinload(RosterEntry.user))
        .order_by(RosterEntry.id)
    )
    return db.session.scalars(access.scope_roster(stmt, user, RosterEntry)).all()


def attempt_events(attempt_id, limit=100):
    """The attempt's recorded events, newest first: kind, time and address only (never the detail)."""
    rows = db.session.execute(
        select(AttemptEvent.kind, AttemptEvent.occurred_at, AttemptEvent.client_address, AttemptEvent.duration_ms)
        .where(AttemptEvent.attempt_id == attempt_id)
        .order_by(AttemptEvent.occurred_at.desc(), AttemptEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        {"kind": event_text(kind, duration), "occurred_at": at, "client_address": address}
        for kind, at, address, duration in rows
    ]


def corrections(entry_id, attempt_id):
    """Audited corrections of this person in this exam (extra time on the roster row, reopen/void of the attempt)."""
    conditions = [(AuditEntry.object_type == "roster_entry") & (AuditEntry.object_id == str(entry_id))]
    if attempt_id is not None:
        conditions.append((AuditEntry.object_type == "attempt") & (AuditEntry.object_id == str(attempt_id)))
    return db.session.scalars(select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.id.desc())).all()
