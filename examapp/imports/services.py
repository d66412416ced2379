"""Staging validated rows between the upload and the confirmation."""

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from ..clock import utcnow
from ..errors import NotFound
from ..extensions import db
from .models import ImportBatch

#: how long an upload waits for its confirmation
BATCH_LIFETIME = timedelta(hours=12)


def stage_rows(actor, kind, filename, rows):
    db.session.execute(delete(ImportBatch).where(ImportBatch.created_at < utcnow() - BATCH_LIFETIME))
    batch = ImportBatch(
        token=secrets.token_urlsafe(24),
        kind=kind,
        filename=(filename or "")[:255],
        created_by_id=actor.id,
        rows=rows,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def get_staged(actor, kind, token):
    """The actor's own pending batch of this kind; NotFound otherwise."""
    batch = db.session.scalar(
        select(ImportBatch).where(
            ImportBatch.token == token,
            ImportBatch.kind == kind,
            ImportBatch.created_by_id == actor.id,
        )
    )
    if batch is None or batch.created_at < utcnow() - BATCH_LIFETIME:
        raise NotFound("导入批次不存在或已过期，请重新上传文件")
    return batch


def mark_applied(batch):
    if batch.applied_at is not None:
        raise NotFound("该批次已经导入过了")
    batch.applied_at = utcnow()
    db.session.flush()
