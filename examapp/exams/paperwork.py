"""Exam-day paperwork: admission tickets, first-login passwords and seats.

Printing tickets changes nothing: a password is stored only as a hash, so a ticket printed later
names the password its person already has (the one issued earlier, or their own). Issuing new
first-login passwords is a separate action for chosen people; it voids every ticket printed for
them before, of any exam. Services flush; the caller commits.
"""

from dataclasses import dataclass

from sqlalchemy import select

from ..audit.labels import FIELD_LABELS
from ..audit.services import record_change, register_actions
from ..auth.models import User
from ..auth.services import register_login_name_resolver
from ..errors import DomainError
from ..extensions import db
from ..reasons import clean_reason
from ..staff.services import reset_password
from .models import Exam, RosterEntry

register_actions(
    {
        "exam.passwords_issued": "重新发放准考证初始密码",
        "exam.seat_set": "设置考场和座位号",
    }
)

FIELD_LABELS.setdefault("room", "考场")
FIELD_LABELS.setdefault("seat", "座位号")

#: the longest 考场 and 座位号 (the columns' lengths)
ROOM_LENGTH = 40
SEAT_LENGTH = 20
#: the longest ticket number looked up at login (the column's length)
TICKET_NUMBER_LENGTH = 20


@register_login_name_resolver
def user_of_ticket_number(name):
    """The person an admission ticket number names (spaces inside it ignored: ``2026 0003 00012``)."""
    digits = "".join(name.split())
    if not digits.isdigit() or len(digits) > TICKET_NUMBER_LENGTH:
        return None
    return db.session.scalar(
        select(User).join(RosterEntry, RosterEntry.user_id == User.id).where(RosterEntry.ticket_number == digits)
    )


@dataclass(frozen=True)
class AdmissionTicket:
    entry: object
    #: the first-login password issued just now, or None (the ticket says which password applies)
    password: str | None = None

    @property
    def password_state(self):
        """ "new", "initial" (issued earlier, not yet changed) or "own" (the person's own)."""
        if self.password is not None:
            return "new"
        return "initial" if self.entry.user.must_change_password else "own"


def started_entry_ids(entries):
    """Ids of the rows whose person has started this exam (their password must stay)."""
    if not entries:
        return set()
    return set(
        db.session.scalars(
            select(RosterEntry.id).join(RosterEntry.attempt).where(RosterEntry.id.in_([e.id for e in entries]))
        )
    )


def other_open_exams(exam, entries):
    """Titles of the other exams, not yet ended, on whose rosters these people also are."""
    if not entries:
        return []
    exams = db.session.scalars(
        select(Exam)
        .join(RosterEntry, RosterEntry.exam_id == Exam.id)
        .where(RosterEntry.user_id.in_([e.user_id for e in entries]), Exam.id != exam.id)
        .distinct()
        .order_by(Exam.opens_at)
    ).all()
    return [other.title for other in exams if not other.has_ended]


def issue_first_login_passwords(actor, exam, unit, entries, reason):
    """New first-login passwords for ``entries`` (chosen roster rows under ``unit``), with a reason.

    Returns (tickets, started): people who have already started the exam keep their password
    (a reset would end the session they are answering in) and are listed in ``started``.
    Every ticket printed before for the others, of this exam or any other, stops working.
    """
    reason = clean_reason(reason, "发放原因", required=True)
    if exam.has_ended:
        raise DomainError("考试已结束，不再发放准考证")
    if not entries:
        raise DomainError("请勾选要重新发放初始密码的人员", field="entry_ids")
    started_ids = started_entry_ids(entries)
    user_reason = f"重新发放准考证初始密码（{exam.title}）：{reason}"
    tickets, started = [], []
    for entry in entries:
        if entry.id in started_ids:
            started.append(entry)
            continue
        tickets.append(AdmissionTicket(entry, reset_password(actor, entry.user, reason=user_reason)))
    district = unit.district
    record_change(
        actor,
        "exam.passwords_issued",
        "exam",
        exam.id,
        label=exam.title,
        reason=reason,
        after={
            "unit": unit.code,
            "issued": [t.entry.user.username for t in tickets],
            "skipped_started": [e.user.username for e in started],
        },
        district_id=district.id if district is not None else None,
    )
    return tickets, started


def set_seat(actor, entry, room, seat):
    """Set the 考场 and 座位号 printed on ``entry``'s admission ticket (blank clears them)."""
    if entry.exam.has_ended:
        raise DomainError("考试已结束，考场和座位号不能再修改")
    room, seat = (room or "").strip(), (seat or "").strip()
    if len(room) > ROOM_LENGTH:
        raise DomainError(f"考场不能超过 {ROOM_LENGTH} 个字", field="room")
    if len(seat) > SEAT_LENGTH:
        raise DomainError(f"座位号不能超过 {SEAT_LENGTH} 个字", field="seat")
    before = {"room": entry.room, "seat": entry.seat}
    entry.room, entry.seat = room or None, seat or None
    after = {"room": entry.room, "seat": entry.seat}
    if before == after:
        return False
    db.session.flush()
    record_change(
        actor,
        "exam.seat_set",
        "roster_entry",
        entry.id,
        label=f"{entry.exam.title}：{entry.user.name}（{entry.ticket_number}）",
        before=before,
        after=after,
        district_id=entry.district_id,
    )
    return True
