from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db_types import UTCDateTime
from ..extensions import db


class ImportBatch(db.Model):
    """Rows that passed validation, waiting for the uploader to confirm."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: unguessable handle used in the preview URL
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    rows: Mapped[list] = mapped_column(JSON, nullable=False)
    #: set once applied; an applied batch cannot be applied again
    applied_at: Mapped[object | None] = mapped_column(UTCDateTime)
