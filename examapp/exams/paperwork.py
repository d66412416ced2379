"""Exam-day paperwork: admission tickets (with first-login passwords) and sign-in sheets.

Services flush; the caller commits.
"""

from dataclasses import dataclass

from sqlalchemy import select

from ..audit.services import record_change
from ..errors import DomainError
from ..extensions import db
from ..staff.services import reset_password
from .models import RosterEntry


@dataclass(frozen=True)
class AdmissionTicket:
    entry: object
    password: str


def issue_admission_tickets(actor, exam, unit, entries):
    """New first-login passwords for the people on ``entries`` (roster rows under ``unit``).

    Returns (tickets, started): people who have already started the exam keep their
    password (a reset would end the session they are answering in) and are listed in ``started``.
    Every earlier ticket of the others stops working.
    """
    if exam.has_ended:
        raise DomainError("考试已结束，不再发放准考证")
    if not entries:
        raise DomainError(f"“{unit.name}”没有人在本场考试的名单中")
    started_ids = set(
        db.session.scalars(
            select(RosterEntry.id).join(RosterEntry.attempt).where(RosterEntry.id.in_([e.id for e in entries]))
        )
    )
    reason = f"打印准考证：{exam.title}"
    tickets, started = [], []
    for entry in entries:
        if entry.id in started_ids:
            started.append(entry)
            continue
        tickets.append(AdmissionTicket(entry, reset_password(actor, entry.user, reason=reason)))
    district = unit.district
    record_change(
        actor,
        "exam.ticket_issued",
        "exam",
        exam.id,
        label=exam.title,
        after={
            "unit": unit.code,
            "issued": [t.entry.user.username for t in tickets],
            "skipped_started": [e.user.username for e in started],
        },
        district_id=district.id if district is not None else None,
    )
    return tickets, started
