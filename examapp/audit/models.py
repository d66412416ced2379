from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import access
from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db
from .chain import ChainedMixin, register_chain


class AuditEntry(ChainedMixin, db.Model):
    """One change, append-only and hash-chained (``audit.chain``)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: the actor's username when the entry was written (kept if the account changes)
    actor_username: Mapped[str] = mapped_column(String(64), nullable=False)
    #: dotted verb, e.g. "unit.create", "user.password_reset"
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(64))
    #: human-readable name of the object at the time
    object_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    #: the district the change belongs to, so district admins see their own
    district_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    client_address: Mapped[str | None] = mapped_column(String(64))

    actor = relationship("User")

    def chain_content(self):
        """What the entry's hash covers: everything it says."""
        return {
            "created_at": self.created_at,
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "district_id": self.district_id,
            "client_address": self.client_address,
        }

    @property
    def actor_display(self):
        """Who acted, as shown to users: system changes (CLI, demo data) read 系统."""
        return "系统" if self.actor_id is None else self.actor_username


register_chain("audit", "操作日志", AuditEntry, order=1)


@access.object_rule(AuditEntry)
def _audit_entry_rule(user, permission, entry):
    return access.district_in_scope(user, entry.district_id)
