"""Exam-day paperwork: admission tickets, login codes, first-login passwords and seats.

Printing tickets changes nothing: a password and a login code (登录码, ``auth.tickets``) are
stored only as hashes, so a ticket printed later names the password its person already has (the
one issued earlier, or their own) and never a code. Issuing is a separate action for chosen
people: new login codes for this exam (the old codes stop working; passwords stay), or new codes
and new first-login passwords (which voids every ticket printed for them before, of any exam).
Services flush; the caller commits.
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.labels import FIELD_LABELS
from ..audit.services import record_change, register_actions
from ..auth.models import User
from ..auth.services import register_login_name_resolver
from ..auth.tickets import TicketHolder, generate_ticket_code, hash_ticket_code, register_ticket_holder_lookup
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..reasons import clean_reason
from ..staff.services import reset_password
from .models import Exam, ExamStatus, RosterEntry

register_actions(
    {
        "exam.passwords_issued": "重新发放准考证初始密码",
        "exam.ticket_codes_issued": "签发准考证登录码",
        "exam.seat_set": "设置考场和座位号",
    }
)

FIELD_LABELS.setdefault("room", "考场")
FIELD_LABELS.setdefault("seat", "座位号")
FIELD_LABELS.setdefault("ticket_numbers", "签发登录码的准考证号")

#: the longest 考场 and 座位号 (the columns' lengths)
ROOM_LENGTH = 40
SEAT_LENGTH = 20
#: the longest ticket number looked up at login (the column's length)
TICKET_NUMBER_LENGTH = 20


@register_login_name_resolver
def user_of_ticket_number(name):
    """The person an admission ticket number names (spaces inside it ignored: ``2026 0003 00012``)."""
    digits = _ticket_digits(name)
    if digits is None:
        return None
    return db.session.scalar(
        select(User).join(RosterEntry, RosterEntry.user_id == User.id).where(RosterEntry.ticket_number == digits)
    )


def _ticket_digits(name):
    digits = "".join(name.split())
    return digits if digits.isdigit() and len(digits) <= TICKET_NUMBER_LENGTH else None


@cache
def _ticket_holder_statement():
    """Built once: a login wave runs it for every ticket login."""
    return (
        select(
            User,
            RosterEntry.id,
            RosterEntry.exam_id,
            RosterEntry.district_id,
            RosterEntry.ticket_code_hash,
            Exam.status,
            Exam.closes_at,
        )
        .join(RosterEntry, RosterEntry.user_id == User.id)
        .join(Exam, Exam.id == RosterEntry.exam_id)
        .where(RosterEntry.ticket_number == bindparam("number"))
    )


@register_ticket_holder_lookup
def ticket_holder(name):
    """The person, roster entry and exam an admission ticket number names, in one select."""
    digits = _ticket_digits(name)
    if digits is None:
        return None
    row = db.session.execute(_ticket_holder_statement(), {"number": digits}).first()
    if row is None:
        return None
    user, entry_id, exam_id, district_id, code_hash, status, closes_at = row
    return TicketHolder(
        user=user,
        entry_id=entry_id,
        exam_id=exam_id,
        district_id=district_id,
        code_hash=code_hash,
        is_live=status == ExamStatus.PUBLISHED and utcnow() < closes_at,
    )


@dataclass(frozen=True)
class AdmissionTicket:
    entry: object
    #: the first-login password issued just now, or None (the ticket says which password applies)
    password: str | None = None
    #: the login code (登录码) issued just now, or None (only its hash is kept: a reprint never shows it)
    code: str | None = None

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
    """New first-login passwords and login codes for ``entries`` (chosen roster rows under ``unit``).

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
    if tickets:  # the new ticket carries a new login code too: a lost ticket's code must stop working
        codes = issue_ticket_codes(actor, [t.entry for t in tickets], unit=unit, reason=reason)
        tickets = [AdmissionTicket(t.entry, t.password, codes[t.entry.id]) for t in tickets]
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


def issue_ticket_codes(actor, entries, *, unit=None, reason=None):
    """New login codes (登录码) for roster ``entries``: ``{entry_id: code}``, the codes in printed form.

    Each entry's earlier code stops working. Only SHA-256 hashes are stored, in one batched
    UPDATE (10,000 entries in well under a second); the loaded entries are brought up to date
    without another statement. One audit entry per exam says who issued codes for which ticket
    numbers, never a code. An exam that has ended gets none.
    """
    if not entries:
        raise DomainError("请勾选要签发登录码的人员", field="entry_ids")
    by_exam = {}
    for entry in entries:
        by_exam.setdefault(entry.exam_id, []).append(entry)
    exams = {exam_id: db.session.get(Exam, exam_id) for exam_id in by_exam}
    if any(exam.has_ended for exam in exams.values()):
        raise DomainError("考试已结束，不再签发登录码")
    now = utcnow()
    codes = {entry.id: generate_ticket_code() for entry in entries}
    hashes = {entry_id: hash_ticket_code(code) for entry_id, code in codes.items()}
    db.session.execute(
        update(RosterEntry),
        [{"id": entry_id, "ticket_code_hash": h, "ticket_code_issued_at": now} for entry_id, h in hashes.items()],
    )
    for entry in entries:
        set_committed_value(entry, "ticket_code_hash", hashes[entry.id])
        set_committed_value(entry, "ticket_code_issued_at", now)
    district = unit.district if unit is not None else None
    for exam_id, issued in by_exam.items():
        districts = {e.district_id for e in issued}
        record_change(
            actor,
            "exam.ticket_codes_issued",
            "exam",
            exam_id,
            label=exams[exam_id].title,
            reason=reason,
            after={
                "unit": unit.code if unit is not None else None,
                "ticket_numbers": [e.ticket_number for e in issued],
            },
            district_id=district.id if district is not None else (districts.pop() if len(districts) == 1 else None),
        )
    return codes


def issue_unit_ticket_codes(actor, exam, unit, entries, reason):
    """New login codes for chosen roster rows under ``unit``; passwords and sessions stay as they are.

    People who have started get one too (nothing of their attempt changes). Returns the tickets.
    """
    reason = clean_reason(reason, "发放原因", required=True)
    if exam.has_ended:
        raise DomainError("考试已结束，不再发放准考证")
    codes = issue_ticket_codes(actor, entries, unit=unit, reason=reason)
    return [AdmissionTicket(entry, code=codes[entry.id]) for entry in entries]


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
