"""Exam-day login codes (登录码): the 准考证号 and a code printed on the ticket log its person in.

A code is 12 characters of a 31-character alphabet (23 letters and 8 digits, without 0/O, 1/I/L;
~59 bits), made by ``secrets`` and printed once, in groups (``ABCD-EFGH-JKMN``). Being random, it needs no slow
hash: the roster entry keeps its SHA-256, and a login costs one select and a hash instead of an
argon2id check. It works for one exam only, while that exam is published and not yet closed
(``TicketHolder.is_live``); anything else falls through to the password check unchanged.

Which entry a 准考证号 names is the exams feature's business: it registers the lookup here
(``register_ticket_holder_lookup``), as it registers the 准考证号 as a login name.
"""

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from ..audit.labels import FIELD_LABELS

#: upper-case letters and digits a person cannot confuse: no 0/O, 1/I/L
TICKET_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TICKET_CODE_LENGTH = 12
TICKET_CODE_GROUP = 4
#: what the audit entry of a ticket login says in its "how"
HOW_TICKET_CODE = "准考证登录码"

FIELD_LABELS.setdefault("how", "登录方式")
FIELD_LABELS.setdefault("exam", "考试")


@dataclass(frozen=True)
class TicketHolder:
    """What one select knows about the person a 准考证号 names, for checking a code."""

    user: object
    entry_id: int
    exam_id: int
    district_id: int | None
    #: SHA-256 hex of the normalised code, or None when none was issued
    code_hash: str | None
    #: the exam is published and not yet closed
    is_live: bool


def generate_ticket_code():
    """A new code, printed form (``ABCD-EFGH-JKMN``)."""
    raw = "".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(TICKET_CODE_LENGTH))
    return "-".join(raw[i : i + TICKET_CODE_GROUP] for i in range(0, TICKET_CODE_LENGTH, TICKET_CODE_GROUP))


def normalise_ticket_code(given):
    """What a person types, as stored: full-width to half-width, no spaces or hyphens, upper case.

    None when it cannot be a code (then no lookup is made at all).
    """
    if not isinstance(given, str) or len(given) > 4 * TICKET_CODE_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", given)
    text = "".join(c for c in text if not c.isspace() and c not in "-‐‑‒–—―ー－").upper()
    if len(text) != TICKET_CODE_LENGTH or any(c not in TICKET_CODE_ALPHABET for c in text):
        return None
    return text


def hash_ticket_code(code):
    """SHA-256 hex of the normalised code (the code is random: no salt or stretching is needed)."""
    normalised = normalise_ticket_code(code)
    if normalised is None:
        raise ValueError("not a ticket code")
    return hashlib.sha256(normalised.encode("ascii")).hexdigest()


def ticket_code_matches(holder, normalised_code):
    """Does ``normalised_code`` open ``holder``'s exam now (a live exam, an enabled examinee)?"""
    if holder is None or not holder.code_hash or not holder.is_live or not holder.user.is_enabled:
        return False
    given = hashlib.sha256(normalised_code.encode("ascii")).hexdigest()
    return hmac.compare_digest(given, holder.code_hash)


#: the function ticket number -> TicketHolder or None (one select), registered by the exams feature
_HOLDER_LOOKUPS = []


def register_ticket_holder_lookup(lookup):
    if lookup not in _HOLDER_LOOKUPS:
        _HOLDER_LOOKUPS.append(lookup)
    return lookup


def find_ticket_login(name, password):
    """The holder whose live ticket ``name`` and code ``password`` are, or None.

    Nothing is read unless the password has the shape of a code; then one select.
    """
    code = normalise_ticket_code(password)
    if code is None or not name:
        return None
    for lookup in _HOLDER_LOOKUPS:
        holder = lookup(name)
        if holder is not None:
            return holder if ticket_code_matches(holder, code) else None
    return None
