"""Mixins shared by models of several features."""

from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .db_types import UTCDateTime


class TimestampMixin:
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
