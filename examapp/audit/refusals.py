"""Refused access goes to the audit log: who reached for what, from where.

``access.ensure`` and the guard note a refusal on the request (``note_refusal``) and abort; once
the error page is built, ``write_noted_refusal`` (an after-request hook) rolls back whatever the
refused request had started, writes the entry in its own short transaction and commits it. A
failure there is logged and swallowed: a 403 stays a 403.

Rate limit, so a scanner walking ids cannot flood the log: per user, at most one entry per object
type per minute and ``AUDIT_REFUSALS_PER_HOUR`` (default 20) entries an hour. The entries are
counted in the database, not in process memory: the app runs as several worker processes (and
possibly several servers), each with its own memory, and a per-process count would multiply the
limit by their number and forget it on every restart. The count costs two indexed reads, on a
refused request only; it is taken again under the audit chain's head lock before writing, so
concurrent workers cannot overshoot it.
"""

import re
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app, g, has_request_context, request
from sqlalchemy import func, select

from ..clock import utcnow
from ..extensions import db
from .labels import OBJECT_LABELS, REFUSAL_ACTION
from .models import AuditEntry

DEFAULT_PER_HOUR = 20
_NOTE = "audit_access_refusal"


def _object_type(obj):
    if obj is None:
        return "page"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def note_refusal(user, permission, obj, status):
    """Remember on the request that ``user`` was refused ``obj`` (None: the page itself).
    Never raises: noting must not change the answer."""
    try:
        if not has_request_context() or not getattr(user, "is_authenticated", False):
            return
        if g.get(_NOTE) is not None:
            return  # one refusal ends the request; the first is the one that counts
        object_type = _object_type(obj)
        object_id = getattr(obj, "id", None) if obj is not None else request.endpoint
        unit = getattr(user, "unit", None)
        district = unit.district if unit is not None else None
        type_label = OBJECT_LABELS.get(object_type, object_type)
        setattr(
            g,
            _NOTE,
            {
                "user_id": user.id,
                "username": user.username,
                "district_id": district.id if district is not None else None,
                "object_type": object_type,
                "object_id": object_id,
                "label": f"{type_label} {object_id}" if obj is not None else f"{type_label} {request.path}",
                "after": {
                    "path": request.path[:200],
                    "method": request.method,
                    "endpoint": request.endpoint,
                    "answer_status": str(status),
                },
            },
        )
    except Exception:  # noqa: BLE001 - the refusal itself must go ahead whatever happens here
        current_app.logger.exception("could not note a refused access")


def _count(facts, since, object_type=None):
    stmt = select(func.count(AuditEntry.id)).where(
        AuditEntry.action == REFUSAL_ACTION,
        AuditEntry.actor_id == facts["user_id"],
        AuditEntry.created_at >= since,
    )
    if object_type is not None:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    return db.session.scalar(stmt)


def _room(facts):
    """How many more entries this user may have this hour (0: none now)."""
    now = utcnow()
    if _count(facts, now - timedelta(minutes=1), facts["object_type"]):
        return 0
    per_hour = current_app.config.get("AUDIT_REFUSALS_PER_HOUR", DEFAULT_PER_HOUR)
    return max(per_hour - _count(facts, now - timedelta(hours=1)), 0)


def _write(facts):
    from .chain import _head
    from .services import record_change

    if not _room(facts):
        return False  # checked once without the lock: a flood stays off the chain's head
    with db.session.no_autoflush:
        _head(db.session, "audit")  # lines concurrent writers up; the count below is then exact
    room = _room(facts)
    if not room:
        db.session.rollback()
        return False
    actor = SimpleNamespace(id=facts["user_id"], username=facts["username"])
    reason = "本小时内该账号的越权访问已达记录上限，此后的不再逐条记录" if room == 1 else None
    record_change(
        actor,
        REFUSAL_ACTION,
        facts["object_type"],
        facts["object_id"],
        label=facts["label"],
        after=facts["after"],
        reason=reason,
        district_id=facts["district_id"],
    )
    db.session.commit()
    return True


def write_noted_refusal(response):
    """After-request hook: write the refusal noted on this request, if it ended refused."""
    facts = g.pop(_NOTE, None)
    if facts is None or response.status_code not in (403, 404):
        return response
    try:
        db.session.rollback()  # the refused request keeps nothing of its own
        _write(facts)
    except Exception:  # noqa: BLE001 - a 403 must stay a 403
        current_app.logger.exception("could not write a refused access to the audit log")
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            current_app.logger.exception("could not roll back after a failed refusal entry")
    return response
