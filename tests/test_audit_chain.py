"""The audit log and the accreditation records are hash-chained; ``flask audit verify`` finds tampering."""

import threading

import pytest
from sqlalchemy import select, text

from examapp.audit.chain import GENESIS, ChainHead, digest, verify_chain
from examapp.audit.models import AuditEntry
from examapp.audit.services import record_change
from examapp.cycles.models import RecordEntry
from examapp.extensions import db


def _write(n, start=0):
    for i in range(start, start + n):
        record_change(
            None,
            "unit.update",
            "unit",
            i,
            label=f"单位{i}",
            before={"name": f"旧{i}"},
            after={"name": f"新{i}"},
            reason="核对",
        )
    db.session.flush()


def _ids():
    return db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.chain_seq)).all()


def test_each_entry_carries_the_hash_of_the_one_before(ctx):
    _write(3)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.chain_seq)).all()
    assert [e.chain_seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    assert entries[1].prev_hash == entries[0].entry_hash and entries[2].prev_hash == entries[1].entry_hash
    assert entries[2].entry_hash == digest(entries[1].entry_hash, entries[2].chain_content())
    head = db.session.get(ChainHead, "audit")
    assert (head.seq, head.last_hash) == (3, entries[2].entry_hash)
    assert verify_chain("audit", AuditEntry) == (3, None)


def test_a_changed_entry_is_named(ctx):
    _write(4)
    target = _ids()[1]
    db.session.execute(text("UPDATE audit_entries SET reason = '改过' WHERE id = :id"), {"id": target})
    db.session.expire_all()
    count, (entry_id, reason) = verify_chain("audit", AuditEntry)
    assert entry_id == target and "内容被修改" in reason and count == 2


def test_a_removed_entry_is_found(ctx):
    _write(4)
    ids = _ids()
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[1]})
    db.session.expire_all()
    _count, (entry_id, reason) = verify_chain("audit", AuditEntry)
    assert entry_id == ids[2] and "缺失" in reason


def test_a_removed_last_entry_is_found_at_the_head(ctx):
    _write(3)
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": _ids()[-1]})
    db.session.expire_all()
    _count, (entry_id, reason) = verify_chain("audit", AuditEntry)
    assert entry_id is None and "链尾" in reason


def test_a_row_written_around_the_app_is_found(ctx):
    _write(2)
    db.session.execute(
        text(
            "INSERT INTO audit_entries (created_at, actor_username, action, object_type, object_label) "
            "VALUES (CURRENT_TIMESTAMP, 'x', 'unit.update', 'unit', '伪造')"
        )
    )
    db.session.expire_all()
    _count, (entry_id, reason) = verify_chain("audit", AuditEntry)
    assert entry_id is not None and "不在哈希链中" in reason


def test_swapped_contents_are_found(ctx):
    _write(3)
    first, second = _ids()[:2]
    db.session.execute(text("UPDATE audit_entries SET chain_seq = -1 WHERE id = :id"), {"id": first})
    db.session.execute(text("UPDATE audit_entries SET chain_seq = 1 WHERE id = :id"), {"id": second})
    db.session.execute(text("UPDATE audit_entries SET chain_seq = 2 WHERE id = :id"), {"id": first})
    db.session.expire_all()
    _count, (entry_id, _reason) = verify_chain("audit", AuditEntry)
    assert entry_id == second


def test_flask_audit_verify_reports_and_fails(app, runner, make):
    make.world()  # its accounts and units are audited
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "操作日志" in ok.output and "哈希链完整" in ok.output and "验收记录" in ok.output
    with app.app_context():
        target = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.chain_seq).limit(1))
        db.session.execute(text("UPDATE audit_entries SET object_label = '篡改' WHERE id = :id"), {"id": target})
        db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and f"编号 {target} 的记录" in broken.output and "内容被修改" in broken.output


def test_record_entries_are_chained_too(ctx, world):
    from examapp.auth.models import User
    from examapp.exams.services import close_exam

    from .test_results import build, seal_exam

    exam, _, _ = build(world, {"链社区": ["96"], "链二社区": ["90"]})
    close_exam(None, exam)
    seal_exam(db.session.scalar(select(User).where(User.username == "office")), exam)
    db.session.flush()
    assert verify_chain("records", RecordEntry) == (2, None)
    db.session.execute(text("UPDATE accreditation_record_entries SET text = '考试合格' WHERE chain_seq = 2"))
    db.session.expire_all()
    _count, problem = verify_chain("records", RecordEntry)
    assert problem is not None and "内容被修改" in problem[1]


@pytest.mark.committed
def test_concurrent_writers_keep_one_chain(app):
    barrier = threading.Barrier(4)
    errors = []

    def run(offset):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                for i in range(10):
                    _write(1, offset + i)
                    db.session.commit()
            except Exception as exc:  # reported below; a thread must not die silently
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=run, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with app.app_context():
        assert verify_chain("audit", AuditEntry) == (40, None)
