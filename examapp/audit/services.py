from ..clock import utcnow
from ..extensions import db
from ..request_context import client_address
from .chain import link
from .labels import ACTION_LABELS
from .models import AuditEntry


def record_change(
    actor,
    action,
    object_type,
    object_id,
    *,
    label="",
    before=None,
    after=None,
    reason=None,
    district_id=None,
):
    """Add an audit entry for a change (flushed with the change, never committed here)."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        object_label=label[:200],
        before=before,
        after=after,
        reason=reason or None,
        district_id=district_id,
        client_address=client_address.get(),
    )
    db.session.add(entry)
    link("audit", entry)
    return entry


def register_actions(labels):
    """Add the Chinese labels of a feature's audited actions (shown in the audit log)."""
    ACTION_LABELS.update(labels)
