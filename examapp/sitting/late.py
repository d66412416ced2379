"""Late deliveries: answers given before an attempt closed that reached the server after it.

A link down across the deadline leaves answers in the page's queue; when the link returns
after the deadline and its grace, they are not graded and not thrown away: each is stored
here, apart from the graded answers, with the time the page says it was given and what the
server knows of the page's link, for an administrator to accept or not
(``results.late``). Nothing is accepted automatically. Services flush; the caller commits.
"""

from sqlalchemy import func, select

from ..extensions import db
from .models import AttemptItem, EventKind, LateDelivery, LateStatus
from .services import record_event


def store_late(attempt, saves, result, *, now, address=None, offline_at=None, online_at=None):
    """Keep ``saves`` [(seq, position, response, flagged, answered_at)] of a closed attempt's page.

    Fills ``result`` (see ``saving.save_responses``): "late" for saves kept (or kept before: a
    retried delivery is stored once), "stale" for those the attempt already holds something
    newer for, "refused" for answers given after the attempt closed.
    """
    if not saves:
        return 0
    cutoff = attempt.submitted_at
    held = dict(
        db.session.execute(
            select(AttemptItem.position, AttemptItem.response_seq).where(AttemptItem.attempt_id == attempt.id)
        ).all()
    )
    known = set(
        db.session.scalars(
            select(LateDelivery.seq).where(
                LateDelivery.attempt_id == attempt.id, LateDelivery.seq.in_([s[0] for s in saves])
            )
        )
    )
    stored = 0
    for seq, position, response, flagged, answered_at in saves:
        if seq in known:
            result["late"].append(seq)
        elif answered_at > cutoff:
            result["refused"].append(
                {
                    "seq": seq,
                    "position": position,
                    "reason": "after_deadline",
                    "error": f"第 {position} 题的答案是在交卷之后作出的，未保存",
                }
            )
        elif held.get(position, 0) >= seq:
            result["stale"].append(seq)
        else:
            db.session.add(
                LateDelivery(
                    attempt_id=attempt.id,
                    position=position,
                    seq=seq,
                    response=response,
                    flagged=flagged,
                    answered_at=answered_at,
                    received_at=now,
                    offline_at=offline_at,
                    online_at=online_at,
                    last_contact_at=attempt.last_saved_at,
                    client_address=address,
                    status=LateStatus.PENDING,
                )
            )
            known.add(seq)
            result["late"].append(seq)
            stored += 1
    if stored:
        record_event(attempt, EventKind.LATE_DELIVERY, address=address, detail={"count": str(stored)})
        db.session.flush()
    return stored


def late_counts(attempt_id):
    """(all, pending) late deliveries of an attempt."""
    total, pending = db.session.execute(
        select(func.count(), func.count().filter(LateDelivery.status == LateStatus.PENDING)).where(
            LateDelivery.attempt_id == attempt_id
        )
    ).one()
    return total, pending
