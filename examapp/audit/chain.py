"""Hash chains over append-only tables: the audit log and the accreditation records' entries.

Each entry carries its place in its chain (``chain_seq``), the hash of the entry before it
(``prev_hash``) and its own hash: SHA-256 of the previous hash and the entry's content in a
fixed canonical form. Changing, removing or reordering any entry breaks the chain from
there on; ``verify_chain`` (``flask audit verify``) names the first broken entry.

Linking takes the chain's head row for update, so concurrent writers line up one after the
other for the rest of their transaction (on SQLite every write transaction is already
serialised). The head is locked once per transaction and kept in the session while it lasts.
"""

import hashlib
import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db

GENESIS = "0" * 64
_HEADS = "chain_heads"


class ChainHead(db.Model):
    """Where each chain stands: the last sequence number given and the last hash."""

    __tablename__ = "chain_heads"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS)


class ChainedMixin:
    """Columns of a chained entry."""

    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def digest(prev_hash, content):
    """The hash of an entry: SHA-256 over the previous hash and the canonical JSON of its content."""
    text = json.dumps(
        {k: _plain(v) for k, v in content.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + "\n" + text).encode("utf-8")).hexdigest()


def _insert_head(session, name):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(ChainHead).values(name=name, seq=0, last_hash=GENESIS).on_conflict_do_nothing()


def _head(session, name):
    heads = session.info.setdefault(_HEADS, {})
    head = heads.get(name)
    if head is None:
        locked = select(ChainHead).where(ChainHead.name == name).with_for_update()
        head = session.execute(locked).scalar_one_or_none()
        if head is None:
            # The first entry of a chain: writers starting together each try to create the head;
            # one does, the others find it (and wait for its lock) instead of failing on the key.
            session.execute(_insert_head(session, name))
            head = session.execute(locked).scalar_one()
        heads[name] = head
    return head


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_heads(session, *args):
    session.info.pop(_HEADS, None)


def link(name, entry):
    """Give ``entry`` (a ChainedMixin model with ``chain_content()``) its place at the end of chain ``name``."""
    with db.session.no_autoflush:  # the entry is inserted once, with its chain fields
        head = _head(db.session, name)
    head.seq += 1
    entry.chain_seq = head.seq
    entry.prev_hash = head.last_hash
    entry.entry_hash = digest(head.last_hash, entry.chain_content())
    head.last_hash = entry.entry_hash
    return entry


def verify_chain(name, model, batch=2000):
    """Check chain ``name`` over ``model``'s rows. Returns (entries checked, problem or None);
    a problem is (entry id or None, the reason in words)."""
    head = db.session.get(ChainHead, name)
    expected_prev, expected_seq, count = GENESIS, 1, 0
    query = (
        select(model).where(model.chain_seq.isnot(None)).order_by(model.chain_seq).execution_options(yield_per=batch)
    )
    result = db.session.scalars(query)  # a server-side cursor on PostgreSQL: closed on every way out
    try:
        for entry in result:
            count += 1
            if entry.chain_seq != expected_seq:
                return count, (entry.id, f"第 {expected_seq} 条记录缺失（下一条是第 {entry.chain_seq} 条）")
            if entry.prev_hash != expected_prev:
                return count, (entry.id, "记录中保存的上一条哈希与上一条记录不符（记录被删除、插入或调换）")
            if digest(entry.prev_hash, entry.chain_content()) != entry.entry_hash:
                return count, (entry.id, "记录内容与其哈希不符（内容被修改）")
            expected_prev, expected_seq = entry.entry_hash, expected_seq + 1
    finally:
        result.close()
    unlinked = db.session.scalar(select(model.id).where(model.chain_seq.is_(None)).limit(1))
    if unlinked is not None:
        return count, (unlinked, "记录不在哈希链中（绕过系统写入）")
    last_seq = head.seq if head is not None else 0
    last_hash = head.last_hash if head is not None else GENESIS
    if last_seq != expected_seq - 1 or last_hash != expected_prev:
        return count, (None, f"链尾与记录不符：应有 {last_seq} 条，实有 {expected_seq - 1} 条（末尾的记录被删除）")
    return count, None


#: chain name -> (order, label, model); the owner of each chained table registers it, so that
#: the verifier imports none of them
_CHAINS = {}


def register_chain(name, label, model, order):
    """Make ``model`` (a ``ChainedMixin`` table whose entries link under ``name``) verifiable;
    ``flask audit verify`` checks the chains by ``order``."""
    _CHAINS[name] = (order, label, model)


def chains():
    """[(name, label, model)] of every registered chain, in their order."""
    return [(name, label, model) for name, (_, label, model) in sorted(_CHAINS.items(), key=lambda kv: kv[1][0])]
